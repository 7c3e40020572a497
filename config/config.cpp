#include "config/config.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <unordered_map>

#include "config/defaults.hpp"
#include "config/json_node.hpp"
#include "lorawan/region/band.hpp"

namespace config {
namespace {

namespace fs = std::filesystem;

// What the reader needs from a node, for YAML (yaml-cpp) and JSON (simdjson) alike.
int lineOf(const YAML::Node& n) {
  return n.IsDefined() ? n.Mark().line : -1;
}
int lineOf(const JsonNode&) {
  return -1;
}
bool decodeBool(const YAML::Node& n, bool& v) {
  return YAML::convert<bool>::decode(n, v);
}
bool decodeBool(const JsonNode& n, bool& v) {
  auto b = n.boolean();
  if (b) v = *b;
  return b.has_value();
}
bool decodeInt(const YAML::Node& n, long long& v) {
  return YAML::convert<long long>::decode(n, v);
}
bool decodeInt(const JsonNode& n, long long& v) {
  auto i = n.integer();
  if (i) v = *i;
  return i.has_value();
}
const YAML::Node& membersOf(const YAML::Node& n) {
  return n;
}
std::vector<std::pair<JsonNode, JsonNode>> membersOf(const JsonNode& n) {
  return n.members();
}
// f(key text, key node) for each key of a map.
template <typename F>
void forEachKey(const YAML::Node& map, const F& f) {
  for (const auto& kv : map) f(kv.first.as<std::string>(""), kv.first);
}
template <typename F>
void forEachKey(const JsonNode& map, const F& f) {  // no copies: a million maps at start-up
  map.forEachKey([&](std::string_view k) { f(k, JsonNode(k)); });
}
// A plain string value as it stands in the text (no ${...} to expand), without a copy.
std::optional<std::string_view> plainString(const YAML::Node&) {
  return std::nullopt;
}
std::optional<std::string_view> plainString(const JsonNode& n) {
  auto s = n.stringView();
  if (s && s->find("${") != std::string_view::npos) return std::nullopt;
  return s;
}
const YAML::Node& itemsOf(const YAML::Node& n) {
  return n;
}
std::vector<JsonNode> itemsOf(const JsonNode& n) {
  return n.items();
}

class Reader {
 public:
  explicit Reader(std::string file, bool expandEnvironment = true)
      : file_(std::move(file)), expandEnvironment_(expandEnvironment) {}

  template <typename N>
  void error(const N& at, const std::string& path, const std::string& msg) {
    error(lineOf(at), path, msg);
  }
  void error(int line0, const std::string& path, const std::string& msg) {
    std::string where = file_;
    if (line0 >= 0) where += ":" + std::to_string(line0 + 1);
    errors_.push_back(where + ": " + path + ": " + msg);
  }
  // "file:line" (YAML), "file path" (JSON, which has no lines here).
  template <typename N>
  std::string location(const N& n, const std::string& path) const {
    const int line = lineOf(n);
    return line >= 0 ? file_ + ":" + std::to_string(line + 1) : file_ + " " + path;
  }
  const std::string& file() const { return file_; }
  std::vector<std::string>& errors() { return errors_; }

  template <typename N>
  bool isMap(const N& n, const std::string& path) {
    if (n.IsMap()) return true;
    error(n, path, "want a mapping");
    return false;
  }

  // Unknown keys are an error naming the key and its line.
  template <typename N>
  void allowOnly(const N& map, const std::string& path, std::initializer_list<const char*> keys) {
    forEachKey(map, [&](const auto& k, const N& keyNode) {
      if (std::none_of(keys.begin(), keys.end(), [&](const char* a) { return k == a; }))
        error(keyNode, path.empty() ? std::string(k) : path + "." + std::string(k), "unknown key");
    });
  }

  template <typename N>
  std::optional<std::string> str(const N& map, const char* key, const std::string& path,
                                 bool required = false) {
    const N n = map[key];
    // Built only for a message: a million interfaces read ten fields each.
    auto p = [&] { return path.empty() ? std::string(key) : path + "." + key; };
    if (!n.IsDefined() || n.IsNull()) {
      if (required) error(map, p(), "missing");
      return std::nullopt;
    }
    if (!n.IsScalar()) {
      error(n, p(), "want a string");
      return std::nullopt;
    }
    // Never for API input: "${ADMIN_TOKEN}" in a request must not read the environment.
    auto v = expandEnvironment_ ? expandEnv(n.Scalar())
                                : std::expected<std::string, std::string>(n.Scalar());
    if (!v) {
      error(n, p(), v.error());
      return std::nullopt;
    }
    return std::move(*v);
  }

  template <typename N>
  std::optional<bool> boolean(const N& map, const char* key, const std::string& path) {
    const N n = map[key];
    if (!n.IsDefined() || n.IsNull()) return std::nullopt;
    bool v;
    if (!n.IsScalar() || !decodeBool(n, v)) {
      error(n, path + "." + key,
            "want true or false, got \"" + n.template as<std::string>("?") + "\"");
      return std::nullopt;
    }
    return v;
  }

