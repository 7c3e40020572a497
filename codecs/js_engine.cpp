// JS::Rooted links itself into a per-context stack list by design; g++ 12 reports that as a
// dangling pointer once inlined.
#pragma GCC diagnostic ignored "-Wdangling-pointer"

#include "codecs/js_engine.hpp"

#include <js/Conversions.h>
#include <js/Initialization.h>
#include <js/MemoryMetrics.h>
#include <jsfriendapi.h>
#include <malloc.h>

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

namespace codecs::js {
namespace {

// One engine per process; SpiderMonkey wants JS_Init before any context.
void initEngine() {
  static std::once_flag once;
  std::call_once(once, [] {
    JS_Init();
    // Shut the engine down before its own static destructors run (they assert it was).
    std::atexit([] { JS_ShutDown(); });
  });
}

using Clock = std::chrono::steady_clock;

// The watchdog's last tick, in steady-clock nanoseconds: a call's start time without a
// clock_gettime per call (a call may start up to a tick "earlier" than it did).
std::atomic<int64_t> gTickNs{0};
int64_t nowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

// The call running on this thread, read by the interrupt callback (which runs on it too).
struct Call {
  int64_t startNs = 0;
  int64_t allowedNs = 0;
  int64_t nextWalkNs = 0;
  size_t memoryBytes = 0;
  JSObject* const* global = nullptr;  // a rooted location: a compacting GC may move the object
  Stop stopped = Stop::None;
};
thread_local Call* tCall = nullptr;

size_t mallocSize(const void* p) {
  return malloc_usable_size(const_cast<void*>(p));
}

// What the codec's zone holds: its GC things and what they own outside the GC heap (array
// elements, string characters). It walks the zone, so it runs only from the watchdog's ticks
// (calls longer than a tick), and at most a tenth of the time: between walks the zone's GC heap,
// which is cheap to read, is checked every tick.
size_t zoneBytes(JSContext* cx, JS::HandleObject global) {
  JS::TabSizes sizes;
  if (!JS::AddSizeOfTab(cx, global, mallocSize, nullptr, &sizes)) return 0;
  return sizes.objects_ + sizes.strings_ + sizes.private_ + sizes.other_;
}

bool interruptCallback(JSContext* cx) {
  Call* call = tCall;
  if (!call) return true;
  if (nowNs() - call->startNs >= call->allowedNs) {
    call->stopped = Stop::Time;
    return false;  // false stops the script; it cannot catch this
  }
  JS::HandleObject global = JS::HandleObject::fromMarkedLocation(call->global);
  size_t used = ::js::GetGCHeapUsageForObjectZone(global);
  const int64_t now = nowNs();
  if (used <= call->memoryBytes && now >= call->nextWalkNs) {
    used = zoneBytes(cx, global);
    const int64_t took = nowNs() - now;
    call->nextWalkNs = now + 10 * took;
  }
  if (used > call->memoryBytes) {
    call->stopped = Stop::Memory;
    return false;
  }
  return true;
}

// Pokes the contexts that are running a call, every tick, so the interrupt callback can check
// the limits. A call only flips its engine's `busy` flag: no lock, no wake-up per call.
class Watchdog {
 public:
  static constexpr auto kTick = std::chrono::milliseconds(2);
  static Watchdog& instance() {
    static Watchdog* w = new Watchdog();  // lives for the process: contexts may outlive statics
    return *w;
  }
  std::atomic<bool>* enroll(JSContext* cx) {
    std::lock_guard lock(mutex_);
    auto* busy = new std::atomic<bool>(false);
    engines_.push_back({cx, busy});
    return busy;
  }
  void withdraw(JSContext* cx) {
    std::lock_guard lock(mutex_);
    std::erase_if(engines_, [&](const Entry& e) {
      if (e.cx != cx) return false;
      delete e.busy;
      return true;
    });
  }

