// `lorawan-bridge codec test`: the examples of The Things Network device repository's codec
// definitions, run the way the repository's own validator runs them: each example's whole
// `input` to the routine, the routine's whole output deep-compared with `output`, YAML read as
// YAML 1.2 (js-yaml), not 1.1.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <map>
#include <nlohmann/json.hpp>
#include <ostream>
#include <sstream>

#include "codecs/codec.hpp"
#include "codecs/yaml_json.hpp"

namespace codecs {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

constexpr const char* kSections[] = {"uplinkDecoder", "downlinkEncoder", "downlinkDecoder"};
constexpr Routine kRoutines[] = {Routine::DecodeUplink, Routine::EncodeDownlink,
                                 Routine::DecodeDownlink};

std::string shown(const json& v) {
  std::string s = v.dump();
  return s.size() > 200 ? s.substr(0, 197) + "..." : s;
}

// Where two JSON values first differ ("data.temperature: want 21.5, got 21.4"), or nothing.
std::optional<std::string> firstDifference(const json& want, const json& got,
                                           const std::string& path) {
  const std::string at = path.empty() ? "(the whole output)" : path;
  if (want.is_number() && got.is_number()) {
    if (want.get<double>() == got.get<double>()) return std::nullopt;
  } else if (want.is_object() && got.is_object()) {
    for (const auto& [k, v] : want.items()) {
      const std::string p = path.empty() ? k : path + "." + k;
      if (!got.contains(k)) return p + ": missing, want " + shown(v);
      if (auto d = firstDifference(v, got[k], p)) return d;
    }
    for (const auto& [k, v] : got.items())
      if (!want.contains(k))
        return (path.empty() ? k : path + "." + k) + ": not expected, got " + shown(v);
    return std::nullopt;
  } else if (want.is_array() && got.is_array()) {
    for (size_t i = 0; i < std::min(want.size(), got.size()); ++i)
      if (auto d = firstDifference(want[i], got[i], path + "[" + std::to_string(i) + "]")) return d;
    if (want.size() == got.size()) return std::nullopt;
    return at + ": want " + std::to_string(want.size()) + " elements, got " +
           std::to_string(got.size());
  } else if (want == got) {
    return std::nullopt;
  }
  return at + ": want " + shown(want) + ", got " + shown(got);
}

// A codec file the definition names but that is not there: say so, and name a file of the folder
// that looks like what was meant.
std::string missingFile(const fs::path& file) {
  auto key = [](std::string s) {
    std::string k;
    for (char c : s)
      if (std::isalnum(uint8_t(c))) k += char(std::tolower(uint8_t(c)));
    return k;
  };
  std::string why = file.string() + ": no such file";
  const std::string want = key(file.stem().string());
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(file.parent_path(), ec)) {
    const std::string have = key(e.path().stem().string());
    if (e.path().extension() == ".js" && !want.empty() &&
        (have.rfind(want, 0) == 0 || want.rfind(have, 0) == 0))
      return why + " (is it " + e.path().filename().string() + "?)";
  }
  return why;
}

struct Failure {
  std::string routine, description, error, at;
  size_t example = 0;
  json want, got;
};

struct DefinitionResult {
  std::string file;
  size_t passed = 0, failed = 0;
  std::string error;  // the definition itself could not be read
  std::vector<Failure> failures;
};

void runSections(const fs::path& yamlFile, const json& root, DefinitionResult& res);

DefinitionResult runDefinition(const fs::path& yamlFile) {
  DefinitionResult res;
  res.file = yamlFile.string();
  json root;
  try {
    root = yamlToJson(YAML::LoadFile(yamlFile.string()));
  } catch (const YAML::Exception& e) {
    res.error = e.what();
    ++res.failed;
    return res;
  }
  try {
    runSections(yamlFile, root, res);
  } catch (const json::exception& e) {
    // A definition of the wrong shape (a section that is not a mapping, a fileName that is not
    // text): say so, and go on with the next definition.
    res.error = "not a codec definition of the expected shape: " + std::string(e.what());
    ++res.failed;
  }
  return res;
}