  template <typename N>
  std::optional<uint32_t> uint(const N& map, const char* key, const std::string& path, uint32_t lo,
                               uint32_t hi) {
    const N n = map[key];
    if (!n.IsDefined() || n.IsNull()) return std::nullopt;
    auto p = [&] { return path.empty() ? std::string(key) : path + "." + key; };
    long long v;
    if (!n.IsScalar() || !decodeInt(n, v)) {
      error(n, p(), "want an integer");
      return std::nullopt;
    }
    if (v < lo || v > hi) {
      error(n, p(),
            std::to_string(v) + " out of range " + std::to_string(lo) + ".." + std::to_string(hi));
      return std::nullopt;
    }
    return uint32_t(v);
  }

  template <typename T, typename N, typename Parse>
  std::optional<T> typed(const N& map, const char* key, const std::string& path, Parse parse,
                         bool required = false) {
    if constexpr (std::is_invocable_v<Parse, std::string_view>) {
      if (auto plain = plainString(map[key]); plain && !plain->empty())
        if (auto v = parse(*plain)) return *v;  // the common case, straight from the text
    }
    auto s = str(map, key, path, required);
    if (!s || s->empty()) {
      if (s && required) error(map[key], path + "." + key, "missing");
      return std::nullopt;
    }
    auto v = parse(*s);
    if (!v) {
      error(map[key], path + "." + key, v.error());
      return std::nullopt;
    }
    return *v;
  }

  static std::expected<std::string, std::string> expandEnv(std::string in) {
    if (in.find("${") == std::string::npos) return in;  // nearly always: no copy
    std::string out;
    size_t i = 0;
    while (i < in.size()) {
      size_t start = in.find("${", i);
      if (start == std::string::npos) {
        out += in.substr(i);
        break;
      }
      size_t end = in.find('}', start);
      if (end == std::string::npos) return std::unexpected("unterminated ${ in value");
      out += in.substr(i, start - i);
      std::string name = in.substr(start + 2, end - start - 2);
      const char* v = std::getenv(name.c_str());
      if (!v) return std::unexpected("environment variable " + name + " is not set");
      out += v;
      i = end + 1;
    }
    return out;
  }

