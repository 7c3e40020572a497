// `js`: JavaScript codecs on SpiderMonkey 102 (engine, limits: js_engine.hpp). The bridge calls
// the codec's own functions (TS013 decodeUplink / encodeDownlink / decodeDownlink, TTN legacy
// Decoder / Encoder, ChirpStack v3 Decode / Encode) with input objects built through the engine's
// API and reads the result the same way: no JSON text round trip of the input, no dispatcher a
// script could replace, and `JSON.stringify` overridden by a codec changes only that codec.
// JS::Rooted links itself into a per-context stack list by design; g++ 12 reports that as a
// dangling pointer once inlined.
#pragma GCC diagnostic ignored "-Wdangling-pointer"

#include <js/Array.h>
#include <js/CallAndConstruct.h>
#include <js/CompilationAndEvaluation.h>
#include <js/Conversions.h>
#include <js/Date.h>
#include <js/JSON.h>
#include <js/PropertyAndElement.h>
#include <js/SourceText.h>
#include <js/ValueArray.h>
#include <js/experimental/JSStencil.h>
#include <jsapi.h>

#include <atomic>
#include <cctype>
#include <cstring>
#include <fstream>
#include <sstream>

#include "codecs/codec.hpp"
#include "codecs/js_engine.hpp"
#include "codecs/js_prelude.hpp"

