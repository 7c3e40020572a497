#pragma once
// Uplink pipeline for data frames: dedup window across gateways, session lookup with MIC
// disambiguation, 32-bit FCnt rules, decryption, codec. No sockets or clocks: time is passed in,
// so tests drive it directly and the daemon drives it from the UDP server and a timer.
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>

#include "bridge/core/metrics.hpp"
#include "bridge/network/band_plan.hpp"
#include "bridge/network/device_event.hpp"
#include "bridge/network/frame_key.hpp"
#include "bridge/network/frame_ring.hpp"
#include "bridge/network/session_registry.hpp"
#include "bridge/network/uplink_event.hpp"
#include "bridge/store/store.hpp"
#include "lorawan/crypto.hpp"
#include "lorawan/phy_payload.hpp"
#include "lorawan/semtech_udp.hpp"

namespace bridge {

struct PipelineSettings {
  std::chrono::milliseconds dedupWindow{200};
  std::chrono::milliseconds lateCopyMemory{60000};
  // The same confirmed frame this long after the first copy is the device retransmitting (it
  // missed our ACK: RX2 closes ~2 s after the uplink), not a slow gateway: it is ACKed again.
  std::chrono::milliseconds retransmissionAfter{1500};
  // For the LoRaWAN 1.1 uplink MIC (TxDr, TxCh): the band and its extra channels.
  BandPlan bands;
};

// Why a frame was not forwarded; also the metric label.
enum class Verdict {
  Accepted,
  CrcBad,
  CrcMissing,
  Malformed,
  UnsupportedMType,
  UnknownDevAddr,
  BadMic,
  Disabled,
  Replay,
  FCntGap,
  Retransmission,
};
const char* toString(Verdict v);

class UplinkPipeline {
 public:
  using Clock = std::chrono::steady_clock;
  // Called once per uplink when its dedup window closes, after its state is durable.
  using Emit = std::function<void(const Uplink&, const std::string& eventJson)>;

  // A confirmed uplink seen again (same counter, same bytes): not forwarded, but ACKed again.
  using Retransmission =
      std::function<void(Session&, lorawan::Eui64 gateway, const lorawan::semtech::RxPacket&)>;

  UplinkPipeline(PipelineSettings settings, SessionRegistry& sessions, SessionStore& counters,
                 UplinkArchive& archive, Metrics& metrics, Emit emit,
                 std::function<int64_t()> wallClockMs);
  void onRetransmission(Retransmission r) { retransmission_ = std::move(r); }
  // Every rejected frame (not disabled ones or retransmissions), for live error events.
  using OnRejection = std::function<void(const Rejection&)>;
  void onRejection(OnRejection r) { rejection_ = std::move(r); }
  // Runs codecs when a window closes. Default: inline. The daemon hands them to a worker pool so
  // a slow codec never holds the network thread; `done` must then run on the pipeline's thread.
  using Decoder = std::function<void(Uplink&&, std::function<void(Uplink&&)> done)>;
  void setDecoder(Decoder d) { decoder_ = std::move(d); }
  // Called for each finished uplink just before the batch commit (the daemon adds it to the
  // durable outbox there, in the same transaction as its frame counter).
  using BeforeCommit = std::function<void(const Uplink&, const std::string& eventJson)>;
  void setBeforeCommit(BeforeCommit b) { beforeCommit_ = std::move(b); }
  void setBands(BandPlan bands) { settings_.bands = std::move(bands); }
  // Onto the pipeline's thread, later: committed uplinks are then handed on in chunks. Unset
  // (tests), all at once.
  void setPost(std::function<void(std::function<void()>)> post) { post_ = std::move(post); }

  // One rxpk from one gateway. Returns the verdict of the first copy of this frame (copies
  // return the verdict of the frame they belong to, late ones nullopt).
  std::optional<Verdict> onRxPacket(lorawan::Eui64 gateway, lorawan::semtech::RxPacket&& p,
                                    Clock::time_point now);
  // Closes every window due by `now`: persists, then emits.
  // At most `maxWindows` of them: the caller comes back for the rest (nextDeadline() is past),
  // so a backlog is closed in slices between reads of the socket, never in one long turn.
  void closeDue(Clock::time_point now, size_t maxWindows = SIZE_MAX);
  std::optional<Clock::time_point> nextDeadline() const;
  size_t pending() const { return pending_.size(); }

 private:
  struct Pending {
    Clock::time_point deadline;
    Clock::time_point firstSeen;
    Verdict verdict = Verdict::Accepted;
    std::optional<Uplink> uplink;  // set when accepted
  };
  Verdict process(const lorawan::Bytes& phy, const lorawan::semtech::RxPacket& p,
                  lorawan::Eui64 gateway, Pending& out);
  std::vector<lorawan::MacCommand> logMacCommands(const Session& s, const char* where,
                                                  const lorawan::Bytes& bytes);
  void addRx(Uplink& u, lorawan::Eui64 gateway, const lorawan::semtech::RxPacket& p);
  void reject(Verdict v, const lorawan::Bytes& phy, lorawan::Eui64 gw, const std::string& detail,
              const Session* s = nullptr);
  void pruneLateMemory(Clock::time_point now);
  bool micMatches(const Session& s, const lorawan::PhyPayload& phy, std::span<const uint8_t> msg,
                  uint32_t fcnt, lorawan::Eui64 gw, const lorawan::semtech::RxPacket& p) const;

  PipelineSettings settings_;
  SessionRegistry& sessions_;
  SessionStore& counters_;
  UplinkArchive& archive_;
  Metrics& metrics_;
  // What every uplink counts, registered once.
  Counter received_, copies_, lateCopies_, accepted_;
  Emit emit_;
  Retransmission retransmission_;
  OnRejection rejection_;
  Decoder decoder_;
  BeforeCommit beforeCommit_;
  void finish(std::vector<Uplink> batch);
  void accepted(const Uplink& u, const std::string& json);  // once durable
  void emitDurable();
  std::function<int64_t()> wallClockMs_;
  UuidGenerator uuids_;
  std::function<void(std::function<void()>)> post_;
  static constexpr size_t kEmitChunk = 64;
  std::deque<std::pair<Uplink, std::string>> durable_;  // committed, not yet handed on
  bool emitPosted_ = false;

  FrameKeys frameKeys_;
  mutable lorawan::crypto::Cmac cmac_;  // reused for every MIC (micMatches is const)
  lorawan::crypto::Aes aes_;            // and for every FRMPayload
  // Open windows by frameKeys_(PHYPayload), in the order they close (arrival order).
  FrameRing<Pending> pending_;
  struct Recent {
    Clock::time_point expires;
    Clock::time_point firstSeen;
  };
  FrameRing<Recent> recent_;  // closed windows, for late copies, in the order they expire
  // Accepted confirmed uplinks among recent_: the interface, to ACK a retransmission again.
  std::unordered_map<uint64_t, std::string> confirmedBy_;
};

uint64_t frameHash(std::span<const uint8_t> bytes);

}  // namespace bridge
