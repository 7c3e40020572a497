#include "bridge/network/network_server.hpp"

#include <algorithm>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <random>

#include "bridge/network/device_status.hpp"

namespace bridge {

namespace asio = boost::asio;

std::expected<NetworkSettings, std::string> NetworkSettings::fromConfig(const config::Config& cfg) {
  auto bands = BandPlan::fromConfig(cfg);
  if (!bands) return std::unexpected(bands.error());
  NetworkSettings s;
  s.pipeline.dedupWindow = std::chrono::milliseconds(cfg.dedupWindowMs);
  s.pipeline.lateCopyMemory = std::chrono::milliseconds(cfg.lateCopyMemoryMs);
  s.pipeline.bands = *bands;
  s.join.netId = cfg.netId;
  s.join.bands = *bands;
  s.join.rx1DrOffset = cfg.rx1DrOffset;
  s.join.rx1DelaySeconds = cfg.rx1DelaySeconds;
  s.join.subBand = cfg.subBand;
  s.join.dedupWindow = std::chrono::milliseconds(cfg.dedupWindowMs);
  s.classA.bands = *bands;
  s.classA.rx1DrOffset = cfg.rx1DrOffset;
  s.classA.rx1DelaySeconds = cfg.rx1DelaySeconds;
  return s;
}

NetworkServer::NetworkServer(asio::io_context& ioc, NetworkSettings settings,
                             SessionRegistry& sessions, Store& store, GatewayRegistry& gateways,
                             Metrics& metrics, Send send, NetworkHooks hooks,
                             std::function<int64_t()> wallClockMs)
    : ioc_(ioc),
      sessions_(sessions),
      metrics_(metrics),
      hooks_(std::move(hooks)),
      codecPool_(std::make_unique<CodecPool>(settings.codecWorkers)),
      windowTimer_(ioc) {
  downlinks_ = std::make_unique<DownlinkScheduler>(
      gateways, std::move(send), metrics,
      [this](const DownlinkJob& job, DownlinkResult r, const std::string& error) {
        if (classA_) classA_->onOutcome(job, r, error);
      });
  pipeline_ = std::make_unique<UplinkPipeline>(
      settings.pipeline, sessions, store, store, metrics,
      [this](const Uplink& u, const std::string& json) { onUplink(u, json); }, wallClockMs);
  pipeline_->setPost([this](std::function<void()> f) { boost::asio::post(ioc_, std::move(f)); });
  const NetworkContext ctx{sessions, *downlinks_, metrics, wallClockMs};
  joins_ = std::make_unique<JoinServer>(
      settings.join, ctx, store,
      [this](DeviceEvent e) {
        if (hooks_.event) hooks_.event(e);
      },
      std::random_device{}());
  classA_ = std::make_unique<ClassA>(settings.classA, ctx, store, store,
                                     [this](DeviceEvent e) { onClassAEvent(std::move(e)); });
  if (hooks_.beforeCommit) pipeline_->setBeforeCommit(hooks_.beforeCommit);
  if (hooks_.rejection) {
    pipeline_->onRejection(hooks_.rejection);
    joins_->onRejection(hooks_.rejection);
  }
  pipeline_->onRetransmission(
      [this](Session& s, lorawan::Eui64 gw, const lorawan::semtech::RxPacket& rx) {
        classA_->ackAgain(s, gw, rx, DownlinkScheduler::Clock::now());
      });
  pipeline_->setDecoder([this](Uplink&& u, std::function<void(Uplink&&)> done) {
    auto guard = asio::make_work_guard(ioc_);  // the loop runs until every result is back
    auto shared = std::make_shared<Uplink>(std::move(u));
    codecPool_->run(shared->interfaceId, [this, shared, done = std::move(done),
                                          guard = std::move(guard)]() mutable {
      const auto started = std::chrono::steady_clock::now();
      decodePayload(*shared);
      if (shared->codecName != "raw")
        metrics_.observe(
            "codec_seconds",
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
      asio::post(ioc_, [shared, done = std::move(done), guard = std::move(guard)]() mutable {
        done(std::move(*shared));
      });
    });
  });
}

NetworkServer::~NetworkServer() = default;

void NetworkServer::onRx(lorawan::Eui64 gw, lorawan::semtech::RxPacket&& rx) {
  const auto now = UplinkPipeline::Clock::now();
  // Joins are answered at once (the JoinAccept must leave within milliseconds); copies are
  // recognised by the join server's cache, not by the uplink dedup window.
  if (!rx.phyPayload.empty() && rx.crcStatus == 1 &&
      (rx.phyPayload[0] >> 5) == uint8_t(lorawan::MType::JoinRequest)) {
    metrics_.inc("uplinks_received_total");
    joins_->onJoinRequest(gw, rx, now);
    return;
  }
  ++framesSinceClose_;
  pipeline_->onRxPacket(gw, std::move(rx), now);
}

void NetworkServer::onTxAck(lorawan::Eui64 gw, uint16_t token, const std::string& error) {
  downlinks_->onTxAck(gw, token, error, DownlinkScheduler::Clock::now());
}

void NetworkServer::afterDatagram() {
  // A datagram read before the socket closed, handled after: no window waits any more.
  if (closed_) return pipeline_->closeDue(UplinkPipeline::Clock::time_point::max());
  armTimer();
}

void NetworkServer::armTimer() {
  auto due = pipeline_->nextDeadline();
  if (closed_ || !due) return;
  // Windows close on a millisecond tick: under load a window closes every few microseconds,
  // and a timer armed for each one cost a timerfd_settime and a wake-up per uplink.
  const UplinkPipeline::Clock::time_point next{
      std::chrono::ceil<CloseTick>(due->time_since_epoch())};
  if (armedFor_ && *armedFor_ <= next) return;
  armedFor_ = next;
  windowTimer_.expires_at(next);
  windowTimer_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    armedFor_.reset();
    // A slice per turn: under load a backlog of windows once took 100 ms in one turn, and the
    // more it took the more was due next time (the PUSH_ACK tail grew with the dedup window).
    // Twice what came in meanwhile (at least 128): a backlog drains, and a turn stays about
    // as long as the reading turns around it.
    pipeline_->closeDue(UplinkPipeline::Clock::now(),
                        std::max(kWindowsPerTurn, 2 * framesSinceClose_));
    framesSinceClose_ = 0;
    armTimer();
  });
}

void NetworkServer::close() {
  closed_ = true;
  windowTimer_.cancel();
  pipeline_->closeDue(UplinkPipeline::Clock::time_point::max());
}

void NetworkServer::onUplink(const Uplink& u, const std::string& json) {
  Session* s = sessions_.byInterfaceId(u.interfaceId);
  if (s) noteUplink(*s, u);
  // The uplink is copied only when the answer waits (for the platform's queue).
  if (hooks_.beforeAnswer && s && s->profile->managed)
    hooks_.beforeAnswer(*s,
                        [this, u] { classA_->afterUplink(u, DownlinkScheduler::Clock::now()); });
  else
    classA_->afterUplink(u, DownlinkScheduler::Clock::now());
  if (hooks_.uplink) hooks_.uplink(u, json);
  if (u.fcntReset && hooks_.event) hooks_.event(fcntResetEvent(u));
}

void NetworkServer::onClassAEvent(DeviceEvent e) {
  if (e.type == DeviceEventType::Status)
    if (Session* s = sessions_.anyOfDevice(e.device); s && s->active) noteDevStatus(*s, e.body);
  if (hooks_.event) hooks_.event(e);
}

}  // namespace bridge