namespace codecs {
namespace {

JSClass kGlobalClass = {
    "global", JSCLASS_GLOBAL_FLAGS, &JS::DefaultGlobalClassOps, nullptr, nullptr, nullptr};

// UTF-16 from the engine -> UTF-8 (a lone surrogate becomes U+FFFD).
void appendUtf8(std::string& out, const char16_t* s, size_t n) {
  size_t i = 0;
  const size_t at = out.size();
  out.resize(at + n);  // the ASCII prefix in place, the common case
  while (i < n && s[i] < 0x80) {
    out[at + i] = char(s[i]);
    ++i;
  }
  out.resize(at + i);
  for (; i < n; ++i) {
    uint32_t c = s[i];
    if (c < 0x80) {
      out.push_back(char(c));
      continue;
    }
    if (c >= 0xD800 && c <= 0xDBFF && i + 1 < n && s[i + 1] >= 0xDC00 && s[i + 1] <= 0xDFFF)
      c = 0x10000 + ((c - 0xD800) << 10) + (s[++i] - 0xDC00);
    else if (c >= 0xD800 && c <= 0xDFFF)
      c = 0xFFFD;
    if (c < 0x800) {
      out.push_back(char(0xC0 | (c >> 6)));
    } else if (c < 0x10000) {
      out.push_back(char(0xE0 | (c >> 12)));
      out.push_back(char(0x80 | ((c >> 6) & 0x3F)));
    } else {
      out.push_back(char(0xF0 | (c >> 18)));
      out.push_back(char(0x80 | ((c >> 12) & 0x3F)));
      out.push_back(char(0x80 | ((c >> 6) & 0x3F)));
    }
    out.push_back(char(0x80 | (c & 0x3F)));
  }
}

bool writeJson(const char16_t* buf, uint32_t len, void* data) {
  appendUtf8(*static_cast<std::string*>(data), buf, len);
  return true;
}

// The engine's own JSON serialiser (not the script's `JSON.stringify`). Empty for undefined and
// functions, which JSON has no text for.
bool toJson(JSContext* cx, JS::HandleValue v, std::string& out) {
  JS::RootedValue value(cx, v);
  return JS_Stringify(cx, &value, nullptr, JS::UndefinedHandleValue, writeJson, &out);
}

std::string toText(JSContext* cx, JS::HandleValue v) {
  if (v.isString()) {
    JS::RootedString s(cx, v.toString());
    JS::UniqueChars utf8 = JS_EncodeStringToUTF8(cx, s);
    return utf8 ? utf8.get() : "";
  }
  std::string json;
  if (!toJson(cx, v, json)) JS_ClearPendingException(cx);
  return json;
}

bool get(JSContext* cx, JS::HandleObject o, const char* name, JS::MutableHandleValue out) {
  return JS_GetProperty(cx, o, name, out);
}

// The property names of every call, atomised once per engine: a name given as `const char*` is
// hashed and looked up in the atom table on every use.
struct Keys {
  JSContext* cx = nullptr;
  jsid bytes, fPort, recvTime, variables, data, errors, warnings;
  jsid fn[3][3];  // [routine][convention]; JS::PropertyKey::Void() where there is none
};
const Keys& keys(JSContext* cx) {
  thread_local Keys k;
  if (k.cx == cx) return k;
  auto atom = [&](const char* name) {
    JSString* s = name ? JS_AtomizeAndPinString(cx, name) : nullptr;
    return s ? JS::PropertyKey::fromPinnedString(s) : JS::PropertyKey::Void();
  };
  k.bytes = atom("bytes");
  k.fPort = atom("fPort");
  k.recvTime = atom("recvTime");
  k.variables = atom("variables");
  k.data = atom("data");
  k.errors = atom("errors");
  k.warnings = atom("warnings");
  const char* names[3][3] = {{"decodeUplink", "Decoder", "Decode"},
                             {"encodeDownlink", "Encoder", "Encode"},
                             {"decodeDownlink", nullptr, nullptr}};
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 3; ++c) k.fn[r][c] = atom(names[r][c]);
  k.cx = cx;
  return k;
}
// Pinned atoms never move or die while the engine lives.
JS::HandleId key(const jsid& id) {
  return JS::HandleId::fromMarkedLocation(&id);
}
bool get(JSContext* cx, JS::HandleObject o, const jsid& id, JS::MutableHandleValue out) {
  return JS_GetPropertyById(cx, o, key(id), out);
}
bool define(JSContext* cx, JS::HandleObject o, const jsid& id, JS::HandleValue v) {
  return JS_DefinePropertyById(cx, o, key(id), v, JSPROP_ENUMERATE);
}

// `errors` / `warnings` of a result: an array of texts.
bool collect(JSContext* cx, JS::HandleObject r, const jsid& id, std::vector<std::string>& out) {
  JS::RootedValue v(cx);
  if (!get(cx, r, id, &v)) return false;
  bool isArray = false;
  if (!v.isObject() || !JS::IsArrayObject(cx, v, &isArray) || !isArray) return true;
  JS::RootedObject a(cx, &v.toObject());
  uint32_t n = 0;
  if (!JS::GetArrayLength(cx, a, &n)) return false;
  JS::RootedValue e(cx);
  for (uint32_t i = 0; i < n; ++i) {
    if (!JS_GetElement(cx, a, i, &e)) return false;
    out.push_back(toText(cx, e));
  }
  return true;
}

const char* typeName(JS::HandleValue v) {
  return v.isNull() ? "null" : JS::InformalValueTypeName(v);
}

// An array-like (Array, Uint8Array, Buffer) -> a plain Array of its elements, so the engine's
// JSON gives [1,2] and not {"0":1,"1":2}.
bool plainArray(JSContext* cx, JS::MutableHandleValue v) {
  if (!v.isObject()) return true;
  bool isArray = false;
  if (!JS::IsArrayObject(cx, v, &isArray)) return false;
  if (isArray) return true;
  JS::RootedObject o(cx, &v.toObject());
  JS::RootedValue len(cx);
  if (!get(cx, o, "length", &len) || !len.isNumber()) return true;
  JS::RootedValueVector elems(cx);
  JS::RootedValue e(cx);
  for (uint32_t i = 0; i < uint32_t(len.toNumber()); ++i)
    if (!JS_GetElement(cx, o, i, &e) || !elems.append(e)) return false;
  JSObject* a = JS::NewArrayObject(cx, elems);
  if (!a) return false;
  v.setObject(*a);
  return true;
}

bool define(JSContext* cx, JS::HandleObject o, const char* name, JS::HandleValue v) {
  return JS_DefineProperty(cx, o, name, v, JSPROP_ENUMERATE);
}

// Source text as the engine takes it. ESM's `export` in front of a top-level declaration (a few
// repository codecs have it) is dropped: codecs run as classic scripts, as in TTS.
std::string classicScript(std::string source) {
  if (source.find("export") == std::string::npos) return source;
  std::string out;
  out.reserve(source.size());
  std::istringstream lines(source);
  for (std::string line; std::getline(lines, line);) {
    size_t p = line.find_first_not_of(" \t");
    auto word = [&](const char* w) {
      const size_t n = std::strlen(w);
      if (line.compare(p, n, w) != 0) return false;
      const unsigned char next = p + n < line.size() ? line[p + n] : ' ';
      return !std::isalnum(next) && next != '_' && next != '$';  // the whole word, not a prefix
    };
    if (p != std::string::npos && word("export")) {
      size_t q = line.find_first_not_of(" \t", p + 6);
      size_t r = q;
      if (q != std::string::npos && line.compare(q, 7, "default") == 0)
        r = line.find_first_not_of(" \t", q + 7);
      if (r != std::string::npos && r > p + 6) {
        const size_t keep = p;
        p = r;
        if (word("function") || word("async") || word("const") || word("let") || word("var") ||
            word("class"))
          line.erase(keep, r - keep);
      }
    }
    out += line;
    out += '\n';
  }
  return out;
}

class JsCodec final : public Codec {
 public:
  JsCodec(std::string file, std::string source, std::chrono::milliseconds timeout,
          uint32_t memoryBytes)
      : file_(std::move(file)), source_(std::move(source)), limits_{timeout, memoryBytes} {}
  ~JsCodec() override {
    js::ThreadEngine::retire(id_);
    js::ThreadEngine::current().forget(id_);
  }

