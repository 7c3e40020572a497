#pragma once
// The LoRaWAN network side, assembled: the uplink pipeline (its dedup windows on one timer), the
// join server, Class A with the downlink scheduler, and codecs on a worker pool. Everything here
// runs on the network thread (`ioc`'s); codecs run beside it and post their results back.
// Results leave through NetworkHooks; nothing here knows the platform or the API.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <expected>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "bridge/core/metrics.hpp"
#include "bridge/gateway/downlink_scheduler.hpp"
#include "bridge/gateway/gateway_registry.hpp"
#include "bridge/network/class_a.hpp"
#include "bridge/network/codec_pool.hpp"
#include "bridge/network/device_event.hpp"
#include "bridge/network/join_server.hpp"
#include "bridge/network/session_registry.hpp"
#include "bridge/network/uplink_pipeline.hpp"
#include "bridge/store/store.hpp"
#include "config/config.hpp"

namespace bridge {

struct NetworkSettings {
  PipelineSettings pipeline;
  JoinSettings join;
  ClassASettings classA;
  size_t codecWorkers = 2;  // this 2-core target: codecs beside the network thread, never on it
  // Errors name the setting ("network.region: unknown band XX915").
  static std::expected<NetworkSettings, std::string> fromConfig(const config::Config& cfg);
};

struct NetworkHooks {
  // Before the batch commit of accepted uplinks: e.g. the outbox joins the transaction.
  UplinkPipeline::BeforeCommit beforeCommit;
  // An accepted uplink, durable, decoded.
  std::function<void(const Uplink&, const std::string& json)> uplink;
  std::function<void(const DeviceEvent&)> event;
  std::function<void(const Rejection&)> rejection;
  // Before Class A answers a managed device's uplink (the platform's queue is read there);
  // `answer` must then run on the network thread. Null: answer at once.
  std::function<void(const Session&, std::function<void()> answer)> beforeAnswer;
};

class NetworkServer {
 public:
  using Send = std::function<void(const boost::asio::ip::udp::endpoint&, std::span<const uint8_t>)>;

  NetworkServer(boost::asio::io_context& ioc, NetworkSettings settings, SessionRegistry& sessions,
                Store& store, GatewayRegistry& gateways, Metrics& metrics, Send send,
                NetworkHooks hooks, std::function<int64_t()> wallClockMs);
  ~NetworkServer();

  // The UDP server's handlers.
  void onRx(lorawan::Eui64 gateway, lorawan::semtech::RxPacket&& rx);
  void onTxAck(lorawan::Eui64 gateway, uint16_t token, const std::string& error);
  void afterDatagram();  // keeps one timer armed for the earliest open dedup window

  // Closes every open window: accepted uplinks are persisted and handed over, not lost.
  void close();

  ClassA& classA() { return *classA_; }

 private:
  void armTimer();
  void onUplink(const Uplink& u, const std::string& json);
  void onClassAEvent(DeviceEvent e);

  boost::asio::io_context& ioc_;
  static constexpr size_t kWindowsPerTurn = 64;
  using CloseTick = std::chrono::milliseconds;
  size_t framesSinceClose_ = 0;  // frames in since the timer last closed windows
  SessionRegistry& sessions_;
  Metrics& metrics_;
  NetworkHooks hooks_;
  std::unique_ptr<DownlinkScheduler> downlinks_;
  std::unique_ptr<UplinkPipeline> pipeline_;
  std::unique_ptr<JoinServer> joins_;
  std::unique_ptr<ClassA> classA_;
  std::unique_ptr<CodecPool> codecPool_;
  boost::asio::steady_timer windowTimer_;
  std::optional<UplinkPipeline::Clock::time_point> armedFor_;
  bool closed_ = false;
};

}  // namespace bridge