 private:
  struct Entry {
    JSContext* cx;
    std::atomic<bool>* busy;
  };
  Watchdog() {
    std::thread([this] {
      for (;;) {
        std::this_thread::sleep_for(kTick);
        gTickNs.store(nowNs(), std::memory_order_relaxed);
        std::lock_guard lock(mutex_);
        for (const Entry& e : engines_)
          if (e.busy->load(std::memory_order_relaxed)) JS_RequestInterruptCallback(e.cx);
      }
    }).detach();
  }
  std::mutex mutex_;
  std::vector<Entry> engines_;
};

thread_local std::atomic<bool>* tBusy = nullptr;

// Codec ids destroyed so far, in order; each engine remembers how far it has read.
std::mutex gRetiredMutex;
std::vector<uint64_t> gRetired;
std::atomic<size_t> gRetiredCount{0};

}  // namespace

ThreadEngine& ThreadEngine::current() {
  thread_local ThreadEngine engine;
  return engine;
}

JSContext* ThreadEngine::cx() {
  if (cx_) return cx_;
  initEngine();
  // The runtime's GC heap bound is a backstop for all codecs of this thread; each codec's own
  // limit is checked on its zone.
  cx_ = JS_NewContext(1u << 30);
  if (!cx_) return nullptr;
  if (!JS::InitSelfHostedCode(cx_)) {
    JS_DestroyContext(cx_);
    cx_ = nullptr;
    return nullptr;
  }
  JS_AddInterruptCallback(cx_, interruptCallback);
  tBusy = Watchdog::instance().enroll(cx_);
  return cx_;
}

ThreadEngine::~ThreadEngine() {
  globals_.clear();
  stencils_.clear();
  if (!cx_) return;
  Watchdog::instance().withdraw(cx_);
  tBusy = nullptr;
  JS_DestroyContext(cx_);
}

JSObject* ThreadEngine::global(uint64_t codec) const {
  auto it = globals_.find(codec);
  return it == globals_.end() ? nullptr : it->second->get();
}

void ThreadEngine::keep(uint64_t codec, JSObject* global) {
  globals_[codec] = std::make_unique<JS::PersistentRootedObject>(cx_, global);
}

void ThreadEngine::drop(uint64_t codec) {
  globals_.erase(codec);
  if (cx_) JS_GC(cx_);
}

void ThreadEngine::forget(uint64_t codec) {
  globals_.erase(codec);
  stencils_.erase(codec);
}

void ThreadEngine::retire(uint64_t codec) {
  std::lock_guard lock(gRetiredMutex);
  gRetired.push_back(codec);
  gRetiredCount.store(gRetired.size(), std::memory_order_release);
}

void ThreadEngine::purgeRetired() {
  if (gRetiredCount.load(std::memory_order_acquire) == retiredSeen_) return;
  std::lock_guard lock(gRetiredMutex);
  for (; retiredSeen_ < gRetired.size(); ++retiredSeen_) forget(gRetired[retiredSeen_]);
}

JS::Stencil* ThreadEngine::stencil(uint64_t key) const {
  auto it = stencils_.find(key);
  return it == stencils_.end() ? nullptr : it->second.get();
}

void ThreadEngine::keepStencil(uint64_t key, already_AddRefed<JS::Stencil> stencil) {
  stencils_[key] = std::move(stencil);
}

void ThreadEngine::begin(JS::HandleObject global, const Limits& limits) {
  static thread_local Call call;
  // Stopped in the first tick after its time is up (the interrupt callback reads the clock). The
  // handle's Rooted lives in the caller's frame for the whole call.
  int64_t start = gTickNs.load(std::memory_order_relaxed);
  if (start == 0) start = nowNs();
  call = Call{start,
              std::chrono::duration_cast<std::chrono::nanoseconds>(limits.timeout).count(),
              0,
              limits.memoryBytes,
              global.address(),
              Stop::None};
  tCall = &call;
  tBusy->store(true, std::memory_order_relaxed);
}

Stop ThreadEngine::end() {
  tBusy->store(false, std::memory_order_relaxed);
  Stop s = tCall->stopped;
  tCall = nullptr;
  return s;
}

std::string pendingError(JSContext* cx) {
  if (!JS_IsExceptionPending(cx)) return "uncatchable error (out of memory or interrupted)";
  JS::RootedValue exc(cx);
  if (!JS_GetPendingException(cx, &exc)) return "unknown exception";
  JS_ClearPendingException(cx);
  JS::RootedString s(cx, JS::ToString(cx, exc));
  if (!s) return "exception (not convertible to text)";
  JS::UniqueChars utf8 = JS_EncodeStringToUTF8(cx, s);
  return utf8 ? utf8.get() : "exception";
}

}  // namespace codecs::js