 private:
  std::string file_;
  bool expandEnvironment_;
  std::vector<std::string> errors_;
};

std::string bandList() {
  std::string s;
  for (auto n : lorawan::region::bandNames()) s += (s.empty() ? "" : ", ") + std::string(n);
  return s;
}

auto parseKey = [](std::string_view s) { return lorawan::Aes128Key::parse(s); };
auto parseEui = [](std::string_view s) { return lorawan::Eui64::parse(s); };
auto parseAddr = [](std::string_view s) { return lorawan::DevAddr::parse(s); };

template <typename N>
void readCodec(Reader& r, const N& c, const std::string& path, codecs::CodecSpec& spec,
               const std::string& baseDir, bool allowPorts) {
  if (!r.isMap(c, path)) return;
  if (allowPorts)
    r.allowOnly(c, path,
                {"type", "variant", "style", "file", "timeout_ms", "memory_mb", "path", "vendor",
                 "model", "fports"});
  else
    r.allowOnly(
        c, path,
        {"type", "variant", "style", "file", "timeout_ms", "memory_mb", "path", "vendor", "model"});
  spec.timeoutMs = r.uint(c, "timeout_ms", path, 1, 10000).value_or(spec.timeoutMs);
  spec.memoryMb = r.uint(c, "memory_mb", path, 4, 1024).value_or(spec.memoryMb);
  spec.type = r.str(c, "type", path).value_or("raw");
  spec.variant = r.str(c, "variant", path).value_or(spec.variant);
  spec.style = r.str(c, "style", path).value_or(spec.style);
  if (spec.type == "device_repository") {
    // path: a checkout of the device repository; the codec is resolved when the codecs are built.
    if (auto p = r.str(c, "path", path))
      spec.file = fs::path(*p).is_absolute() ? *p : (fs::path(baseDir) / *p).string();
    else
      r.error(c, path + ".path", "missing (the device repository's checkout)");
    spec.vendor = r.str(c, "vendor", path).value_or("");
    spec.model = r.str(c, "model", path).value_or("");
    if (spec.vendor.empty()) r.error(c, path + ".vendor", "missing (e.g. dragino)");
    if (spec.model.empty()) r.error(c, path + ".model", "missing (e.g. lht65)");
  } else if (auto f = r.str(c, "file", path)) {
    spec.file = fs::path(*f).is_absolute() ? *f : (fs::path(baseDir) / *f).string();
  } else if (spec.type == "layout" || spec.type == "js") {
    r.error(c, path + ".file", "missing (a " + spec.type + " codec needs its file)");
  }
  if (const N ports = c["fports"]; allowPorts && ports.IsDefined()) {
    if (!ports.IsMap()) {
      r.error(ports, path + ".fports", "want a mapping of FPort to codec");
      return;
    }
    for (const auto& kv : membersOf(ports)) {
      int port = kv.first.template as<int>(-1);
      if (port < 1 || port > 223) {
        r.error(kv.first, path + ".fports",
                "\"" + kv.first.template as<std::string>("?") + "\" is not an FPort 1..223");
        continue;
      }
      readCodec(r, kv.second, path + ".fports." + std::to_string(port), spec.fports[port], baseDir,
                false);
    }
  }
}

template <typename N>
void readInterface(Reader& r, const N& n, const std::string& path, std::vector<Interface>& out,
                   const std::string& baseDir) {
  if (!r.isMap(n, path)) return;
  r.allowOnly(n, path, {"id", "device_id_or_slug", "driver_instance_id", "codec", "opts", "tags"});
  Interface& itf = out.emplace_back();  // in place: a million of them are not moved
  itf.origin = r.location(n, path);
  itf.id = r.str(n, "id", path, true).value_or("");
  if (!itf.id.empty() && !looksLikeUuid(itf.id))
    r.error(n["id"], path + ".id", "\"" + itf.id + "\" is not a UUID");
  itf.deviceIdOrSlug = r.str(n, "device_id_or_slug", path, true).value_or("");
  itf.driverInstanceId = r.str(n, "driver_instance_id", path).value_or("");
  if (const N t = n["tags"]; t.IsDefined() && !t.IsNull()) {
    if (!t.IsSequence())
      r.error(t, path + ".tags", "want a list of strings");
    else
      for (const auto& tag : itemsOf(t)) {
        if (!tag.IsScalar())
          r.error(tag, path + ".tags", "want a list of strings");
        else
          itf.tags.push_back(tag.Scalar());
      }
  }
  if (const N c = n["codec"]; c.IsDefined())
    readCodec(r, c, path + ".codec", itf.codec, baseDir, true);
  if (itf.codec.type == "raw" && itf.codec.fports.empty()) {
    itf.codecs = codecs::CodecSet::raw();  // shared: most devices of a large fleet have no codec
  } else {
    auto set = codecs::CodecSet::build(itf.codec);
    if (set)
      itf.codecs = *set;
    else if (const N c = n["codec"]; c.IsDefined())
      r.error(c, path + ".codec", set.error());
  }
  const N o = n["opts"];
  const std::string op = path + ".opts";
  if (!o.IsDefined()) {
    r.error(n, op, "missing");
  } else if (r.isMap(o, op)) {
    r.allowOnly(o, op,
                {"enabled", "managed", "device_type", "device_eui", "eui", "device_key",
                 "network_key", "device_address", "network_session_key", "app_session_key",
                 "duplicate_framecounter_allowed", "mac_version", "adr"});
    auto& x = itf.opts;
    x.enabled = r.boolean(o, "enabled", op).value_or(true);
    x.managed = r.boolean(o, "managed", op).value_or(true);
    x.duplicateFramecounterAllowed =
        r.boolean(o, "duplicate_framecounter_allowed", op).value_or(false);
    x.macVersion = r.str(o, "mac_version", op).value_or(x.macVersion);
    x.adr = r.boolean(o, "adr", op).value_or(false);
    if (x.macVersion != "1.0.0" && x.macVersion != "1.0.1" && x.macVersion != "1.0.2" &&
        x.macVersion != "1.0.3" && x.macVersion != "1.0.4" && x.macVersion != "1.1")
      r.error(o["mac_version"], op + ".mac_version",
              "\"" + x.macVersion + "\", want 1.0.0 .. 1.0.4 or 1.1");
    auto type = r.str(o, "device_type", op, true);
    if (type == "abp")
      x.deviceType = DeviceType::Abp;
    else if (type == "otaa")
      x.deviceType = DeviceType::Otaa;
    else if (type)
      r.error(o["device_type"], op + ".device_type", "\"" + *type + "\", want abp or otaa");
    const bool abp = x.deviceType == DeviceType::Abp;
    x.deviceEui = r.typed<lorawan::Eui64>(o, "device_eui", op, parseEui, !abp);
    x.joinEui = r.typed<lorawan::Eui64>(o, "eui", op, parseEui, !abp);
    x.deviceKey = r.typed<lorawan::Aes128Key>(o, "device_key", op, parseKey, !abp);
    x.networkKey = r.typed<lorawan::Aes128Key>(o, "network_key", op, parseKey);
    x.deviceAddress = r.typed<lorawan::DevAddr>(o, "device_address", op, parseAddr, abp);
    x.networkSessionKey = r.typed<lorawan::Aes128Key>(o, "network_session_key", op, parseKey, abp);
    x.appSessionKey = r.typed<lorawan::Aes128Key>(o, "app_session_key", op, parseKey, abp);
  }
}

template <typename N>
void readInterfaceList(Reader& r, const N& list, const std::string& path,
                       std::vector<Interface>& out, const std::string& baseDir) {
  if (!list.IsSequence()) {
    r.error(list, path, "want a list of interfaces");
    return;
  }
  size_t i = 0;
  out.reserve(out.size() + list.size());  // a million interfaces: never moved while growing
  for (const auto& item : itemsOf(list))
    readInterface(r, N(item), path + "[" + std::to_string(i++) + "]", out, baseDir);
}

// Pairs (hash, index) sorted: equal keys end up next to each other, found without a hash node
// per interface (a million interfaces: a fraction of a second, not seconds).
template <typename Same>
void sameKeys(std::vector<std::pair<uint64_t, uint32_t>>& hashed, const Same& same,
              std::vector<std::pair<uint32_t, uint32_t>>& pairs) {  // (later, first)
  std::sort(hashed.begin(), hashed.end());
  size_t group = 0;  // where the run of this hash starts: its earliest interface first
  for (size_t i = 1; i < hashed.size(); ++i) {
    if (hashed[i].first != hashed[group].first) {
      group = i;
      continue;
    }
    for (size_t j = group; j < i; ++j)
      if (same(hashed[j].second, hashed[i].second)) {
        pairs.emplace_back(hashed[i].second, hashed[j].second);
        break;
      }
  }
}

void checkDuplicates(const std::vector<Interface>& itfs, std::vector<std::string>& errors) {
  std::vector<std::pair<uint64_t, uint32_t>> ids, sessions;
  ids.reserve(itfs.size());
  for (uint32_t i = 0; i < itfs.size(); ++i) {
    const Interface& b = itfs[i];
    if (!b.id.empty()) ids.emplace_back(std::hash<std::string_view>()(b.id), i);
    // Same DevAddr is fine (the MIC tells devices apart), same DevAddr *and* key is not.
    if (b.opts.deviceAddress && b.opts.networkSessionKey) {
      const auto& k = b.opts.networkSessionKey->bytes();
      sessions.emplace_back(std::hash<std::string_view>()(std::string_view(
                                reinterpret_cast<const char*>(k.data()), k.size())) ^
                                b.opts.deviceAddress->value(),
                            i);
    }
  }
  std::vector<std::pair<uint32_t, uint32_t>> sameId, sameSession;
  sameKeys(
      ids, [&](uint32_t a, uint32_t b) { return itfs[a].id == itfs[b].id; }, sameId);
  sameKeys(
      sessions,
      [&](uint32_t a, uint32_t b) {
        return itfs[a].opts.deviceAddress == itfs[b].opts.deviceAddress &&
               itfs[a].opts.networkSessionKey == itfs[b].opts.networkSessionKey;
      },
      sameSession);
  // In file order, as a reader goes through them.
  std::vector<std::tuple<uint32_t, int, std::string>> found;
  for (auto [later, first] : sameId)
    found.emplace_back(later, 0,
                       itfs[later].origin + ": interface id " + itfs[later].id +
                           " already defined at " + itfs[first].origin);
  for (auto [later, first] : sameSession) {
    const Interface &a = itfs[first], &b = itfs[later];
    found.emplace_back(later, 1,
                       b.origin + ": interface " + b.id + " has the same DevAddr " +
                           b.opts.deviceAddress->toString() + " and network_session_key as " +
                           a.id + " at " + a.origin + "; their frames could not be told apart");
  }
  std::sort(found.begin(), found.end());
  for (auto& f : found) errors.push_back(std::move(std::get<2>(f)));
}

// A JSON interface file: a list of interfaces, as in a YAML one (large fleets: see README).
void readJsonInterfaces(Reader& r, const simdjson::padded_string& text, const std::string& file,
                        const std::string& dir, std::vector<Interface>& out) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (auto err = parser.parse(text).get(root)) {
    r.errors().push_back(file + ": invalid JSON: " + simdjson::error_message(err));
    return;
  }
  Reader fr(file);
  const JsonNode node(root);
  if (node.IsNull()) return;
  out.reserve(out.size() + node.size());
  readInterfaceList(fr, node, "interfaces", out, dir);
  for (auto& e : fr.errors()) r.errors().push_back(e);
}

void readJsonInterfaceFile(Reader& r, const std::string& file, const std::string& dir,
                           std::vector<Interface>& out) {
  simdjson::padded_string text;
  if (auto err = simdjson::padded_string::load(file).get(text)) {
    r.errors().push_back(file + ": cannot read: " + simdjson::error_message(err));
    return;
  }
  readJsonInterfaces(r, text, file, dir, out);
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& e : v) s += (s.empty() ? "" : "\n") + e;
  return s;
}

