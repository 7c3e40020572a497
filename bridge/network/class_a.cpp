#include "bridge/network/class_a.hpp"

#include <cmath>
#include <nlohmann/json.hpp>

#include "bridge/core/log.hpp"
#include "lorawan/adr.hpp"
#include "lorawan/phy_payload.hpp"
#include "lorawan/security.hpp"

namespace bridge {

using namespace lorawan;

namespace {
// LinkCheckAns margin is the SNR above the demodulation floor of the uplink's spreading factor.
double requiredSnr(const std::string& datr) {
  if (datr.size() < 4 || datr[0] != 'S') return 0;
  return region::requiredSnrDb(uint8_t(std::atoi(datr.c_str() + 2)));
}

// GPS epoch (1980-01-06) seconds for DeviceTimeAns; GPS is ahead of UTC by 18 leap seconds
// (since 2017-01-01).
constexpr int64_t kGpsEpochUnix = 315964800;
constexpr int64_t kGpsLeapSeconds = 18;
}  // namespace

ClassA::ClassA(ClassASettings settings, const NetworkContext& ctx, DownlinkQueue& queue,
               SessionStore& counters, Emit emit)
    : settings_(std::move(settings)),
      sessions_(ctx.sessions),
      queue_(queue),
      counters_(counters),
      downlinks_(ctx.downlinks),
      metrics_(ctx.metrics),
      emit_(std::move(emit)),
      wallClockMs_(ctx.wallClockMs) {}

const region::Band& ClassA::bandFor(Eui64 gw) const {
  return *settings_.bands.forGateway(gw);
}

void ClassA::event(const std::string& device, const std::string& interfaceId,
                   const std::string& status, const QueuedDownlink& d, const std::string& detail) {
  metrics_.inc("downlink_events_total{status=\"" + status + "\"}");
  log::info("downlink_" + status, {{"device", device}, {"downlink", d.id}, {"detail", detail}});
  if (!d.platformId.empty() && statusReport_) statusReport_(device, d, status, detail);
  if (!emit_) return;
  const std::string id = uuids_.next();
  nlohmann::json e{{"type", "downlink"},
                   {"id", id},
                   {"status", status},
                   {"downlinkId", d.id},
                   {"platformDownlinkId",
                    d.platformId.empty() ? nlohmann::json() : nlohmann::json(d.platformId)},
                   {"interfaceId", interfaceId},
                   {"deviceIdOrSlug", device},
                   {"fPort", d.fport},
                   {"confirmed", d.confirmed},
                   {"attempts", d.attempts},
                   {"at", formatRfc3339Ms(wallClockMs_())},
                   {"detail", detail.empty() ? nlohmann::json() : nlohmann::json(detail)}};
  emit_({DeviceEventType::Downlink, id, device, std::move(e)});
}

void ClassA::adr(const Uplink& u, Session& s, std::vector<MacCommand>& answers) {
  if (!s.profile->adr || !u.adr || u.rx.empty()) return;
  const region::Band& band = bandFor(u.rx.front().gatewayEui);
  if (band.cfListType != 0) return;  // fixed-plan bands need LinkADRReq blocks: not yet
  auto& snrs = s.more().adrSnrs;
  snrs.push_back(u.rx.front().snr.value_or(-20));
  if (snrs.size() > 20) snrs.erase(snrs.begin());
  auto dr = region::dataRateIndex(band, u.tx.dataRate, true);
  if (!dr) return;
  auto d = decideAdr(band, *dr, s.txPowerIndex, snrs);
  if (!d) return;
  // Keep the channels the device was given: the defaults plus the CFList's extra ones.
  const size_t channels =
      band.joinChannelsHz.size() + std::min<size_t>(settings_.bands.extraChannelsHz.size(), 5);
  auto req = buildMacCommand(MacDirection::Downlink, "LinkADRReq",
                             {{"data_rate", d->dataRate},
                              {"tx_power", d->txPowerIndex},
                              {"ch_mask", (1u << channels) - 1},
                              {"ch_mask_cntl", 0},
                              {"nb_trans", 1}});
  if (!req) return;
  answers.push_back(*req);
  s.pendingTxPowerIndex = d->txPowerIndex;
  snrs.clear();  // measure again at the new settings
  metrics_.inc("adr_requests_total");
  log::info("adr_request", {{"device", s.device},
                            {"data_rate", std::to_string(d->dataRate)},
                            {"tx_power", std::to_string(d->txPowerIndex)}});
}

Bytes ClassA::macAnswers(const Uplink& u, Session& s) {
  std::vector<MacCommand> answers;
  for (const auto& c : u.macCommands) {
    if (c.cid == 0x03) {  // LinkADRAns: all three bits set means the device applied our request
      auto f = macFields(MacDirection::Uplink, c);
      if (f.size() == 3 && f[0].second && f[1].second && f[2].second && s.pendingTxPowerIndex)
        s.txPowerIndex = *s.pendingTxPowerIndex;
      s.pendingTxPowerIndex.reset();
    }
    if (c.cid == 0x02) {  // LinkCheckReq
      double snr = u.rx.empty() ? 0 : u.rx[0].snr.value_or(0);
      uint32_t margin =
          uint32_t(std::clamp(std::lround(snr - requiredSnr(u.tx.dataRate)), 0L, 254L));
      if (auto a = buildMacCommand(
              MacDirection::Downlink, "LinkCheckAns",
              {{"margin", margin}, {"gw_cnt", uint32_t(std::min<size_t>(u.rx.size(), 255))}}))
        answers.push_back(*a);
    } else if (c.cid == 0x0D) {  // DeviceTimeReq: the time the uplink was received
      int64_t gpsMs = u.receivedAtMs - kGpsEpochUnix * 1000 + kGpsLeapSeconds * 1000;
      uint32_t fractional = uint32_t((gpsMs % 1000) * 256 / 1000);  // 1/256 s steps
      if (auto a =
              buildMacCommand(MacDirection::Downlink, "DeviceTimeAns",
                              {{"seconds", uint32_t(gpsMs / 1000)}, {"fractional", fractional}}))
        answers.push_back(*a);
    } else if (c.cid == 0x06) {  // DevStatusAns: battery and margin go upstream as a status event
      auto f = macFields(MacDirection::Uplink, c);
      if (f.size() == 2 && emit_) {
        int margin = int(f[1].second);
        if (margin > 31) margin -= 64;  // 6-bit signed
        const std::string id = uuids_.next();
        nlohmann::json e{
            {"type", "status"},
            {"id", id},
            {"interfaceId", u.interfaceId},
            {"deviceIdOrSlug", u.deviceIdOrSlug},
            {"battery", f[0].second == 255 ? nlohmann::json() : nlohmann::json(f[0].second)},
            {"externalPower", f[0].second == 0},
            {"margin", margin},
            {"at", formatRfc3339Ms(u.receivedAtMs)}};
        emit_({DeviceEventType::Status, id, u.deviceIdOrSlug, std::move(e)});
      }
    }
  }
  adr(u, s, answers);
  Bytes out;
  for (const auto& a : answers) {  // FOpts holds 15 bytes; never split a command
    Bytes one = serialize({a});
    if (out.size() + one.size() <= 15) out.insert(out.end(), one.begin(), one.end());
  }
  return out;
}

void ClassA::afterUplink(const Uplink& u, Clock::time_point now) {
  Session* s = sessions_.byInterfaceId(u.interfaceId);
  if (!s || !s->profile->managed || u.rx.empty()) return;  // listen-only devices never transmit
  std::vector<QueuedDownlink> queue = queue_.pendingDownlinks(u.interfaceId);
  // A confirmed downlink in flight: this uplink's ACK bit settles it, or it is tried again.
  if (!queue.empty() && queue.front().status == "awaiting_ack") {
    QueuedDownlink& d = queue.front();
    if (u.ackBit) {
      d.status = "acked";
      queue_.updateDownlink(d);
      event(u.deviceIdOrSlug, u.interfaceId, "acked", d, "");
      queue.erase(queue.begin());
    } else if (d.attempts >= settings_.maxConfirmedAttempts) {
      d.status = "failed";
      queue_.updateDownlink(d);
      event(u.deviceIdOrSlug, u.interfaceId, "failed", d,
            "no ACK after " + std::to_string(d.attempts) + " attempts");
      queue.erase(queue.begin());
    }
  }
  Frame f;
  f.ack = u.confirmed;
  f.fopts = macAnswers(u, *s);
  const RxInfo& best = u.rx.front();
  const region::Band& band = bandFor(best.gatewayEui);
  auto upDr = region::dataRateIndex(band, u.tx.dataRate, true);
  const uint8_t rx1Dr = upDr ? band.rx1DataRate(*upDr, settings_.rx1DrOffset) : band.rx2DataRate;
  std::string downlinkId;
  while (!queue.empty()) {
    QueuedDownlink& d = queue.front();
    if (d.payload.size() > region::maxFrmPayload(band, rx1Dr, f.fopts.size())) {
      // Never truncated: an error the platform sees, and the queue moves on.
      d.status = "failed";
      queue_.updateDownlink(d);
      event(u.deviceIdOrSlug, u.interfaceId, "failed", d,
            std::to_string(d.payload.size()) + " bytes exceed the " +
                std::to_string(region::maxFrmPayload(band, rx1Dr, f.fopts.size())) +
                "-byte maximum at " + region::dataRateName(band, rx1Dr));
      queue.erase(queue.begin());
      continue;
    }
    ++d.attempts;
    d.status = d.confirmed ? "awaiting_ack" : "sent";
    queue_.updateDownlink(d);
    f.confirmed = d.confirmed;
    f.fport = d.fport;
    f.payload = d.payload;
    f.fPending = queue.size() > 1;
    downlinkId = d.id;
    event(u.deviceIdOrSlug, u.interfaceId, "sent", d, "");
    break;
  }
  if (!f.ack && f.fopts.empty() && !f.fport) return;  // nothing to say
  send(*s, f, best.gatewayEui, best.tmst, u.tx.frequencyHz, u.tx.dataRate, u.confirmed ? u.fcnt : 0,
       downlinkId, now);
}

void ClassA::ackAgain(Session& s, Eui64 gw, const semtech::RxPacket& rx, Clock::time_point now) {
  if (!s.profile->managed || !s.fcnt) return;
  Frame f;
  f.ack = true;
  send(s, f, gw, rx.tmst, rx.frequencyHz, rx.dataRate, s.fcnt->lastFCnt, "", now);
}

void ClassA::send(Session& s, const Frame& f, Eui64 gw, uint32_t upTmst, uint64_t upFreqHz,
                  const std::string& upDatr, uint32_t confFCnt, const std::string& downlinkId,
                  Clock::time_point now) {
  if (!s.fcnt) return;
  const region::Band& band = bandFor(gw);
  // The counter moves and is durable before the frame leaves: a crash never reuses it.
  const uint32_t fcntDown = s.fcnt->nextFCntDown++;
  if (f.confirmed) s.lastConfirmedFCntDown = fcntDown;
  counters_.saveFCnt(s.id.str(), *s.fcnt);

  PhyPayload phy;
  phy.mhdr.mtype = f.confirmed ? MType::ConfirmedDataDown : MType::UnconfirmedDataDown;
  MacPayload m;
  m.fhdr.devAddr = s.devAddr;
  m.fhdr.fctrl.ack = f.ack;
  m.fhdr.fctrl.fPending = f.fPending;
  m.fhdr.fcnt = uint16_t(fcntDown);
  m.fhdr.fopts = s.lorawan11 && !f.fopts.empty() ? cryptFOpts11(s.nwkSEncKey(), Direction::Downlink,
                                                                s.devAddr, fcntDown, f.fopts)
                                                 : f.fopts;
  if (f.fport) {
    m.fport = f.fport;
    m.frmPayload = cryptFrmPayload(*f.fport == 0 ? s.nwkSEncKey() : s.appSKey, Direction::Downlink,
                                   s.devAddr, fcntDown, f.payload);
  }
  phy.payload = m;
  Bytes bytes = serialize(phy);
  Mic mic = s.lorawan11
                ? downlinkMic11(s.sNwkSIntKey(), f.ack ? uint16_t(confFCnt) : 0, s.devAddr,
                                fcntDown, micInput(bytes))
                : dataMic10(s.nwkSKey, Direction::Downlink, s.devAddr, fcntDown, micInput(bytes));
  std::copy(mic.begin(), mic.end(), bytes.end() - 4);

  DownlinkJob job;
  job.kind = "data";
  job.device = s.device;
  job.interfaceId = s.id.str();
  job.downlinkId = downlinkId;
  job.gateway = gw;
  job.rx2After = std::chrono::seconds(1);
  semtech::TxPacket base;
  base.powerDbm = band.downlinkTxPowerDbm;
  base.phyPayload = bytes;
  const uint32_t rx1Delay = uint32_t(settings_.rx1DelaySeconds) * 1000000u;
  if (auto upDr = region::dataRateIndex(band, upDatr, true)) {
    job.rx1 = base;
    job.rx1.tmst = upTmst + rx1Delay;
    job.rx1.frequencyHz = band.rx1FrequencyHz(upFreqHz);
    job.rx1.dataRate = region::dataRateName(band, band.rx1DataRate(*upDr, settings_.rx1DrOffset));
  }
  if (f.payload.size() <= region::maxFrmPayload(band, band.rx2DataRate, f.fopts.size())) {
    semtech::TxPacket rx2 = base;
    rx2.tmst = upTmst + rx1Delay + 1000000u;
    rx2.frequencyHz = band.rx2FrequencyHz;
    rx2.dataRate = region::dataRateName(band, band.rx2DataRate);
    job.rx2 = rx2;
  }
  // The counter (and the queue entry's new status) are committed before the frame leaves:
  // the writer's commit is a few ms of RX1's second.
  queue_.commit([this, job = std::move(job), now] {
    metrics_.inc("class_a_frames_total");
    downlinks_.schedule(job, now);
  });
}

void ClassA::onOutcome(const DownlinkJob& job, DownlinkResult r, const std::string& error) {
  if (r != DownlinkResult::Failed || job.downlinkId.empty()) return;
  // Neither window worked: the payload waits for the next uplink (with a new FCntDown).
  for (auto& d : queue_.pendingDownlinks(job.interfaceId)) {
    if (d.id != job.downlinkId) continue;
    d.status = "queued";
    queue_.updateDownlink(d);
    event(job.device, job.interfaceId, "requeued", d, "gateway reported " + error);
    return;
  }
  // Unconfirmed ones are no longer pending: put them back explicitly.
  QueuedDownlink d;
  d.id = job.downlinkId;
  d.status = "queued";
  d.interfaceId = job.interfaceId;
  queue_.updateDownlink(d);
}

std::vector<QueuedDownlink> ClassA::cancelQueued(const std::string& device,
                                                 const std::string& interfaceId) {
  std::vector<QueuedDownlink> out;
  for (auto& d : queue_.pendingDownlinks(interfaceId)) {
    if (d.status != "queued") continue;
    d.status = "cancelled";
    queue_.updateDownlink(d);
    event(device, interfaceId, "cancelled", d, "cancelled through the management API");
    out.push_back(d);
  }
  queue_.commit(nullptr);  // the API answers once it is durable (it waits for a commit)
  return out;
}

std::expected<codecs::EncodeResult, EnqueueError> ClassA::encode(const std::string& device,
                                                                 int fport,
                                                                 const std::string& objectJson) {
  const Session* itf = sessions_.anyOfDevice(device);
  if (!itf) return std::unexpected(EnqueueError{404, "unknown device " + device});
  const codecs::CodecSet& set = itf->codecs();
  const uint8_t port = uint8_t(std::clamp(fport, 0, 255));
  try {
    return set.forPort(port).encodeDownlink(objectJson, port);
  } catch (const std::exception& e) {
    codecs::EncodeResult r;
    r.errors.push_back(e.what());
    return r;
  }
}

std::expected<std::string, EnqueueError> ClassA::enqueue(const std::string& device, int fport,
                                                         const Bytes& data, bool confirmed,
                                                         const std::string& platformId) {
  const Session* itf = sessions_.anyOfDevice(device);
  if (!itf) return std::unexpected(EnqueueError{404, "unknown device " + device});
  if (!itf->profile->managed)
    return std::unexpected(EnqueueError{
        400, "device " + device + " is listen-only (managed: false): it never transmits"});
  if (fport < 1 || fport > 223)
    return std::unexpected(EnqueueError{400, "fPort must be 1..223, got " + std::to_string(fport)});
  if (data.size() > 242)
    return std::unexpected(EnqueueError{400, "data is " + std::to_string(data.size()) +
                                                 " bytes; no data rate carries more than 242"});
  QueuedDownlink d;
  d.id = uuids_.next();
  d.interfaceId = itf->id.str();
  d.fport = uint8_t(fport);
  d.payload = data;
  d.confirmed = confirmed;
  d.createdAtMs = wallClockMs_();
  d.platformId = platformId;
  queue_.enqueueDownlink(d);
  metrics_.inc("downlinks_enqueued_total");
  log::info("downlink_queued", {{"device", device},
                                {"downlink", d.id},
                                {"platform_id", platformId},
                                {"fport", std::to_string(fport)},
                                {"bytes", std::to_string(data.size())},
                                {"confirmed", confirmed ? "true" : "false"}});
  return d.id;
}

}  // namespace bridge
