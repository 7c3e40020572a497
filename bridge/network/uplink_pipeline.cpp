#include "bridge/network/uplink_pipeline.hpp"

#include <algorithm>

#include "bridge/core/log.hpp"
#include "lorawan/fcnt.hpp"
#include "lorawan/mac_commands.hpp"
#include "lorawan/phy_payload.hpp"
#include "lorawan/security.hpp"

namespace bridge {

using namespace lorawan;

const char* toString(Verdict v) {
  switch (v) {
    case Verdict::Accepted:
      return "accepted";
    case Verdict::CrcBad:
      return "crc_bad";
    case Verdict::CrcMissing:
      return "crc_missing";
    case Verdict::Malformed:
      return "malformed_frame";
    case Verdict::UnsupportedMType:
      return "unsupported_mtype";
    case Verdict::UnknownDevAddr:
      return "unknown_devaddr";
    case Verdict::BadMic:
      return "bad_mic";
    case Verdict::Disabled:
      return "disabled";
    case Verdict::Replay:
      return "replay";
    case Verdict::FCntGap:
      return "fcnt_gap";
    case Verdict::Retransmission:
      return "retransmission";
  }
  return "?";
}

// The payload as text when it is printable ASCII (handy in logs), else empty.
static std::string_view printableText(const Bytes& b) {
  for (uint8_t c : b)
    if (c < 0x20 || c > 0x7e) return {};
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

uint64_t frameHash(std::span<const uint8_t> bytes) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (uint8_t b : bytes) h = (h ^ b) * 1099511628211ull;
  return h;
}

UplinkPipeline::UplinkPipeline(PipelineSettings settings, SessionRegistry& sessions,
                               SessionStore& counters, UplinkArchive& archive, Metrics& metrics,
                               Emit emit, std::function<int64_t()> wallClockMs)
    : settings_(settings),
      sessions_(sessions),
      counters_(counters),
      archive_(archive),
      metrics_(metrics),
      received_(metrics.handle("uplinks_received_total")),
      copies_(metrics.handle("uplink_copies_total")),
      lateCopies_(metrics.handle("uplinks_late_copies_total")),
      accepted_(metrics.handle("uplinks_accepted_total")),
      emit_(std::move(emit)),
      wallClockMs_(std::move(wallClockMs)) {}

std::optional<Verdict> UplinkPipeline::onRxPacket(Eui64 gateway, semtech::RxPacket&& p,
                                                  Clock::time_point now) {
  received_.inc();
  if (p.crcStatus != 1) {
    Verdict v = p.crcStatus == -1 ? Verdict::CrcBad : Verdict::CrcMissing;
    metrics_.inc(std::string("uplinks_rejected_total{reason=\"") + toString(v) + "\"}");
    log::debug("uplink_rejected", {{"reason", toString(v)}, {"gateway", gateway.toString()}});
    return v;
  }
  pruneLateMemory(now);
  const uint64_t key = frameKeys_(p.phyPayload);
  if (Pending* open = pending_.find(key)) {
    copies_.inc();
    if (open->uplink) addRx(*open->uplink, gateway, p);
    return open->verdict;
  }
  if (Recent* recent = recent_.find(key)) {
    auto confirmed = confirmedBy_.find(key);
    if (confirmed != confirmedBy_.end() &&
        now - recent->firstSeen >= settings_.retransmissionAfter) {
      // The device did not hear our ACK and sent the confirmed frame again: ACK, do not forward.
      recent->firstSeen = now;  // its copies from other gateways are late copies again
      metrics_.inc("uplinks_rejected_total{reason=\"retransmission\"}");
      Session* s = sessions_.byInterfaceId(confirmed->second);
      log::debug("uplink_retransmission", {{"gateway", gateway.toString()}});
      if (s && retransmission_) retransmission_(*s, gateway, p);
      return Verdict::Retransmission;
    }
    lateCopies_.inc();
    log::debug("uplink_late_copy", {{"gateway", gateway.toString()}});
    return std::nullopt;
  }
  Pending pend;
  pend.deadline = now + settings_.dedupWindow;
  pend.firstSeen = now;
  pend.verdict = process(p.phyPayload, p, gateway, pend);
  if (pend.verdict == Verdict::Malformed || pend.verdict == Verdict::UnsupportedMType)
    return pend.verdict;
  const Verdict v = pend.verdict;
  pending_.push(key, std::move(pend));
  return v;
}

void UplinkPipeline::reject(Verdict v, const Bytes& phy, Eui64 gw, const std::string& detail,
                            const Session* s) {
  metrics_.inc(std::string("uplinks_rejected_total{reason=\"") + toString(v) + "\"}");
  log::Fields f{{"reason", toString(v)}, {"gateway", gw.toString()}};
  uint32_t devAddr = 0;
  if (auto r = peekRouting(phy); r && r->devAddr) {
    f.emplace_back("dev_addr", r->devAddr->toString());
    devAddr = r->devAddr->value();
  }
  if (s) {
    f.emplace_back("interface", s->id.str());
    f.emplace_back("device", s->device);
  }
  if (!detail.empty()) f.emplace_back("detail", detail);
  if (v == Verdict::Disabled || v == Verdict::Retransmission) {
    log::debug("uplink_rejected", f);
    return;
  }
  log::info("uplink_rejected", f);
  if (!rejection_) return;
  rejection_({Rejection::Uplink, toString(v), s ? s->device : "",
              devAddr ? std::optional(lorawan::DevAddr(devAddr)) : std::nullopt, std::nullopt, gw,
              detail, wallClockMs_()});
}

Verdict UplinkPipeline::process(const Bytes& phyBytes, const semtech::RxPacket& p, Eui64 gw,
                                Pending& out) {
  auto peek = peekRouting(phyBytes);
  if (!peek) {
    reject(Verdict::Malformed, phyBytes, gw, peek.error().toString());
    return Verdict::Malformed;
  }
  if (peek->mtype != MType::UnconfirmedDataUp && peek->mtype != MType::ConfirmedDataUp) {
    reject(Verdict::UnsupportedMType, phyBytes, gw, toString(peek->mtype));
    return Verdict::UnsupportedMType;
  }
  const auto& candidates = sessions_.byDevAddr(*peek->devAddr);
  if (candidates.empty()) {
    reject(Verdict::UnknownDevAddr, phyBytes, gw, "");
    return Verdict::UnknownDevAddr;
  }
  auto phy = parsePhyPayload(phyBytes);
  if (!phy) {
    reject(Verdict::Malformed, phyBytes, gw, phy.error().toString());
    return Verdict::Malformed;
  }
  const auto& mac = std::get<MacPayload>(phy->payload);
  const auto msg = micInput(phyBytes);
  const uint16_t f16 = mac.fhdr.fcnt;

  // MIC disambiguation: the first session whose key verifies the frame owns it. Each session
  // tries the counter continuing its sequence, then the same 16 bits in its current epoch (an
  // old frame: replay) and with no high bits (a device that reset its counter).
  Session* owner = nullptr;
  uint32_t fcnt32 = 0;
  for (Session* s : candidates) {
    uint32_t tries[3];  // at most three counters per candidate: no allocation per frame
    size_t n = 0;
    if (s->fcnt) {
      tries[n++] = reconstructFCnt(s->fcnt->lastFCnt, f16);
      uint32_t sameEpoch = (s->fcnt->lastFCnt & 0xFFFF0000u) | f16;
      if (sameEpoch != tries[0]) tries[n++] = sameEpoch;
      if (f16 != tries[0] && f16 != sameEpoch) tries[n++] = f16;
    } else {
      tries[n++] = f16;
    }
    for (uint32_t t : std::span(tries, n)) {
      if (micMatches(*s, *phy, msg, t, gw, p)) {
        owner = s;
        fcnt32 = t;
        break;
      }
    }
    if (owner) break;
  }
  if (!owner) {
    reject(Verdict::BadMic, phyBytes, gw,
           std::to_string(candidates.size()) + " candidate session(s)");
    return Verdict::BadMic;
  }
  const InterfaceProfile& opts = *owner->profile;
  if (!opts.enabled) {
    reject(Verdict::Disabled, phyBytes, gw, "", owner);
    return Verdict::Disabled;
  }
  const uint64_t hash = frameHash(phyBytes);
  bool reset = false;
  uint32_t previous = 0;
  if (owner->fcnt) {
    const uint32_t last = owner->fcnt->lastFCnt;
    previous = last;
    if (fcnt32 == last) {
      if (hash == owner->fcnt->lastHash) {
        reject(Verdict::Retransmission, phyBytes, gw, "fcnt " + std::to_string(fcnt32), owner);
        if (retransmission_ && phy->mhdr.mtype == MType::ConfirmedDataUp)
          retransmission_(*owner, gw, p);
        return Verdict::Retransmission;
      }
      if (!opts.duplicateFramecounterAllowed) {
        reject(Verdict::Replay, phyBytes, gw, "fcnt " + std::to_string(fcnt32) + " already used",
               owner);
        return Verdict::Replay;
      }
      reset = true;
    } else if (fcnt32 < last) {
      if (!opts.duplicateFramecounterAllowed) {
        reject(Verdict::Replay, phyBytes, gw,
               "fcnt " + std::to_string(fcnt32) + " not above last " + std::to_string(last), owner);
        return Verdict::Replay;
      }
      reset = true;
    } else if (fcnt32 - last > kMaxFCntGap) {
      if (!opts.duplicateFramecounterAllowed) {
        reject(Verdict::FCntGap, phyBytes, gw,
               "fcnt " + std::to_string(fcnt32) + " is " + std::to_string(fcnt32 - last) +
                   " past last " + std::to_string(last),
               owner);
        return Verdict::FCntGap;
      }
      reset = true;
    }
  }

  // Accepted: the counter moves first, so no later copy or replay can pass again.
  const uint32_t nextDown = owner->fcnt ? owner->fcnt->nextFCntDown : 0;
  owner->fcnt = FCntState{owner->devAddr, fcnt32, hash, nextDown};
  counters_.saveFCnt(owner->id.str(), *owner->fcnt);

  Uplink u;
  u.id = uuids_.next();
  u.receivedAtMs = wallClockMs_();
  u.interfaceId = owner->id.view();
  u.deviceIdOrSlug = owner->device;
  u.driverInstanceId = opts.driverInstanceId;
  u.devEui = owner->deviceEui;
  u.devAddr = owner->devAddr;
  u.fcnt = fcnt32;
  u.fport = mac.fport;
  u.confirmed = phy->mhdr.mtype == MType::ConfirmedDataUp;
  u.adr = mac.fhdr.fctrl.adr;
  u.fcntReset = reset;
  u.previousFCnt = previous;
  u.tx = {p.frequencyHz, p.modulation, p.dataRate, p.codeRate};
  if (mac.fport && *mac.fport == 0) {
    // FPort 0: MAC commands in FRMPayload, encrypted with the network key. Logged, not forwarded
    // as application data.
    // 1.0.x: NwkSKey; 1.1: NwkSEncKey (nwkSKey holds FNwkSIntKey there).
    const auto& key = owner->nwkSEncKey();
    u.macCommands = logMacCommands(
        *owner, "fport0",
        cryptFrmPayload(aes_, key, Direction::Uplink, owner->devAddr, fcnt32, mac.frmPayload));
  } else if (mac.fport) {
    u.data = cryptFrmPayload(aes_, owner->appSKey, Direction::Uplink, owner->devAddr, fcnt32,
                             mac.frmPayload);
  }
  if (!mac.fhdr.fopts.empty()) {
    // 1.1 encrypts FOpts with NwkSEncKey (the errata scheme, as LoRaMac-node and ChirpStack).
    u.macCommands =
        logMacCommands(*owner, "fopts",
                       owner->lorawan11 ? cryptFOpts11(owner->nwkSEncKey(), Direction::Uplink,
                                                       owner->devAddr, fcnt32, mac.fhdr.fopts)
                                        : mac.fhdr.fopts);
  }
  u.ackBit = mac.fhdr.fctrl.ack;
  u.codecs = owner->sharedCodecs();  // decoded when the window closes, off the hot path
  addRx(u, gw, p);
  out.uplink = std::move(u);
  return Verdict::Accepted;
}

std::vector<MacCommand> UplinkPipeline::logMacCommands(const Session& s, const char* where,
                                                       const Bytes& bytes) {
  auto parsed = parseMacCommands(MacDirection::Uplink, bytes);
  if (!parsed) {
    metrics_.inc("mac_command_errors_total");
    log::warn("mac_command_error",
              {{"device", s.device}, {"where", where}, {"error", parsed.error().toString()}});
    return {};
  }
  for (const auto& c : *parsed)
    log::info(
        "mac_command",
        {{"device", s.device}, {"where", where}, {"command", describe(MacDirection::Uplink, c)}});
  return std::move(*parsed);
}

bool UplinkPipeline::micMatches(const Session& s, const PhyPayload& phy,
                                std::span<const uint8_t> msg, uint32_t fcnt, Eui64 gw,
                                const semtech::RxPacket& p) const {
  if (!s.lorawan11)
    return dataMic10(cmac_, s.nwkSKey, Direction::Uplink, s.devAddr, fcnt, msg) == phy.mic;
  // LoRaWAN 1.1: half of the MIC covers the data rate and channel the device used, and the
  // counter of the confirmed downlink it acknowledges.
  const region::Band* band = settings_.bands.forGateway(gw);
  if (!band) return false;
  auto dr = region::dataRateIndex(*band, p.dataRate, true);
  auto ch = region::uplinkChannelIndex(*band, p.frequencyHz, settings_.bands.extraChannelsHz);
  if (!dr || !ch) return false;
  const bool ack = std::get<MacPayload>(phy.payload).fhdr.fctrl.ack;
  const uint16_t confFCnt = ack ? uint16_t(s.lastConfirmedFCntDown) : 0;
  return uplinkMic11(s.sNwkSIntKey(), s.nwkSKey, confFCnt, *dr, *ch, s.devAddr, fcnt, msg) ==
         phy.mic;
}

void UplinkPipeline::addRx(Uplink& u, Eui64 gateway, const semtech::RxPacket& p) {
  for (const auto& r : u.rx)
    if (r.gatewayEui == gateway) return;  // the same gateway twice is one reception
  u.rx.push_back({gateway, p.rssi, p.snr, p.channel, p.rfChain, p.tmst, p.time});
  // Best gateway first: SNR, then RSSI. It is the one a downlink would use.
  std::stable_sort(u.rx.begin(), u.rx.end(), [](const RxInfo& a, const RxInfo& b) {
    double sa = a.snr.value_or(-100), sb = b.snr.value_or(-100);
    if (sa != sb) return sa > sb;
    return a.rssi > b.rssi;
  });
}

void UplinkPipeline::closeDue(Clock::time_point now, size_t maxWindows) {
  std::vector<Uplink> ready;
  ready.reserve(std::min({maxWindows, pending_.size(), size_t(256)}));
  for (size_t closed = 0;
       closed < maxWindows && !pending_.empty() && pending_.front().value.deadline <= now;
       ++closed) {
    auto& [key, window] = pending_.front();
    // Late copies are remembered from the window's own deadline: `now` may be time_point::max()
    // (close everything at shutdown), and max + memory overflows.
    const Clock::time_point forgetAt = window.deadline + settings_.lateCopyMemory;
    if (window.uplink) {
      Uplink& u = *window.uplink;
      if (u.confirmed) confirmedBy_[key] = u.interfaceId;
      // Every uplink of a device with real codecs goes through the decoder, so its uplinks keep
      // their order (the pool runs one device's work in sequence).
      const bool needsCodec = u.codecs && !u.codecs->rawOnly();
      if (needsCodec && decoder_) {
        decoder_(std::move(u), [this](Uplink&& done) {
          std::vector<Uplink> one;
          one.push_back(std::move(done));
          finish(std::move(one));
        });
      } else {
        decodePayload(u);
        ready.push_back(std::move(u));
      }
    }
    recent_.push(key, Recent{forgetAt, window.firstSeen});
    pending_.pop();
  }
  if (!ready.empty()) finish(std::move(ready));
}

void UplinkPipeline::finish(std::vector<Uplink> batch) {
  std::vector<std::string> json;
  json.reserve(batch.size());
  for (const Uplink& u : batch) {
    if (!u.codec.errors.empty()) {
      metrics_.inc("codec_errors_total");
      log::warn("codec_error", {{"device", u.deviceIdOrSlug},
                                {"codec", u.codecName},
                                {"fport", u.fport ? std::to_string(*u.fport) : ""},
                                {"error", u.codec.errors.front()}});
    }
    json.push_back(toEventJson(u));
    archive_.recordUplink({u.id, u.receivedAtMs, u.interfaceId, u.deviceIdOrSlug, json.back()});
    if (beforeCommit_) beforeCommit_(u, json.back());
  }
  // One commit for the batch: counters and outbox rows are durable before anything leaves.
  archive_.commit([this, batch = std::move(batch), json = std::move(json)]() mutable {
    for (size_t i = 0; i < batch.size(); ++i)
      durable_.emplace_back(std::move(batch[i]), std::move(json[i]));
    emitDurable();
  });
}

// In order, at most kEmitChunk per turn of the loop: a large commit's uplinks (thousands under
// load) must not hold the network thread from its socket for tens of milliseconds.
void UplinkPipeline::emitDurable() {
  for (size_t n = 0; !durable_.empty() && (!post_ || n < kEmitChunk); ++n) {
    auto [u, json] = std::move(durable_.front());
    durable_.pop_front();
    accepted(u, json);
  }
  if (durable_.empty() || emitPosted_) return;
  emitPosted_ = true;
  post_([this] {
    emitPosted_ = false;
    emitDurable();
  });
}

void UplinkPipeline::accepted(const Uplink& u, const std::string& json) {
  accepted_.inc();
  if (log::enabled(log::Level::Info)) {
    // Hex from a stack buffer (LoRaWAN payloads are at most 242 bytes; more is cut in the log).
    static constexpr char kHex[] = "0123456789abcdef";
    char hex[2 * 256];
    const size_t n = std::min<size_t>(u.data.size(), 256);
    for (size_t i = 0; i < n; ++i) {
      hex[2 * i] = kHex[u.data[i] >> 4];
      hex[2 * i + 1] = kHex[u.data[i] & 0xF];
    }
    log::info("uplink_accepted", {{"device", u.deviceIdOrSlug},
                                  {"interface", u.interfaceId},
                                  {"dev_addr", u.devAddr.toString()},
                                  {"fcnt", std::to_string(u.fcnt)},
                                  {"fport", u.fport ? std::to_string(*u.fport) : "none"},
                                  {"bytes", std::to_string(u.data.size())},
                                  {"data_hex", std::string_view(hex, 2 * n)},
                                  {"data_text", printableText(u.data)},
                                  {"gateways", std::to_string(u.rx.size())},
                                  {"id", u.id}});
  }
  if (u.fcntReset) {
    metrics_.inc("fcnt_resets_total");
    log::warn("fcnt_reset", {{"device", u.deviceIdOrSlug},
                             {"previous", std::to_string(u.previousFCnt)},
                             {"fcnt", std::to_string(u.fcnt)}});
  }
  emit_(u, json);
}

std::optional<UplinkPipeline::Clock::time_point> UplinkPipeline::nextDeadline() const {
  if (pending_.empty()) return std::nullopt;
  return pending_.front().value.deadline;
}

void UplinkPipeline::pruneLateMemory(Clock::time_point now) {
  while (!recent_.empty() && recent_.front().value.expires <= now) {
    const uint64_t key = recent_.front().key;
    if (recent_.pop()) confirmedBy_.erase(key);
  }
}

}  // namespace bridge