  const std::string& name() const override { return name_; }

  // Compiles the codec once on the loading thread: syntax errors are load-time errors.
  std::optional<std::string> check() const {
    JSContext* cx = js::ThreadEngine::current().cx();
    if (!cx) return "js: cannot create the engine";
    JS::RootedObject global(cx);
    return build(cx, &global);
  }

  DecodeResult decodeUplink(const UplinkInput& in) const override {
    return decode(Routine::DecodeUplink, in);
  }
  DecodeResult decodeDownlink(const UplinkInput& in) const override {
    return decode(Routine::DecodeDownlink, in);
  }

  EncodeResult encodeDownlink(const std::string& objectJson, uint8_t fPort) const override {
    EncodeResult e;
    auto err = call(
        Routine::EncodeDownlink,
        [&](JSContext* cx, JS::HandleObject input) {
          JS::RootedValue data(cx), port(cx, JS::Int32Value(fPort));
          if (!parseJson(cx, objectJson, &data)) return false;
          JS::RootedObject vars(cx, JS_NewPlainObject(cx));
          JS::RootedValue varsV(cx, JS::ObjectOrNullValue(vars));
          return vars && define(cx, input, "data", data) && define(cx, input, "fPort", port) &&
                 define(cx, input, "variables", varsV);
        },
        [&](JSContext* cx, JS::HandleValue rv) { return readEncoded(cx, rv, e); });
    if (err) e.errors.push_back(*err);
    return e;
  }

  std::expected<std::string, std::string> runRoutine(Routine routine,
                                                     const std::string& inputJson) const override {
    std::string out;
    auto err = call(
        routine,
        [&](JSContext* cx, JS::HandleObject input) {
          JS::RootedValue parsed(cx);
          if (!parseJson(cx, inputJson, &parsed) || !parsed.isObject()) return false;
          JS::RootedObject from(cx, &parsed.toObject());
          JS::Rooted<JS::IdVector> ids(cx, JS::IdVector(cx));
          if (!JS_Enumerate(cx, from, &ids)) return false;
          JS::RootedValue v(cx);
          for (size_t i = 0; i < ids.length(); ++i) {
            if (!JS_GetPropertyById(cx, from, ids[i], &v) ||
                !JS_DefinePropertyById(cx, input, ids[i], v, JSPROP_ENUMERATE))
              return false;
          }
          // recvTime reaches decodeUplink as a Date, as in TTS.
          JS::RootedValue t(cx);
          if (!get(cx, input, "recvTime", &t)) return false;
          if (t.isString()) {
            JS::RootedValue date(cx);
            JS::RootedValueArray<1> args(cx);
            args[0].set(t);
            JS::RootedObject global(cx, JS::CurrentGlobalOrNull(cx));
            JS::RootedValue ctor(cx);
            JS::RootedObject d(cx);
            if (!get(cx, global, "Date", &ctor) || !JS::Construct(cx, ctor, args, &d)) return false;
            date.setObject(*d);
            if (!define(cx, input, "recvTime", date)) return false;
          }
          return true;
        },
        [&](JSContext* cx, JS::HandleValue rv) {
          JS::RootedValue r(cx, rv);
          if (routine == Routine::EncodeDownlink && r.isObject()) {
            JS::RootedObject o(cx, &r.toObject());
            JS::RootedValue bytes(cx);
            if (!get(cx, o, "bytes", &bytes) || !plainArray(cx, &bytes) ||
                !JS_SetProperty(cx, o, "bytes", bytes))
              return std::optional<std::string>("js: cannot read the result's bytes");
          }
          if (!toJson(cx, r, out))
            return std::optional<std::string>("js: the result is not serialisable: " +
                                              js::pendingError(cx));
          if (out.empty()) out = "null";
          return std::optional<std::string>();
        });
    if (err) return std::unexpected(*err);
    return out;
  }