std::expected<YAML::Node, std::string> loadYaml(const std::string& text, const std::string& file) {
  try {
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return std::unexpected(file + ":" + std::to_string(e.mark.line + 1) +
                           ": invalid YAML: " + e.msg);
  }
}

std::expected<std::string, std::string> readFile(const std::string& path) {
  errno = 0;
  std::ifstream f(path);
  // The reason (no such file, permission denied) is what the operator needs to act on.
  if (!f)
    return std::unexpected(path +
                           ": cannot open: " + (errno ? std::strerror(errno) : "unknown error"));
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

}  // namespace

bool applyPlatformProfile(const std::string& name, PlatformConfig& pc) {
  pc.profile = name;
  if (name == "generic") {
    pc.uplinkPath = "/devices/{device}/data";
    pc.eventsPath = "/devices/{device}/events";
    pc.downlinksPath = "/devices/{device}/downlinks?status=pending";
    pc.downlinkStatusPath = "/devices/{device}/downlinks/{id}";
  } else if (name == "deveui") {
    pc.uplinkPath = "/devices/deveui:{dev_eui}/data";
    pc.eventsPath = "/devices/deveui:{dev_eui}/events";
    pc.downlinksPath = "/devices/deveui:{dev_eui}/downlinks?status=pending";
    pc.downlinkStatusPath = "/devices/deveui:{dev_eui}/downlinks/{id}";
  } else if (name == "instathings") {
    pc.uplinkPath = "/device/v1/devices/{device}/data";
    pc.eventsPath = "/device/v1/devices/{device}/events";
    pc.downlinksPath = "/device/v1/devices/{device}/downlinks?status=pending";
    pc.downlinkStatusPath = "/device/v1/devices/{device}/downlinks/{id}";
  } else {
    return false;
  }
  return true;
}

