#include "bridge/network/join_server.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "bridge/core/log.hpp"
#include "lorawan/dev_addr_alloc.hpp"
#include "lorawan/join_accept.hpp"
#include "lorawan/phy_payload.hpp"
#include "lorawan/security.hpp"

namespace bridge {

using namespace lorawan;

const char* toString(JoinVerdict v) {
  switch (v) {
    case JoinVerdict::Accepted:
      return "accepted";
    case JoinVerdict::Copy:
      return "copy";
    case JoinVerdict::LateCopy:
      return "late_copy";
    case JoinVerdict::Replay:
      return "replay";
    case JoinVerdict::Malformed:
      return "malformed";
    case JoinVerdict::UnknownDevEui:
      return "unknown_deveui";
    case JoinVerdict::WrongJoinEui:
      return "wrong_joineui";
    case JoinVerdict::BadMic:
      return "bad_mic";
    case JoinVerdict::Disabled:
      return "disabled";
    case JoinVerdict::NotManaged:
      return "not_managed";
    case JoinVerdict::DevNonceReused:
      return "devnonce_reused";
    case JoinVerdict::DevNonceNotIncreasing:
      return "devnonce_not_increasing";
    case JoinVerdict::NoDownlinkPath:
      return "no_downlink_path";
  }
  return "?";
}

JoinServer::JoinServer(JoinSettings settings, const NetworkContext& ctx, SessionStore& store,
                       Emit emit, uint64_t seed)
    : settings_(std::move(settings)),
      sessions_(ctx.sessions),
      store_(store),
      downlinks_(ctx.downlinks),
      metrics_(ctx.metrics),
      emit_(std::move(emit)),
      wallClockMs_(ctx.wallClockMs),
      rng_(seed),
      uuids_(seed ^ 0x9E3779B97F4A7C15ull) {}

JoinVerdict JoinServer::reject(JoinVerdict v, Eui64 devEui, Eui64 gw, const std::string& detail) {
  metrics_.inc(std::string("joins_total{result=\"") + toString(v) + "\"}");
  log::Fields f{
      {"reason", toString(v)}, {"dev_eui", devEui.toString()}, {"gateway", gw.toString()}};
  if (!detail.empty()) f.emplace_back("detail", detail);
  log::info("join_rejected", f);
  if (!rejection_) return v;
  const Session* itf = sessions_.otaaByDevEui(devEui);
  rejection_({Rejection::Join, toString(v), itf ? itf->device : "", std::nullopt, devEui, gw,
              detail, wallClockMs_()});
  return v;
}

DevAddr JoinServer::allocateDevAddr() {
  // Random within the NetID's block, unique among live sessions.
  DevAddr a;
  for (int i = 0; i < 64; ++i) {
    a = makeDevAddr(settings_.netId, uint32_t(rng_()));
    if (sessions_.byDevAddr(a).empty()) return a;
  }
  return a;  // a block this full is shared; the MIC still tells sessions apart
}

DownlinkJob JoinServer::makeJob(const std::string& device, Eui64 gw, const semtech::RxPacket& rx,
                                const Bytes& phy) const {
  const region::Band* band = settings_.bands.forGateway(gw);
  DownlinkJob job;
  job.kind = "join_accept";
  job.device = device;
  job.gateway = gw;
  job.rx2After = std::chrono::seconds(1);
  semtech::TxPacket base;
  base.powerDbm = band->downlinkTxPowerDbm;
  base.phyPayload = phy;
  // JOIN_ACCEPT_DELAY1 = 5 s, DELAY2 = 6 s; tmst wraps at 2^32 like the gateway's counter.
  auto upDr = region::dataRateIndex(*band, rx.dataRate, true);
  if (upDr && rx.modulation == "LORA") {
    job.rx1 = base;
    job.rx1.tmst = rx.tmst + 5000000u;
    job.rx1.frequencyHz = band->rx1FrequencyHz(rx.frequencyHz);
    job.rx1.dataRate = region::dataRateName(*band, band->rx1DataRate(*upDr, 0));
  }
  semtech::TxPacket rx2 = base;
  rx2.tmst = rx.tmst + 6000000u;
  rx2.frequencyHz = band->rx2FrequencyHz;
  rx2.dataRate = region::dataRateName(*band, band->rx2DataRate);
  job.rx2 = rx2;
  return job;
}

JoinVerdict JoinServer::onJoinRequest(Eui64 gw, const semtech::RxPacket& rx,
                                      Clock::time_point now) {
  while (!cacheOrder_.empty() && cacheOrder_.front().first <= now) {
    auto it = cache_.find(cacheOrder_.front().second);
    if (it != cache_.end() && it->second.expires <= now) cache_.erase(it);
    cacheOrder_.pop_front();
  }
  auto phy = parsePhyPayload(rx.phyPayload);
  if (!phy || phy->mhdr.mtype != MType::JoinRequest) {
    metrics_.inc("joins_total{result=\"malformed\"}");
    return JoinVerdict::Malformed;
  }
  const auto& jr = std::get<JoinRequestPayload>(phy->payload);
  Session* itf = sessions_.otaaByDevEui(jr.devEui);
  if (!itf) return reject(JoinVerdict::UnknownDevEui, jr.devEui, gw, "");
  const InterfaceProfile& o = *itf->profile;
  if (o.joinEui && *o.joinEui != jr.joinEui)
    return reject(JoinVerdict::WrongJoinEui, jr.devEui, gw, "got " + jr.joinEui.toString());
  const bool v11 = o.macVersion == "1.1";
  const Session::Extra* secrets = itf->extra.get();
  const Aes128Key appKey = secrets ? secrets->deviceKey.value_or(Aes128Key()) : Aes128Key();
  const Aes128Key nwkKey = v11 && secrets ? secrets->networkKey.value_or(appKey) : appKey;
  if (joinRequestMic(nwkKey, micInput(rx.phyPayload)) != phy->mic)
    return reject(JoinVerdict::BadMic, jr.devEui, gw, "");
  if (!o.enabled) return reject(JoinVerdict::Disabled, jr.devEui, gw, "");
  if (!o.managed)
    return reject(JoinVerdict::NotManaged, jr.devEui, gw, "listen-only interface never transmits");

  const auto key = std::make_pair(jr.devEui.value(), jr.devNonce);
  if (auto it = cache_.find(key); it != cache_.end()) {
    if (now < it->second.windowEnd) {
      metrics_.inc("joins_total{result=\"copy\"}");
      return JoinVerdict::Copy;
    }
    // A late copy is only worth sending while the device still listens: its JoinAccept must
    // leave before RX1 (JOIN_ACCEPT_DELAY1 after the first copy). Later, the same DevNonce is a
    // replay: transmitting would let anyone make our gateways transmit at will.
    if (now >= it->second.answerableUntil) {
      return reject(JoinVerdict::Replay, jr.devEui, gw,
                    "DevNonce " + std::to_string(jr.devNonce) + " repeated after its JoinAccept");
    }
    if (!it->second.durable) {  // its session is still being committed: it leaves with the first
      metrics_.inc("joins_total{result=\"copy\"}");
      return JoinVerdict::Copy;
    }
    // Late copy: the same JoinAccept again, timed on this gateway's clock.
    downlinks_.schedule(makeJob(it->second.device, gw, rx, it->second.joinAccept), now);
    metrics_.inc("joins_total{result=\"late_copy\"}");
    return JoinVerdict::LateCopy;
  }

  OtaaState st = store_.loadOtaa(jr.devEui);
  if (std::find(st.devNonces.begin(), st.devNonces.end(), jr.devNonce) != st.devNonces.end())
    return reject(JoinVerdict::DevNonceReused, jr.devEui, gw,
                  "DevNonce " + std::to_string(jr.devNonce));
  // From LoRaWAN 1.0.4 (and in 1.1) DevNonce is a counter: it must grow.
  const bool counter = v11 || o.macVersion == "1.0.4";
  if (counter && !st.devNonces.empty() && jr.devNonce <= st.devNonces.back())
    return reject(JoinVerdict::DevNonceNotIncreasing, jr.devEui, gw,
                  "DevNonce " + std::to_string(jr.devNonce) + " after " +
                      std::to_string(st.devNonces.back()));

  const region::Band* band = settings_.bands.forGateway(gw);
  st.lastJoinNonce = (st.lastJoinNonce + 1) & 0xFFFFFF;
  st.devNonces.push_back(jr.devNonce);
  if (st.devNonces.size() > settings_.devNonceHistory) st.devNonces.erase(st.devNonces.begin());

  JoinAcceptPayload ja;
  ja.joinNonce = st.lastJoinNonce;
  ja.netId = settings_.netId;
  ja.devAddr = allocateDevAddr();
  ja.dlSettings = {v11, settings_.rx1DrOffset, band->rx2DataRate};
  ja.rxDelay = settings_.rx1DelaySeconds;
  ja.cfList = region::cfList(*band, settings_.bands.extraChannelsHz, settings_.subBand);

  JoinedSession s{ja.devAddr, v11, {}, {}, {}, {}};
  SessionRecord rec{ja.devAddr, v11, {}, {}, {}, {}, ja.joinNonce, jr.devNonce};
  Bytes accept;
  if (v11) {
    auto k = deriveSessionKeys11(nwkKey, appKey, ja.joinNonce, jr.joinEui, jr.devNonce);
    s.fNwkSIntKey = k.fNwkSIntKey;
    s.sNwkSIntKey = k.sNwkSIntKey;
    s.nwkSEncKey = k.nwkSEncKey;
    s.appSKey = k.appSKey;
    accept = buildJoinAccept11(ja, deriveJsIntKey(nwkKey, jr.devEui), nwkKey, 0xFF, jr.joinEui,
                               jr.devNonce);
  } else {
    auto k = deriveSessionKeys10(appKey, ja.joinNonce, ja.netId, jr.devNonce);
    s.fNwkSIntKey = s.sNwkSIntKey = s.nwkSEncKey = k.nwkSKey;
    s.appSKey = k.appSKey;
    accept = buildJoinAccept10(ja, appKey);
  }
  rec.fNwkSIntKey = s.fNwkSIntKey;
  rec.sNwkSIntKey = s.sNwkSIntKey;
  rec.nwkSEncKey = s.nwkSEncKey;
  rec.appSKey = s.appSKey;
  // Durable before anything is sent: a restart after this point keeps the device joined.
  const std::string interfaceId = itf->id.str();
  store_.commitJoin(interfaceId, jr.devEui, st, rec);
  sessions_.join(*itf, s);

  cache_[key] = Cached{accept, now + settings_.dedupWindow, now + kJoinAcceptDelay1,
                       now + std::chrono::seconds(60), itf->device};
  cacheOrder_.emplace_back(now + std::chrono::seconds(60), key);

  const bool sent = downlinks_.reachable(gw);
  store_.commit([this, key, job = makeJob(itf->device, gw, rx, accept), now] {
    if (auto it = cache_.find(key); it != cache_.end()) it->second.durable = true;
    downlinks_.schedule(job, now);
  });
  metrics_.inc("joins_total{result=\"accepted\"}");
  log::info("join_accepted", {{"device", itf->device},
                              {"dev_eui", jr.devEui.toString()},
                              {"dev_addr", ja.devAddr.toString()},
                              {"dev_nonce", std::to_string(jr.devNonce)},
                              {"lorawan", v11 ? "1.1" : "1.0"},
                              {"gateway", gw.toString()}});
  if (emit_) {
    const std::string id = uuids_.next();
    nlohmann::json e{
        {"type", "join"},
        {"id", id},
        {"receivedAt", formatRfc3339Ms(wallClockMs_())},
        {"interfaceId", interfaceId},
        {"deviceIdOrSlug", itf->device},
        {"driverInstanceId",
         o.driverInstanceId.empty() ? nlohmann::json() : nlohmann::json(o.driverInstanceId)},
        {"devEui", jr.devEui.toString()},
        {"joinEui", jr.joinEui.toString()},
        {"devAddr", ja.devAddr.toString()},
        {"devNonce", jr.devNonce},
        {"gatewayEui", gw.toString()},
        {"rssi", rx.rssi},
        {"snr", rx.snr ? nlohmann::json(*rx.snr) : nlohmann::json()}};
    emit_({DeviceEventType::Join, id, itf->device, std::move(e)});
  }
  if (!sent)
    return reject(JoinVerdict::NoDownlinkPath, jr.devEui, gw,
                  "session stored; no PULL_DATA from gateway");
  return JoinVerdict::Accepted;
}

}  // namespace bridge