 private:
  static bool parseJson(JSContext* cx, const std::string& text, JS::MutableHandleValue out) {
    if (text == "{}") {
      JSObject* o = JS_NewPlainObject(cx);
      if (o) out.setObject(*o);
      return o != nullptr;
    }
    JS::RootedString s(cx, JS_NewStringCopyUTF8N(cx, JS::UTF8Chars(text.data(), text.size())));
    return s && JS_ParseJSON(cx, s, out);
  }

  DecodeResult decode(Routine routine, const UplinkInput& in) const {
    DecodeResult d;
    auto err = call(
        routine,
        [&](JSContext* cx, JS::HandleObject input) {
          JS::RootedValueVector elems(cx);
          if (!elems.reserve(in.bytes.size())) return false;
          for (uint8_t b : in.bytes) elems.infallibleAppend(JS::Int32Value(b));
          JS::RootedObject bytes(cx, JS::NewArrayObject(cx, elems));
          if (!bytes) return false;
          JS::RootedValue bytesV(cx, JS::ObjectValue(*bytes)), port(cx, JS::Int32Value(in.fPort));
          if (!define(cx, input, "bytes", bytesV) || !define(cx, input, "fPort", port))
            return false;
          if (routine == Routine::DecodeDownlink) return true;
          JS::RootedObject date(cx, JS::NewDateObject(cx, JS::TimeClip(double(in.recvTimeMs))));
          JS::RootedValue dateV(cx, JS::ObjectOrNullValue(date)), vars(cx);
          return date && define(cx, input, "recvTime", dateV) &&
                 parseJson(cx, in.variablesJson, &vars) && define(cx, input, "variables", vars);
        },
        [&](JSContext* cx, JS::HandleValue rv) { return readDecoded(cx, rv, d); });
    if (err) {
      d.dataJson.reset();
      d.errors.push_back(*err);
    }
    return d;
  }

  static std::optional<std::string> readDecoded(JSContext* cx, JS::HandleValue rv,
                                                DecodeResult& d) {
    if (!rv.isObject())
      return "js: decodeUplink returned " + std::string(typeName(rv)) +
             ", want an object with data";
    JS::RootedObject r(cx, &rv.toObject());
    const Keys& k = keys(cx);
    if (!collect(cx, r, k.errors, d.errors) || !collect(cx, r, k.warnings, d.warnings))
      return "js: cannot read the result: " + js::pendingError(cx);
    JS::RootedValue data(cx);
    if (!get(cx, r, k.data, &data)) return "js: cannot read the result: " + js::pendingError(cx);
    if (!data.isNullOrUndefined()) {
      std::string json;
      if (!toJson(cx, data, json))
        return "js: the result's data is not serialisable: " + js::pendingError(cx);
      if (!json.empty()) d.dataJson = std::move(json);
    }
    if (!d.dataJson && d.errors.empty()) d.errors.push_back("js: decodeUplink returned no data");
    return std::nullopt;
  }

  static std::optional<std::string> readEncoded(JSContext* cx, JS::HandleValue rv,
                                                EncodeResult& e) {
    if (!rv.isObject()) return "js: encodeDownlink returned no object";
    JS::RootedObject r(cx, &rv.toObject());
    const Keys& k = keys(cx);
    if (!collect(cx, r, k.errors, e.errors) || !collect(cx, r, k.warnings, e.warnings))
      return "js: cannot read the result: " + js::pendingError(cx);
    if (!e.errors.empty()) return std::nullopt;
    JS::RootedValue bytes(cx), port(cx);
    if (!get(cx, r, "bytes", &bytes) || !plainArray(cx, &bytes) || !bytes.isObject())
      return "js: encodeDownlink returned no bytes array";
    JS::RootedObject a(cx, &bytes.toObject());
    uint32_t n = 0;
    if (!JS::GetArrayLength(cx, a, &n)) return "js: encodeDownlink returned no bytes array";
    JS::RootedValue b(cx);
    for (uint32_t i = 0; i < n; ++i) {
      if (!JS_GetElement(cx, a, i, &b) || !b.isNumber() || b.toNumber() < 0 || b.toNumber() > 255 ||
          b.toNumber() != double(int(b.toNumber())))
        return "js: encodeDownlink bytes must be integers 0..255";
      e.bytes.push_back(uint8_t(b.toNumber()));
    }
    if (get(cx, r, "fPort", &port) && port.isNumber() && port.toNumber() >= 0 &&
        port.toNumber() <= 255)
      e.fPort = uint8_t(port.toNumber());
    return std::nullopt;
  }