bool looksLikeUuid(const std::string& s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (s[i] != '-') return false;
    } else if (!std::isxdigit(static_cast<unsigned char>(s[i]))) {
      return false;
    }
  }
  return true;
}

std::expected<HostPort, std::string> parseHostPort(const std::string& s) {
  auto colon = s.rfind(':');
  if (colon == std::string::npos || colon == 0)
    return std::unexpected("\"" + s + "\", want HOST:PORT");
  HostPort hp;
  hp.host = s.substr(0, colon);
  if (hp.host.size() > 2 && hp.host.front() == '[' && hp.host.back() == ']')
    hp.host = hp.host.substr(1, hp.host.size() - 2);
  const std::string port = s.substr(colon + 1);
  if (port.empty() || port.size() > 5 || !std::all_of(port.begin(), port.end(), ::isdigit) ||
      std::stoul(port) > 65535)
    return std::unexpected("\"" + s + "\" has no valid port (0-65535)");
  hp.port = uint16_t(std::stoul(port));
  return hp;
}

namespace {
std::expected<Config, std::string> parseConfigUnguarded(const std::string& yaml,
                                                        const std::string& fileName,
                                                        const std::string& baseDir);
}  // namespace

// The loader's boundary: a reader that trips over an unexpected node shape still gives a
// file:line error, never an exception out of check-config or the daemon.
std::expected<Config, std::string> parseConfig(const std::string& yaml, const std::string& fileName,
                                               const std::string& baseDir) {
  try {
    return parseConfigUnguarded(yaml, fileName, baseDir);
  } catch (const YAML::Exception& e) {
    return std::unexpected(fileName + ":" + std::to_string(e.mark.line + 1) +
                           ": cannot read: " + e.msg);
  } catch (const std::exception& e) {
    return std::unexpected(fileName + ": cannot read: " + e.what());
  }
}

