#pragma once
// The SpiderMonkey side of JavaScript codecs: one engine (JSContext) per thread, a global per
// codec in its own zone, and the limits a call runs under. SpiderMonkey allows one context per
// thread; codecs are isolated from each other by their globals, and a codec that was stopped is
// rebuilt alone.
#include <js/experimental/JSStencil.h>
#include <jsapi.h>
#include <mozilla/RefPtr.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

namespace codecs::js {

enum class Stop { None, Time, Memory };

struct Limits {
  std::chrono::milliseconds timeout;
  size_t memoryBytes;  // the codec's zone: GC things and the memory they own (elements, chars)
};

class ThreadEngine {
 public:
  static ThreadEngine& current();  // this thread's
  ~ThreadEngine();

  JSContext* cx();  // created on first use; nullptr when the engine cannot start
  JSObject* global(uint64_t codec) const;
  void keep(uint64_t codec, JSObject* global);
  // Forgets a codec's global and collects its zone (after a stop: the memory goes back now). Its
  // compiled scripts stay, so the rebuild does not parse again.
  void drop(uint64_t codec);
  // The codec is gone: its global and its compiled scripts.
  void forget(uint64_t codec);
  // A codec that was destroyed: every thread's engine forgets it on its next call, so interfaces
  // reloaded with new codecs do not leave the old ones on the worker threads.
  static void retire(uint64_t codec);
  // Forgets what was retired since this engine last looked (one relaxed load when nothing was).
  void purgeRetired();
  size_t codecsHeld() const { return globals_.size() + stencils_.size(); }
  // A script compiled once for this thread's runtime (key: the codec id, 0 for the prelude).
  JS::Stencil* stencil(uint64_t key) const;
  void keepStencil(uint64_t key, already_AddRefed<JS::Stencil> stencil);

  // Runs `fn` (a JS call in `global`'s realm) under `limits`; `ok` is its result.
  template <typename F>
  Stop run(JS::HandleObject global, const Limits& limits, bool& ok, F&& fn) {
    begin(global, limits);
    ok = fn();
    return end();
  }

 private:
  void begin(JS::HandleObject global, const Limits& limits);
  Stop end();

  JSContext* cx_ = nullptr;
  std::unordered_map<uint64_t, std::unique_ptr<JS::PersistentRootedObject>> globals_;
  std::unordered_map<uint64_t, RefPtr<JS::Stencil>> stencils_;
  size_t retiredSeen_ = 0;
};

// The pending exception as text (and cleared), or why there is none.
std::string pendingError(JSContext* cx);

}  // namespace codecs::js