  // Creates this codec's global (prelude + script) in the thread's engine.
  std::optional<std::string> build(JSContext* cx, JS::MutableHandleObject out) const {
    JS::RealmOptions options;
    options.creationOptions().setNewCompartmentAndZone();
    JS::RootedObject global(
        cx, JS_NewGlobalObject(cx, &kGlobalClass, nullptr, JS::FireOnNewGlobalHook, options));
    if (!global) return "js: cannot create a global";
    JSAutoRealm realm(cx, global);
    if (!JS::InitRealmStandardClasses(cx)) return "js: cannot initialise the standard classes";
    js::ThreadEngine& engine = js::ThreadEngine::current();
    for (uint64_t key : {uint64_t(0), id_}) {
      // Compiled once per thread (the prelude once for all codecs): a rebuild after a stop only
      // instantiates and runs the scripts again.
      JS::CompileOptions opts(cx);
      opts.setFileAndLine(key ? file_.c_str() : "prelude.js", 1);
      JS::Stencil* stencil = engine.stencil(key);
      if (!stencil) {
        const std::string prelude = key ? "" : kJsPrelude;
        const std::string& code = key ? source_ : prelude;
        JS::SourceText<mozilla::Utf8Unit> src;
        if (!src.init(cx, code.data(), code.size(), JS::SourceOwnership::Borrowed))
          return "js: " + js::pendingError(cx);
        RefPtr<JS::Stencil> compiled = JS::CompileGlobalScriptToStencil(cx, opts, src);
        if (!compiled) return "js: " + js::pendingError(cx);
        stencil = compiled.get();
        engine.keepStencil(key, compiled.forget());
      }
      JS::InstantiateOptions instantiate(opts);
      JS::RootedScript script(cx, JS::InstantiateGlobalStencil(cx, instantiate, stencil));
      if (!script) return "js: " + js::pendingError(cx);
      JS::RootedValue rv(cx);
      bool ok = false;
      js::Stop stop =
          engine.run(global, limits_, ok, [&] { return JS_ExecuteScript(cx, script, &rv); });
      if (!ok)
        return "js: " +
               (stop != js::Stop::None
                    ? "loading the script exceeded its " +
                          std::string(stop == js::Stop::Time ? "time" : "memory") + " limit"
                    : js::pendingError(cx));
    }
    engine.keep(id_, global);
    out.set(global);
    return std::nullopt;
  }

  // The function to call for `routine` and how its arguments and result look.
  enum class Convention { Ts013, LegacyTtn, ChirpStackV3 };
  static bool callable(JSContext* cx, JS::HandleObject global, const jsid& name,
                       JS::MutableHandleValue fn) {
    if (name.isVoid()) return false;
    return get(cx, global, name, fn) && fn.isObject() && JS::IsCallable(&fn.toObject());
  }

  template <typename MakeInput, typename ReadResult>
  std::optional<std::string> call(Routine routine, MakeInput&& makeInput,
                                  ReadResult&& readResult) const {
    js::ThreadEngine& engine = js::ThreadEngine::current();
    JSContext* cx = engine.cx();
    if (!cx) return "js: cannot create the engine";
    engine.purgeRetired();
    JS::RootedObject global(cx, engine.global(id_));
    if (!global)
      if (auto err = build(cx, &global)) return err;
    std::optional<std::string> result;
    bool stopped = false;
    {
      JSAutoRealm realm(cx, global);
      result = callIn(cx, global, routine, makeInput, readResult, stopped);
    }
    // A codec stopped by a limit is rebuilt alone, next time; the others keep their state.
    global = nullptr;
    if (stopped) engine.drop(id_);
    return result;
  }

