#pragma once
// Class A downlinks: after each uplink of a managed device, one frame in RX1 (RX2 on a TX_ACK
// error) carrying the ACK of a confirmed uplink, MAC answers (LinkCheckAns, DeviceTimeAns) and
// the oldest queued payload. FCntDown is durable before the frame leaves and never reused.
#include <chrono>
#include <expected>
#include <functional>
#include <map>
#include <string>

#include "bridge/core/metrics.hpp"
#include "bridge/gateway/downlink_scheduler.hpp"
#include "bridge/network/band_plan.hpp"
#include "bridge/network/device_event.hpp"
#include "bridge/network/network_context.hpp"
#include "bridge/network/session_registry.hpp"
#include "bridge/network/uplink_event.hpp"
#include "bridge/store/store.hpp"

namespace bridge {

struct ClassASettings {
  BandPlan bands;
  uint8_t rx1DrOffset = 0;
  uint8_t rx1DelaySeconds = 1;
  uint32_t maxConfirmedAttempts =
      3;  // a confirmed downlink without ACK is sent this often, then failed
};

struct EnqueueError {
  int status;  // 400 or 404, for the API
  std::string message;
};

class ClassA {
 public:
  using Clock = std::chrono::steady_clock;
  // (device, event id, event JSON) for the platform's events endpoint.
  using Emit = std::function<void(DeviceEvent)>;

  ClassA(ClassASettings settings, const NetworkContext& ctx, DownlinkQueue& queue,
         SessionStore& counters, Emit emit);

  // After an accepted uplink's dedup window closed (its state is durable).
  void afterUplink(const Uplink& u, Clock::time_point now);
  // A retransmitted confirmed uplink: the ACK again (a new FCntDown).
  void ackAgain(Session& s, lorawan::Eui64 gateway, const lorawan::semtech::RxPacket& rx,
                Clock::time_point now);
  // Gateway's verdict on a frame we sent (via the scheduler).
  void onOutcome(const DownlinkJob& job, DownlinkResult r, const std::string& error);
  // A downlink object through the device's codec (encodeDownlink) for `fPort`.
  std::expected<codecs::EncodeResult, EnqueueError> encode(const std::string& device, int fport,
                                                           const std::string& objectJson);
  // Queues a payload for the device's next uplink; returns its id. `platformId`: the id of a
  // downlink fetched from the platform's queue (its status goes back there).
  std::expected<std::string, EnqueueError> enqueue(const std::string& device, int fport,
                                                   const lorawan::Bytes& data, bool confirmed,
                                                   const std::string& platformId = "");
  // Cancels the interface's queued downlinks (not one already sent and awaiting its ACK);
  // returns them. Each gets a "cancelled" downlink event.
  std::vector<QueuedDownlink> cancelQueued(const std::string& device,
                                           const std::string& interfaceId);
  // Called for every status change of a downlink that came from the platform's queue.
  using StatusReport = std::function<void(const std::string& device, const QueuedDownlink&,
                                          const std::string& status, const std::string& detail)>;
  void onPlatformStatus(StatusReport report) { statusReport_ = std::move(report); }

 private:
  struct Frame {
    bool confirmed = false;
    bool ack = false;
    bool fPending = false;
    lorawan::Bytes fopts;
    std::optional<uint8_t> fport;
    lorawan::Bytes payload;
  };
  void send(Session& s, const Frame& f, lorawan::Eui64 gw, uint32_t upTmst, uint64_t upFreqHz,
            const std::string& upDatr, uint32_t confFCnt, const std::string& downlinkId,
            Clock::time_point now);
  const lorawan::region::Band& bandFor(lorawan::Eui64 gw) const;
  lorawan::Bytes macAnswers(const Uplink& u, Session& s);
  void adr(const Uplink& u, Session& s, std::vector<lorawan::MacCommand>& answers);
  void event(const std::string& device, const std::string& interfaceId, const std::string& status,
             const QueuedDownlink& d, const std::string& detail);

  ClassASettings settings_;
  SessionRegistry& sessions_;
  DownlinkQueue& queue_;
  SessionStore& counters_;
  DownlinkScheduler& downlinks_;
  Metrics& metrics_;
  Emit emit_;
  StatusReport statusReport_;
  std::function<int64_t()> wallClockMs_;
  UuidGenerator uuids_;
};

}  // namespace bridge
