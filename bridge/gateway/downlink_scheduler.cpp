#include "bridge/gateway/downlink_scheduler.hpp"

#include "bridge/core/log.hpp"

namespace bridge {

using namespace lorawan;

DownlinkScheduler::DownlinkScheduler(GatewayRegistry& gateways, Send send, Metrics& metrics,
                                     Outcome outcome)
    : gateways_(gateways),
      send_(std::move(send)),
      metrics_(metrics),
      outcome_(std::move(outcome)) {}

bool DownlinkScheduler::schedule(DownlinkJob job, Clock::time_point now) {
  prune(now);
  if (job.rx1.dataRate.empty() && job.rx2) return transmit(job, *job.rx2, true, now);
  return transmit(job, job.rx1, false, now);
}

bool DownlinkScheduler::reachable(lorawan::Eui64 gateway) const {
  auto gw = gateways_.find(gateway);
  return gw && gw->pullAddress;
}

bool DownlinkScheduler::transmit(const DownlinkJob& job, const semtech::TxPacket& tx, bool rx2,
                                 Clock::time_point now) {
  auto gw = gateways_.find(job.gateway);
  if (!gw || !gw->pullAddress) {
    metrics_.inc("downlinks_total{result=\"no_gateway_path\"}");
    log::warn("downlink_unroutable", {{"kind", job.kind},
                                      {"device", job.device},
                                      {"gateway", job.gateway.toString()},
                                      {"reason", "no PULL_DATA from this gateway yet"}});
    return false;
  }
  uint16_t token = nextToken_++;
  if (nextToken_ == 0) nextToken_ = 1;
  Bytes dg = semtech::makePullResp(gw->protocolVersion, token, semtech::txpkJson(tx));
  send_(*gw->pullAddress, dg);
  pending_[token] = Pending{job, rx2, now};
  metrics_.inc(std::string("downlinks_total{result=\"sent\",window=\"") + (rx2 ? "rx2" : "rx1") +
               "\"}");
  log::info("downlink_sent", {{"kind", job.kind},
                              {"device", job.device},
                              {"gateway", job.gateway.toString()},
                              {"window", rx2 ? "rx2" : "rx1"},
                              {"tmst", std::to_string(tx.tmst)},
                              {"freq", std::to_string(tx.frequencyHz)},
                              {"datr", tx.dataRate}});
  return true;
}

void DownlinkScheduler::onTxAck(Eui64 gateway, uint16_t token, const std::string& error,
                                Clock::time_point now) {
  auto it = pending_.find(token);
  if (it == pending_.end() || it->second.job.gateway != gateway) {
    metrics_.inc("tx_acks_unmatched_total");
    return;
  }
  Pending p = std::move(it->second);
  pending_.erase(it);
  if (error == "NONE" || error.empty()) {
    metrics_.inc("downlinks_total{result=\"acked\"}");
    if (outcome_) outcome_(p.job, DownlinkResult::Acked, "");
    return;
  }
  metrics_.inc("downlinks_total{result=\"tx_error\",error=\"" + error + "\"}");
  log::warn("downlink_tx_error", {{"kind", p.job.kind},
                                  {"device", p.job.device},
                                  {"gateway", gateway.toString()},
                                  {"error", error},
                                  {"window", p.onRx2 ? "rx2" : "rx1"}});
  // RX2 is still ahead when the error came back well before RX2 opens.
  const bool rx2InTime = now - p.sentAt < p.job.rx2After - std::chrono::milliseconds(100);
  if (!p.onRx2 && p.job.rx2 && rx2InTime && transmit(p.job, *p.job.rx2, true, now)) {
    if (outcome_) outcome_(p.job, DownlinkResult::RetriedOnRx2, error);
    return;
  }
  if (outcome_) outcome_(p.job, DownlinkResult::Failed, error);
}

void DownlinkScheduler::prune(Clock::time_point now) {
  // Gateways that never answer TX_ACK (v1 forwarders) must not grow the table.
  if (pending_.size() < 4096) return;
  for (auto it = pending_.begin(); it != pending_.end();)
    it = now - it->second.sentAt > std::chrono::seconds(30) ? pending_.erase(it) : std::next(it);
}

}  // namespace bridge