  template <typename MakeInput, typename ReadResult>
  std::optional<std::string> callIn(JSContext* cx, JS::HandleObject global, Routine routine,
                                    MakeInput& makeInput, ReadResult& readResult,
                                    bool& stopped) const {
    static constexpr const char* kTs013[] = {"decodeUplink", "encodeDownlink", "decodeDownlink"};
    static constexpr const char* kLegacy[] = {"Decoder", "Encoder", nullptr};
    static constexpr const char* kChirpStack[] = {"Decode", "Encode", nullptr};
    const int r = int(routine);
    JS::RootedObject input(cx, JS_NewPlainObject(cx));
    if (!input || !makeInput(cx, input)) {
      std::string why = JS_IsExceptionPending(cx) ? js::pendingError(cx) : "out of memory";
      return "js: cannot build the input: " + why;
    }
    JS::RootedValue fn(cx), data(cx), port(cx), vars(cx);
    Convention conv = Convention::Ts013;
    const Keys& k = keys(cx);
    if (callable(cx, global, k.fn[r][0], &fn)) {
    } else if (callable(cx, global, k.fn[r][1], &fn)) {
      conv = Convention::LegacyTtn;
    } else if (callable(cx, global, k.fn[r][2], &fn)) {
      conv = Convention::ChirpStackV3;
    } else {
      JS_ClearPendingException(cx);
      return "js: the codec defines none of " + std::string(kTs013[r]) +
             (kLegacy[r] ? std::string(", ") + kLegacy[r] + " or " + kChirpStack[r] : "");
    }
    JS::RootedValueVector args(cx);
    const bool encode = routine == Routine::EncodeDownlink;
    if (conv != Convention::Ts013) {
      if (!get(cx, input, encode ? k.data : k.bytes, &data) || !get(cx, input, k.fPort, &port) ||
          !get(cx, input, k.variables, &vars))
        return "js: cannot build the input";
    }
    bool ok = false;
    switch (conv) {
      case Convention::Ts013:
        ok = args.append(JS::ObjectValue(*input));
        break;
      case Convention::LegacyTtn:
        ok = args.append(data) && args.append(port);
        break;
      case Convention::ChirpStackV3:
        ok = args.append(port) && args.append(data) && args.append(vars);
        break;
    }
    if (!ok) return "js: out of memory";
    JS::RootedValue rv(cx);
    js::Stop stop = js::ThreadEngine::current().run(
        global, limits_, ok, [&] { return JS::Call(cx, JS::UndefinedHandleValue, fn, args, &rv); });
    if (!ok) {
      stopped = stop != js::Stop::None || !JS_IsExceptionPending(cx);
      if (stop == js::Stop::Time)
        return "js: time limit of " + std::to_string(limits_.timeout.count()) + " ms exceeded";
      if (stop == js::Stop::Memory)
        return "js: memory limit of " + std::to_string(limits_.memoryBytes >> 20) + " MiB exceeded";
      return "js: " + js::pendingError(cx);
    }
    if (conv != Convention::Ts013) {
      // The legacy conventions return the data (decode) or the bytes (encode) alone.
      JS::RootedObject wrapped(cx, JS_NewPlainObject(cx));
      if (!wrapped || !define(cx, wrapped, encode ? k.bytes : k.data, rv) ||
          (encode && !define(cx, wrapped, k.fPort, port)))
        return "js: out of memory";
      rv.setObject(*wrapped);
    }
    auto err = readResult(cx, rv);
    if (JS_IsExceptionPending(cx)) JS_ClearPendingException(cx);
    return err;
  }

  static inline std::atomic<uint64_t> nextId_{1};
  const uint64_t id_ = nextId_++;  // never reused, unlike an address
  std::string file_, source_;
  js::Limits limits_;
  std::string name_ = "js";
};

}  // namespace

size_t jsScriptsHeldByThisThread() {
  return js::ThreadEngine::current().codecsHeld();
}

std::expected<std::unique_ptr<Codec>, std::string> loadJsCodec(const std::string& file,
                                                               std::chrono::milliseconds timeout,
                                                               uint32_t memoryBytes) {
  std::ifstream f(file);
  if (!f) return std::unexpected(file + ": cannot open JavaScript codec");
  std::stringstream ss;
  ss << f.rdbuf();
  auto codec = std::make_unique<JsCodec>(file, classicScript(ss.str()), timeout, memoryBytes);
  if (auto err = codec->check()) return std::unexpected(file + ": " + *err);
  return std::unique_ptr<Codec>(std::move(codec));
}

}  // namespace codecs