namespace {
std::expected<Config, std::string> parseConfigUnguarded(const std::string& yaml,
                                                        const std::string& fileName,
                                                        const std::string& baseDir) {
  auto rootOr = loadYaml(yaml, fileName);
  if (!rootOr) return std::unexpected(rootOr.error());
  YAML::Node root = *rootOr;
  Reader r(fileName);
  Config c;
  c.udpListen = *parseHostPort(defaults::kUdpListen);
  c.apiListen = *parseHostPort(defaults::kApiListen);
  c.region = defaults::kRegion;
  c.netId = lorawan::NetId(defaults::kNetId);
  c.dedupWindowMs = defaults::kDedupWindowMs;
  c.lateCopyMemoryMs = defaults::kLateCopyMemoryMs;
  c.storePath = defaults::kStorePath;
  if (root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
  if (!r.isMap(root, "(top level)")) return std::unexpected(join(r.errors()));
  r.allowOnly(root, "",
              {"listen", "network", "gateways", "store", "platform", "api", "interfaces_dir",
               "interfaces"});

  auto hostPort = [&](const YAML::Node& map, const char* key, const std::string& path,
                      HostPort& out) {
    if (auto s = r.str(map, key, path)) {
      auto hp = parseHostPort(*s);
      if (hp)
        out = *hp;
      else
        r.error(map[key], path + "." + key, hp.error());
    }
  };
  if (const YAML::Node l = root["listen"]; l.IsDefined() && r.isMap(l, "listen")) {
    r.allowOnly(l, "listen", {"udp", "api"});
    hostPort(l, "udp", "listen", c.udpListen);
    hostPort(l, "api", "listen", c.apiListen);
  }
  bool extraSet = false;
  c.rx1DelaySeconds = defaults::kRx1DelaySeconds;
  c.subBand = defaults::kSubBand;
  if (const YAML::Node n = root["network"]; n.IsDefined() && r.isMap(n, "network")) {
    r.allowOnly(n, "network",
                {"region", "net_id", "dedup_window_ms", "late_copy_memory_ms", "rx1_delay_s",
                 "rx1_dr_offset", "extra_channels", "sub_band"});
    c.region = r.str(n, "region", "network").value_or(c.region);
    if (!lorawan::region::findBand(c.region))
      r.error(n["region"], "network.region", "\"" + c.region + "\", want one of " + bandList());
    if (auto id = r.typed<lorawan::NetId>(
            n, "net_id", "network", [](const std::string& s) { return lorawan::NetId::parse(s); }))
      c.netId = *id;
    c.dedupWindowMs = r.uint(n, "dedup_window_ms", "network", 1, 5000).value_or(c.dedupWindowMs);
    c.lateCopyMemoryMs =
        r.uint(n, "late_copy_memory_ms", "network", 1000, 3600000).value_or(c.lateCopyMemoryMs);
    c.rx1DelaySeconds =
        uint8_t(r.uint(n, "rx1_delay_s", "network", 1, 15).value_or(c.rx1DelaySeconds));
    c.rx1DrOffset = uint8_t(r.uint(n, "rx1_dr_offset", "network", 0, 7).value_or(c.rx1DrOffset));
    c.subBand = int(r.uint(n, "sub_band", "network", 1, 8).value_or(uint32_t(c.subBand)));
    if (const YAML::Node ch = n["extra_channels"]; ch.IsDefined()) {
      extraSet = true;
      if (!ch.IsSequence() || ch.size() > 5) {
        r.error(ch, "network.extra_channels", "want a list of at most 5 frequencies in MHz");
      } else {
        for (const auto& f : ch) {
          double mhz;
          if (!f.IsScalar() || !YAML::convert<double>::decode(f, mhz) || mhz < 100 || mhz > 3000)
            r.error(f, "network.extra_channels",
                    "\"" + f.as<std::string>("?") + "\" is not a frequency in MHz");
          else
            c.extraChannelsHz.push_back(uint64_t(mhz * 1e6 + 0.5));
        }
      }
    }
  }
  if (!extraSet && c.region == "EU868")
    c.extraChannelsHz.assign(std::begin(defaults::kEu868ExtraChannels),
                             std::end(defaults::kEu868ExtraChannels));
  if (YAML::Node g = root["gateways"]; g.IsDefined() && !g.IsNull()) {
    // A list of known gateways, or a mapping with the policy and the list under `known`.
    std::string listPath = "gateways";
    if (g.IsMap()) {
      r.allowOnly(g, "gateways",
                  {"policy", "known", "path_expiry_s", "idle_expiry_s", "max_gateways",
                   "max_datagram_bytes", "rate_per_source"});
      auto& gp = c.gatewayPolicy;
      if (auto pol = r.str(g, "policy", "gateways")) {
        if (*pol == "listed")
          gp.listedOnly = true;
        else if (*pol != "open")
          r.error(g["policy"], "gateways.policy", "\"" + *pol + "\", want open or listed");
      }
      gp.pathExpiryS = r.uint(g, "path_expiry_s", "gateways", 10, 86400).value_or(gp.pathExpiryS);
      gp.idleExpiryS =
          r.uint(g, "idle_expiry_s", "gateways", 60, 30 * 86400).value_or(gp.idleExpiryS);
      gp.maxGateways = r.uint(g, "max_gateways", "gateways", 1, 10000000).value_or(gp.maxGateways);
      gp.maxDatagramBytes =
          r.uint(g, "max_datagram_bytes", "gateways", 512, 65507).value_or(gp.maxDatagramBytes);
      gp.ratePerSource =
          r.uint(g, "rate_per_source", "gateways", 1, 10000000).value_or(gp.ratePerSource);
      listPath = "gateways.known";
      const YAML::Node known = g["known"];
      g = known.IsDefined() && !known.IsNull() ? known : YAML::Node(YAML::NodeType::Sequence);
      if (gp.listedOnly && g.size() == 0)
        r.error(root["gateways"], "gateways.known", "policy listed needs the gateways listed here");
    }
    if (!g.IsSequence())
      r.error(g, listPath, "want a list");
    else
      for (size_t i = 0; i < g.size(); ++i) {
        const std::string p = listPath + "[" + std::to_string(i) + "]";
        if (!r.isMap(g[i], p)) continue;
        r.allowOnly(g[i], p, {"eui", "region"});
        GatewayConfig gw;
        if (auto e = r.typed<lorawan::Eui64>(g[i], "eui", p, parseEui, true)) gw.eui = *e;
        gw.region = r.str(g[i], "region", p).value_or(c.region);
        if (!lorawan::region::findBand(gw.region))
          r.error(g[i]["region"], p + ".region",
                  "\"" + gw.region + "\", want one of " + bandList());
        c.gateways.push_back(gw);
      }
  }
  if (const YAML::Node s = root["store"]; s.IsDefined() && r.isMap(s, "store")) {
    r.allowOnly(s, "store", {"path", "keep_uplinks", "max_mb"});
    c.storeMaxMb = r.uint(s, "max_mb", "store", 1, 10000000).value_or(0);
    c.storePath = r.str(s, "path", "store").value_or(c.storePath);
    c.keepUplinks = r.uint(s, "keep_uplinks", "store", 100, 100000000).value_or(c.keepUplinks);
  }
  if (const YAML::Node p = root["platform"];
      p.IsDefined() && !p.IsNull() && r.isMap(p, "platform")) {
    r.allowOnly(p, "platform",
                {"base_url", "token", "timeout_ms", "max_attempts", "ca_file", "oauth", "profile",
                 "paths", "connections", "max_backoff_ms", "pipeline", "downlink_queue",
                 "outbox_max_rows", "outbox_max_mb"});
    PlatformConfig pc;
    pc.baseUrl = r.str(p, "base_url", "platform", true).value_or("");
    if (!pc.baseUrl.empty() && pc.baseUrl.rfind("http://", 0) != 0 &&
        pc.baseUrl.rfind("https://", 0) != 0)
      r.error(p["base_url"], "platform.base_url",
              "\"" + pc.baseUrl + "\", want http:// or https://");
    else if (!pc.baseUrl.empty()) {
      const size_t start = pc.baseUrl.find("//") + 2;
      const std::string authority = pc.baseUrl.substr(start, pc.baseUrl.find('/', start) - start);
      // Never a secret in a URL (it would be logged): tokens go in `token` or `oauth`.
      if (authority.find('@') != std::string::npos)
        r.error(p["base_url"], "platform.base_url",
                "credentials in the URL are not supported; use token or oauth");
      else if (authority.empty() || authority[0] == ':')
        r.error(p["base_url"], "platform.base_url", "\"" + pc.baseUrl + "\" has no host");
    }
    pc.token = r.str(p, "token", "platform").value_or("");
    pc.timeoutMs =
        r.uint(p, "timeout_ms", "platform", 100, 600000).value_or(defaults::kPlatformTimeoutMs);
    pc.outboxMaxRows =
        r.uint(p, "outbox_max_rows", "platform", 1, 100000000).value_or(pc.outboxMaxRows);
    pc.outboxMaxMb = r.uint(p, "outbox_max_mb", "platform", 1, 1000000).value_or(pc.outboxMaxMb);
    pc.maxAttempts =
        r.uint(p, "max_attempts", "platform", 0, 1000000).value_or(defaults::kPlatformMaxAttempts);
    pc.connections = r.uint(p, "connections", "platform", 1, 256).value_or(pc.connections);
    pc.pipeline = r.uint(p, "pipeline", "platform", 1, 64).value_or(pc.pipeline);
    pc.maxBackoffMs =
        r.uint(p, "max_backoff_ms", "platform", 100, 3600000).value_or(pc.maxBackoffMs);
    if (auto prof = r.str(p, "profile", "platform"); prof && !applyPlatformProfile(*prof, pc))
      r.error(p["profile"], "platform.profile",
              "\"" + *prof + "\", want generic, deveui or instathings");
    if (const YAML::Node paths = p["paths"];
        paths.IsDefined() && r.isMap(paths, "platform.paths")) {
      r.allowOnly(paths, "platform.paths", {"uplink", "events", "downlinks", "downlink_status"});
      pc.uplinkPath = r.str(paths, "uplink", "platform.paths").value_or(pc.uplinkPath);
      pc.eventsPath = r.str(paths, "events", "platform.paths").value_or(pc.eventsPath);
      pc.downlinksPath = r.str(paths, "downlinks", "platform.paths").value_or(pc.downlinksPath);
      pc.downlinkStatusPath =
          r.str(paths, "downlink_status", "platform.paths").value_or(pc.downlinkStatusPath);
      for (const std::string* t :
           {&pc.uplinkPath, &pc.eventsPath, &pc.downlinksPath, &pc.downlinkStatusPath})
        if (t->empty() || (*t)[0] != '/')
          r.error(paths, "platform.paths", "\"" + *t + "\" must start with /");
    }
    if (const YAML::Node q = p["downlink_queue"];
        q.IsDefined() && r.isMap(q, "platform.downlink_queue")) {
      r.allowOnly(q, "platform.downlink_queue",
                  {"enabled", "poll_interval_s", "page_size", "fetch_timeout_ms"});
      auto& dq = pc.downlinkQueue;
      dq.enabled = r.boolean(q, "enabled", "platform.downlink_queue").value_or(true);
      dq.pollIntervalS = r.uint(q, "poll_interval_s", "platform.downlink_queue", 0, 86400)
                             .value_or(dq.pollIntervalS);
      dq.pageSize =
          r.uint(q, "page_size", "platform.downlink_queue", 1, 10000).value_or(dq.pageSize);
      dq.fetchTimeoutMs = r.uint(q, "fetch_timeout_ms", "platform.downlink_queue", 50, 5000)
                              .value_or(dq.fetchTimeoutMs);
    }
    if (const YAML::Node o = p["oauth"]; o.IsDefined() && r.isMap(o, "platform.oauth")) {
      r.allowOnly(o, "platform.oauth", {"token_url", "client_id", "client_secret"});
      config::PlatformConfig::OAuth oa;
      oa.tokenUrl = r.str(o, "token_url", "platform.oauth", true).value_or("");
      oa.clientId = r.str(o, "client_id", "platform.oauth", true).value_or("");
      oa.clientSecret = r.str(o, "client_secret", "platform.oauth", true).value_or("");
      if (!oa.tokenUrl.empty() && oa.tokenUrl.rfind("http", 0) != 0)
        r.error(o["token_url"], "platform.oauth.token_url",
                "\"" + oa.tokenUrl + "\", want http:// or https://");
      pc.oauth = oa;
    }
    if (auto ca = r.str(p, "ca_file", "platform")) {
      fs::path f = fs::path(*ca).is_absolute() ? fs::path(*ca) : fs::path(baseDir) / *ca;
      std::error_code ec;
      if (!fs::is_regular_file(f, ec))
        r.error(p["ca_file"], "platform.ca_file", "\"" + f.string() + "\" is not a file");
      pc.caFile = f.string();
    }
    c.platform = pc;
  }
  if (const YAML::Node a = root["api"]; a.IsDefined() && r.isMap(a, "api")) {
    r.allowOnly(a, "api",
                {"tokens", "rate_per_s", "rate_burst", "max_connections", "max_event_clients"});
    c.apiRatePerS = r.uint(a, "rate_per_s", "api", 1, 1000000).value_or(c.apiRatePerS);
    c.apiMaxConnections =
        r.uint(a, "max_connections", "api", 1, 100000).value_or(c.apiMaxConnections);
    c.apiMaxEventClients =
        r.uint(a, "max_event_clients", "api", 0, 100000).value_or(c.apiMaxEventClients);
    c.apiRateBurst = r.uint(a, "rate_burst", "api", 1, 1000000).value_or(c.apiRateBurst);
    if (const YAML::Node t = a["tokens"]; t.IsDefined()) {
      if (!t.IsSequence())
        r.error(t, "api.tokens", "want a list");
      else
        for (size_t i = 0; i < t.size(); ++i) {
          const std::string p = "api.tokens[" + std::to_string(i) + "]";
          if (!r.isMap(t[i], p)) continue;
          r.allowOnly(t[i], p, {"token", "roles"});
          ApiToken tok;
          tok.token = r.str(t[i], "token", p, true).value_or("");
          const YAML::Node roles = t[i]["roles"];
          if (!roles.IsDefined() || roles.IsNull())
            r.error(t[i], p + ".roles", "missing (network-server, device-admin or org-admin)");
          else if (!roles.IsSequence())
            r.error(roles, p + ".roles", "want a list of roles");
          else
            for (const auto& role : roles) {
              std::string v = role.IsScalar() ? role.Scalar() : "";
              if (v != "network-server" && v != "device-admin" && v != "org-admin")
                r.error(role, p + ".roles",
                        "\"" + v + "\", want network-server, device-admin or org-admin");
              tok.roles.push_back(v);
            }
          c.apiTokens.push_back(tok);
        }
    }
  }
  if (const YAML::Node l = root["interfaces"]; l.IsDefined() && !l.IsNull())
    readInterfaceList(r, l, "interfaces", c.interfaces, baseDir);
  if (auto dir = r.str(root, "interfaces_dir", "")) {
    fs::path d = fs::path(*dir).is_absolute() ? fs::path(*dir) : fs::path(baseDir) / *dir;
    c.interfacesDir = d.string();
    std::error_code ec;
    if (!fs::is_directory(d, ec)) {
      r.error(root["interfaces_dir"], "interfaces_dir",
              "\"" + d.string() + "\" is not a directory");
    } else {
      std::vector<fs::path> files;
      for (const auto& e : fs::directory_iterator(d, ec))
        if (e.path().extension() == ".yaml" || e.path().extension() == ".yml" ||
            e.path().extension() == ".json")
          files.push_back(e.path());
      std::sort(files.begin(), files.end());
      for (const auto& f : files) {
        if (f.extension() == ".json") {
          readJsonInterfaceFile(r, f.string(), d.string(), c.interfaces);
          continue;
        }
        auto text = readFile(f.string());
        if (!text) {
          r.errors().push_back(text.error());
          continue;
        }
        auto node = loadYaml(*text, f.string());
        if (!node) {
          r.errors().push_back(node.error());
          continue;
        }
        if (node->IsNull()) continue;
        Reader fr(f.string());
        readInterfaceList(fr, *node, "interfaces", c.interfaces, d.string());
        for (auto& e : fr.errors()) r.errors().push_back(e);
      }
    }
  }
  checkDuplicates(c.interfaces, r.errors());
  if (!r.errors().empty()) return std::unexpected(join(r.errors()));
  return c;
}
}  // namespace

std::expected<Interface, std::string> parseInterfaceJson(const std::string& json,
                                                         const std::string& origin,
                                                         bool allowCodecFiles) {
  YAML::Node n;
  try {
    n = YAML::Load(json);  // JSON is YAML: one reader, the same checks and messages as the files
  } catch (const YAML::Exception& e) {
    return std::unexpected(origin + ": not JSON: " + e.msg);
  }
  Reader r("", /*expandEnvironment=*/false);
  std::vector<Interface> out;
  if (const YAML::Node c = n.IsMap() ? n["codec"] : YAML::Node();
      !allowCodecFiles && c.IsDefined() && c.IsMap()) {
    // Codecs with a file are for the operator's YAML: an API client must not make us read files.
    if (c["file"].IsDefined() || c["fports"].IsDefined())
      r.error(c, "interface.codec",
              "file-based and per-FPort codecs are configured in YAML, not the API");
  }
  try {
    readInterface(r, n, "interface", out, ".");
  } catch (const std::exception& e) {
    return std::unexpected(std::string("interface: cannot read: ") + e.what());
  }
  if (!r.errors().empty()) {
    std::string msg;
    for (auto e : r.errors()) {
      // The reader's "file:line: " prefix means nothing for a request body; keep the field path.
      if (auto at = e.find(": "); at != std::string::npos && e.rfind(":", 0) == 0)
        e = e.substr(at + 2);
      msg += (msg.empty() ? "" : "; ") + e;
    }
    return std::unexpected(msg);
  }
  out.front().origin = origin;
  return out.front();
}

std::expected<std::vector<Interface>, std::string> parseInterfaceFileJson(
    const std::string& text, const std::string& fileName, const std::string& baseDir) {
  Reader r(fileName);
  std::vector<Interface> out;
  try {
    readJsonInterfaces(r, simdjson::padded_string(text), fileName, baseDir, out);
  } catch (const std::exception& e) {
    return std::unexpected(fileName + ": cannot read: " + e.what());
  }
  checkDuplicates(out, r.errors());
  if (!r.errors().empty()) return std::unexpected(join(r.errors()));
  return out;
}

std::expected<Config, std::string> loadConfigFile(const std::string& path) {
  auto text = readFile(path);
  if (!text) return std::unexpected(text.error());
  auto c = parseConfig(*text, path, fs::path(path).parent_path().string());
  if (c) c->sourcePath = path;
  return c;
}

}  // namespace config