void runSections(const fs::path& yamlFile, const json& root, DefinitionResult& res) {
  std::map<std::string, std::expected<std::unique_ptr<Codec>, std::string>> codecs;
  for (size_t s = 0; s < 3; ++s) {
    if (!root.is_object() || !root.contains(kSections[s])) continue;
    const json& section = root[kSections[s]];
    const json examples = section.value("examples", json::array());
    std::string name = section.value("fileName", "");
    const fs::path file = yamlFile.parent_path() / name;
    auto it = codecs.find(file.string());
    if (it == codecs.end()) {
      std::error_code ec;
      it = codecs
               .emplace(file.string(),
                        fs::exists(file, ec)
                            ? loadJsCodec(file.string(), std::chrono::milliseconds(1000), 64u << 20)
                            : std::unexpected(missingFile(file)))
               .first;
    }
    size_t i = 0;
    for (const json& ex : examples.is_array() ? examples : json::array()) {
      ++i;
      Failure f{kSections[s], ex.value("description", ""), "", "", i, ex.value("output", json()),
                nullptr};
      if (!it->second) {
        f.error = it->second.error();
      } else {
        auto out =
            (*it->second)->runRoutine(kRoutines[s], ex.value("input", json::object()).dump());
        if (!out) {
          f.error = out.error();
        } else {
          f.got = json::parse(*out, nullptr, false);
          if (auto d = firstDifference(f.want, f.got, "")) f.at = *d;
        }
      }
      if (f.error.empty() && f.at.empty()) {
        ++res.passed;
      } else {
        ++res.failed;
        res.failures.push_back(std::move(f));
      }
    }
  }
}

bool isDefinition(const fs::path& p) {
  if (p.extension() != ".yaml" && p.extension() != ".yml") return false;
  std::ifstream f(p);
  for (std::string line; std::getline(f, line);)
    for (const char* s : kSections)
      if (line.rfind(std::string(s) + ":", 0) == 0) return true;
  return false;
}

void printFailures(const DefinitionResult& r, std::ostream& out) {
  if (!r.error.empty()) out << "  " << r.error << "\n";
  for (const Failure& f : r.failures) {
    out << "FAIL " << f.routine << " example " << f.example
        << (f.description.empty() ? "" : ": " + f.description) << "\n";
    if (!f.error.empty()) {
      out << "  " << f.error << "\n";
    } else {
      out << "  at " << f.at << "\n  want " << shown(f.want) << "\n  got  " << shown(f.got) << "\n";
    }
  }
}

json toJson(const DefinitionResult& r) {
  json fails = json::array();
  for (const Failure& f : r.failures) {
    json j = {{"routine", f.routine}, {"example", f.example}, {"description", f.description}};
    if (!f.error.empty())
      j["error"] = f.error;
    else
      j.update({{"at", f.at}, {"want", f.want}, {"got", f.got}});
    fails.push_back(std::move(j));
  }
  json j = {{"file", r.file}, {"passed", r.passed}, {"failed", r.failed}, {"failures", fails}};
  if (!r.error.empty()) j["error"] = r.error;
  return j;
}

}  // namespace

int runDeviceRepositoryTest(const std::string& path, std::ostream& out, bool asJson) {
  std::vector<fs::path> files;
  std::error_code ec;
  const bool folder = fs::is_directory(path, ec);
  if (folder) {
    for (auto it = fs::recursive_directory_iterator(path, ec); !ec && it != fs::end(it);
         it.increment(ec))
      if (it->is_regular_file() && isDefinition(it->path())) files.push_back(it->path());
    std::sort(files.begin(), files.end());
  } else {
    files.push_back(path);
  }
  size_t passed = 0, failed = 0, definitionsFailed = 0;
  json all = json::array();
  for (const fs::path& f : files) {
    DefinitionResult r = runDefinition(f);
    passed += r.passed;
    failed += r.failed;
    definitionsFailed += r.failed > 0;
    if (asJson) {
      all.push_back(toJson(r));
    } else if (folder) {
      if (r.failed == 0) continue;
      out << "== " << r.file << ": " << r.failed << " of " << r.passed + r.failed << " failed\n";
      printFailures(r, out);
    } else {
      printFailures(r, out);
      if (r.passed > 0 && r.failures.empty()) out << "PASS all " << r.passed << " examples\n";
    }
  }
  const double share = passed + failed ? 100.0 * double(passed) / double(passed + failed) : 100.0;
  if (asJson) {
    out << json{{"definitions", files.size()},
                {"definitionsFailed", definitionsFailed},
                {"passed", passed},
                {"failed", failed},
                {"results", all}}
               .dump(2)
        << "\n";
  } else {
    if (folder) out << files.size() << " definitions (" << definitionsFailed << " with failures), ";
    out << passed << " passed, " << failed << " failed";
    if (folder) out << " (" << std::fixed << std::setprecision(1) << share << "% passed)";
    out << "\n";
  }
  return int(std::min<size_t>(failed, 255));
}

}  // namespace codecs
