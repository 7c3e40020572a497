// `js`: JavaScript codecs on SpiderMonkey 102. Each codec gets its own context (isolated; rebuilt
// after an error), a per-call time limit enforced by a watchdog thread through the interrupt
// callback, and a GC heap cap. Results cross the boundary as JSON text.
// JS::Rooted links itself into a per-context stack list by design; g++ 12 reports that as a
// dangling pointer once inlined.
#pragma GCC diagnostic ignored "-Wdangling-pointer"

#include <js/Array.h>
#include <js/CompilationAndEvaluation.h>
#include <js/Conversions.h>
#include <js/Initialization.h>
#include <js/SourceText.h>
#include <js/ValueArray.h>
#include <jsapi.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>
#include <unordered_map>

#include "codecs/codec.hpp"
#include "codecs/js_prelude.hpp"

namespace codecs {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

JSClass kGlobalClass = {
    "global", JSCLASS_GLOBAL_FLAGS, &JS::DefaultGlobalClassOps, nullptr, nullptr, nullptr};

// One engine per process; SpiderMonkey wants JS_Init before any context.
void initEngine() {
  static std::once_flag once;
  std::call_once(once, [] {
    JS_Init();
    // Shut the engine down before its own static destructors run (they assert it was).
    std::atexit([] { JS_ShutDown(); });
  });
}

// Peak resident memory of the process (getrusage: one cheap syscall, unlike reading /proc). A call
// may grow the peak by at most its memory cap.
size_t residentBytes() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return size_t(u.ru_maxrss) * 1024;
}

// The limits of the call running on this thread, checked in the interrupt callback. Array
// elements live outside the GC heap (JSGC_MAX_BYTES does not bound them), so memory is watched
// as the process's resident growth during the call.
struct CallLimits {
  Clock::time_point deadline;
  size_t rssAtStart = 0;
  size_t memoryBytes = 0;
  const char* stoppedFor = nullptr;  // "time" or "memory"
};
thread_local CallLimits* tCall = nullptr;

bool interruptCallback(JSContext*) {
  if (!tCall) return true;
  if (Clock::now() >= tCall->deadline) {
    tCall->stoppedFor = "time";
    return false;  // false stops the script; it cannot catch this
  }
  if (residentBytes() > tCall->rssAtStart + tCall->memoryBytes) {
    tCall->stoppedFor = "memory";
    return false;
  }
  return true;
}

// Pokes running scripts every few milliseconds so the interrupt callback can check the limits.
class Watchdog {
 public:
  static Watchdog& instance() {
    static Watchdog* w = new Watchdog();  // lives for the process: contexts may outlive statics
    return *w;
  }
  // No notify: waking the watchdog on every call costs more than the call (bench/); it ticks
  // every 5 ms on its own.
  void arm(JSContext* cx) {
    std::lock_guard lock(mutex_);
    armed_.insert(cx);
  }
  void disarm(JSContext* cx) {
    std::lock_guard lock(mutex_);
    armed_.erase(cx);
  }

 private:
  Watchdog() {
    std::thread([this] {
      std::unique_lock lock(mutex_);
      for (;;) {
        wake_.wait_for(lock, std::chrono::milliseconds(5));
        for (JSContext* cx : armed_) JS_RequestInterruptCallback(cx);
      }
    }).detach();
  }
  std::mutex mutex_;
  std::condition_variable wake_;
  std::set<JSContext*> armed_;
};

// Runs `fn` under the time and memory limits; returns why it was stopped, if it was.
template <typename F>
std::pair<bool, const char*> limited(JSContext* cx, std::chrono::milliseconds timeout,
                                     size_t memoryBytes, F&& fn) {
  CallLimits limits{Clock::now() + timeout, residentBytes(), memoryBytes, nullptr};
  tCall = &limits;
  Watchdog::instance().arm(cx);
  bool ok = fn();
  Watchdog::instance().disarm(cx);
  tCall = nullptr;
  return {ok, limits.stoppedFor};
}

// SpiderMonkey allows one JSContext per thread. Codecs are isolated from each other by their own
// global in their own compartment; a codec that failed gets a fresh global, and after an
// uncatchable failure (out of memory, interrupt) the whole thread engine is rebuilt.
struct ThreadEngine {
  JSContext* cx = nullptr;
  std::unordered_map<uint64_t, std::unique_ptr<JS::PersistentRootedObject>> globals;  // by codec id

  bool ensure(uint32_t memoryBytes) {
    if (cx) return true;
    initEngine();
    cx = JS_NewContext(memoryBytes);
    if (!cx) return false;
    JS_SetGCParameter(cx, JSGC_MAX_BYTES, memoryBytes);
    if (!JS::InitSelfHostedCode(cx)) {
      reset();
      return false;
    }
    JS_AddInterruptCallback(cx, interruptCallback);
    return true;
  }
  void drop(uint64_t codec) { globals.erase(codec); }
  // After a stop (time, memory) the context is rebuilt, but only once the interrupted call's
  // Rooted values and realm are gone: they unlink themselves from the context when destroyed.
  bool resetPending = false;
  void resetIfPending() {
    if (resetPending) reset();
  }
  void reset() {
    resetPending = false;
    globals.clear();
    if (cx) JS_DestroyContext(cx);
    cx = nullptr;
  }
  ~ThreadEngine() { reset(); }
};

ThreadEngine& threadEngine() {
  thread_local ThreadEngine engine;
  return engine;
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

class JsCodec final : public Codec {
 public:
  JsCodec(std::string file, std::string source, std::chrono::milliseconds timeout,
          uint32_t memoryBytes)
      : file_(std::move(file)),
        source_(std::move(source)),
        timeout_(timeout),
        memoryBytes_(memoryBytes) {}

  const std::string& name() const override { return name_; }

  // Compiles the codec once: syntax errors are load-time errors. The global stays for use.
  std::optional<std::string> check() const {
    ThreadEngine& e = threadEngine();
    auto err = build(e);  // every root of the build is gone when it returns
    e.resetIfPending();
    return err;
  }
  ~JsCodec() override { threadEngine().drop(id_); }

  DecodeResult decodeUplink(const UplinkInput& in) const override {
    return decodeWith("__lbDecode", in);
  }
  DecodeResult decodeDownlink(const UplinkInput& in) const override {
    return decodeWith("__lbDecodeDownlink", in);
  }

  DecodeResult decodeWith(const char* fn, const UplinkInput& in) const {
    // Arguments built natively: a JSON round trip of the input cost more than the codec (bench/).
    auto out = call(fn, [&](JSContext* cx, JS::MutableHandleValueVector args) {
      JS::RootedObject arr(cx, JS::NewArrayObject(cx, in.bytes.size()));
      if (!arr) return false;
      for (size_t k = 0; k < in.bytes.size(); ++k)
        if (!JS_DefineElement(cx, arr, uint32_t(k), int32_t(in.bytes[k]), JSPROP_ENUMERATE))
          return false;
      JSString* vars = JS_NewStringCopyUTF8N(
          cx, JS::UTF8Chars(in.variablesJson.data(), in.variablesJson.size()));
      return vars && args.append(JS::ObjectValue(*arr)) && args.append(JS::Int32Value(in.fPort)) &&
             args.append(JS::DoubleValue(double(in.recvTimeMs))) &&
             args.append(JS::StringValue(vars));
    });
    if (!out) return {std::nullopt, {out.error()}, {}};
    json r = json::parse(*out, nullptr, false);
    DecodeResult d;
    if (r.is_discarded() || !r.is_object()) {
      d.errors.push_back("js: decodeUplink returned " +
                         std::string(r.is_discarded() ? "no JSON" : r.type_name()) +
                         ", want an object with data");
      return d;
    }
    collect(r, "errors", d.errors);
    collect(r, "warnings", d.warnings);
    if (auto it = r.find("data"); it != r.end() && !it->is_null())
      d.dataJson = it->dump();
    else if (d.errors.empty())
      d.errors.push_back("js: decodeUplink returned no data");
    return d;
  }

  EncodeResult encodeDownlink(const std::string& objectJson, uint8_t fPort) const override {
    EncodeResult e;
    json data = json::parse(objectJson, nullptr, false);
    if (data.is_discarded()) {
      e.errors.push_back("downlink object is not JSON");
      return e;
    }
    const std::string input =
        json{{"data", data}, {"fPort", fPort}, {"variables", json::object()}}.dump();
    auto out = call("__lbEncode", [&](JSContext* cx, JS::MutableHandleValueVector args) {
      JSString* s = JS_NewStringCopyUTF8N(cx, JS::UTF8Chars(input.data(), input.size()));
      return s && args.append(JS::StringValue(s));
    });
    if (!out) {
      e.errors.push_back(out.error());
      return e;
    }
    json r = json::parse(*out, nullptr, false);
    if (r.is_discarded() || !r.is_object()) {
      e.errors.push_back("js: encodeDownlink returned no object");
      return e;
    }
    collect(r, "errors", e.errors);
    collect(r, "warnings", e.warnings);
    if (!e.errors.empty()) return e;
    auto bytes = r.find("bytes");
    if (bytes == r.end() || !bytes->is_array()) {
      e.errors.push_back("js: encodeDownlink returned no bytes array");
      return e;
    }
    for (const auto& b : *bytes) {
      if (!b.is_number_integer() || b.get<int64_t>() < 0 || b.get<int64_t>() > 255) {
        e.errors.push_back("js: encodeDownlink bytes must be integers 0..255");
        return e;
      }
      e.bytes.push_back(uint8_t(b.get<int>()));
    }
    if (auto p = r.find("fPort"); p != r.end() && p->is_number_integer())
      e.fPort = uint8_t(p->get<int>());
    return e;
  }

 private:
  static void collect(const json& r, const char* key, std::vector<std::string>& out) {
    auto it = r.find(key);
    if (it == r.end() || !it->is_array()) return;
    for (const auto& v : *it) out.push_back(v.is_string() ? v.get<std::string>() : v.dump());
  }

  // Creates this codec's global (prelude + script) in the thread's engine.
  std::optional<std::string> build(ThreadEngine& e) const {
    if (!e.ensure(memoryBytes_)) return "js: cannot create the engine";
    JS::RealmOptions options;
    options.creationOptions().setNewCompartmentAndZone();
    JS::RootedObject global(
        e.cx, JS_NewGlobalObject(e.cx, &kGlobalClass, nullptr, JS::FireOnNewGlobalHook, options));
    if (!global) return "js: cannot create a global";
    auto rooted = std::make_unique<JS::PersistentRootedObject>(e.cx, global);
    JSAutoRealm realm(e.cx, global);
    if (!JS::InitRealmStandardClasses(e.cx)) return "js: cannot initialise the standard classes";
    for (auto [name, code] :
         {std::pair<const char*, const std::string*>{"prelude.js", nullptr},
          std::pair<const char*, const std::string*>{file_.c_str(), &source_}}) {
      const std::string text = code ? *code : std::string(kJsPrelude);
      JS::CompileOptions opts(e.cx);
      opts.setFileAndLine(name, 1);
      JS::SourceText<mozilla::Utf8Unit> src;
      if (!src.init(e.cx, text.data(), text.size(), JS::SourceOwnership::Borrowed))
        return "js: " + pendingError(e.cx);
      JS::RootedValue rv(e.cx);
      auto [ok, stopped] =
          limited(e.cx, timeout_, memoryBytes_, [&] { return JS::Evaluate(e.cx, opts, src, &rv); });
      if (!ok) {
        std::string why = stopped
                              ? std::string("loading the script exceeded its ") + stopped + " limit"
                              : pendingError(e.cx);
        if (!stopped) return "js: " + why;
        e.resetPending = true;
        return "js: " + why;
      }
    }
    e.globals[id_] = std::move(rooted);
    return std::nullopt;
  }

  using MakeArgs = std::function<bool(JSContext*, JS::MutableHandleValueVector)>;
  std::expected<std::string, std::string> call(const char* fn, const MakeArgs& makeArgs) const {
    ThreadEngine& e = threadEngine();
    auto result = callRooted(e, fn, makeArgs);
    e.resetIfPending();  // the call's roots and realm are destroyed by now
    return result;
  }

  std::expected<std::string, std::string> callRooted(ThreadEngine& e, const char* fn,
                                                     const MakeArgs& makeArgs) const {
    if (!e.globals.count(id_)) {
      if (auto err = build(e)) return std::unexpected(*err);
    }
    JS::RootedObject global(e.cx, *e.globals[id_]);
    JSAutoRealm realm(e.cx, global);
    JS::RootedValueVector args(e.cx);
    if (!makeArgs(e.cx, &args)) return std::unexpected("js: out of memory");
    JS::RootedValue rv(e.cx);
    auto [ok, stopped] = limited(e.cx, timeout_, memoryBytes_,
                                 [&] { return JS_CallFunctionName(e.cx, global, fn, args, &rv); });
    if (!ok) {
      const bool catchable = !stopped && JS_IsExceptionPending(e.cx);
      std::string why =
          !stopped ? "js: " + pendingError(e.cx)
          : std::string(stopped) == "time"
              ? "js: time limit of " + std::to_string(timeout_.count()) + " ms exceeded"
              : "js: memory limit of " + std::to_string(memoryBytes_ >> 20) + " MiB exceeded";
      global = nullptr;
      // A failed global may be left in any state: rebuild it next time; after an uncatchable
      // failure (memory, interrupt) start the thread's engine afresh.
      if (catchable)
        e.drop(id_);
      else
        e.resetPending = true;
      return std::unexpected(why);
    }
    if (!rv.isString()) return std::unexpected("js: codec result is not serialisable");
    JS::RootedString rs(e.cx, rv.toString());
    JS::UniqueChars utf8 = JS_EncodeStringToUTF8(e.cx, rs);
    if (!utf8) return std::unexpected("js: cannot read the result");
    return std::string(utf8.get());
  }

  static inline std::atomic<uint64_t> nextId_{1};
  const uint64_t id_ = nextId_++;  // never reused, unlike an address
  std::string file_, source_;
  std::chrono::milliseconds timeout_;
  uint32_t memoryBytes_;
  std::string name_ = "js";
};

}  // namespace

std::expected<std::unique_ptr<Codec>, std::string> loadJsCodec(const std::string& file,
                                                               std::chrono::milliseconds timeout,
                                                               uint32_t memoryBytes) {
  std::ifstream f(file);
  if (!f) return std::unexpected(file + ": cannot open JavaScript codec");
  std::stringstream ss;
  ss << f.rdbuf();
  auto codec = std::make_unique<JsCodec>(file, ss.str(), timeout, memoryBytes);
  if (auto err = codec->check()) return std::unexpected(file + ": " + *err);
  return std::unique_ptr<Codec>(std::move(codec));
}

}  // namespace codecs
