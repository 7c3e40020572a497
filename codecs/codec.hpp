#pragma once
// One interface for payload codecs. Results carry JSON as text so this header stays light.
#include <chrono>
#include <cstdint>
#include <expected>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <vector>

namespace codecs {

struct UplinkInput {
  std::span<const uint8_t> bytes;
  uint8_t fPort = 0;
  int64_t recvTimeMs = 0;
  std::string variablesJson = "{}";  // TS013 `variables` / ChirpStack `variables`
};

struct DecodeResult {
  std::optional<std::string> dataJson;  // codec output, serialized JSON; nullopt = null
  std::vector<std::string> errors;
  std::vector<std::string> warnings;
};

struct EncodeResult {
  std::vector<uint8_t> bytes;
  std::optional<uint8_t> fPort;  // when the codec chooses it
  std::vector<std::string> errors;
  std::vector<std::string> warnings;
};

// The three routines of TS013 (the device repository's `uplinkDecoder`, `downlinkEncoder`,
// `downlinkDecoder`).
enum class Routine { DecodeUplink, EncodeDownlink, DecodeDownlink };

class Codec {
 public:
  virtual ~Codec() = default;
  virtual const std::string& name() const = 0;
  virtual DecodeResult decodeUplink(const UplinkInput& in) const = 0;
  // Object (JSON text) -> bytes, for downlinks queued as objects. Default: not supported.
  virtual EncodeResult encodeDownlink(const std::string& objectJson, uint8_t fPort) const;
  // Bytes of a downlink -> object (TS013 decodeDownlink). Default: not supported.
  virtual DecodeResult decodeDownlink(const UplinkInput& in) const;
  // The routine run on a whole input object, its whole output as JSON text: what the device
  // repository's examples describe. Default: not supported.
  virtual std::expected<std::string, std::string> runRoutine(Routine routine,
                                                             const std::string& inputJson) const;
};

// `lorawan-bridge codec test`: runs the examples of a codec definition in The Things Network
// device repository format (uplinkDecoder / downlinkEncoder / downlinkDecoder, each with
// fileName and examples), or of every definition under a folder. Each failure names the first
// path where the output differs; then "N passed, M failed"; `asJson` prints one JSON report.
// Returns the number of failed examples (at most 255).
int runDeviceRepositoryTest(const std::string& path, std::ostream& out, bool asJson = false);

// How a codec is chosen (the interface's `codec:` in YAML).
struct CodecSpec {
  std::string type = "raw";         // raw | cayenne_lpp | layout | js | device_repository
  std::string variant = "arduino";  // cayenne_lpp: arduino (extended types) | ttn (the 12 standard)
  std::string style = "tts";        // cayenne_lpp output: tts (temperature_1) | chirpstack (nested)
  std::string file;           // layout: YAML file; js: the script; device_repository: its path
  std::string vendor, model;  // device_repository: the device, as the repository names it
  uint32_t timeoutMs = 100;   // js: per call
  uint32_t memoryMb = 32;     // js: GC heap cap
  std::map<int, CodecSpec> fports;  // per-FPort overrides

  bool operator==(const CodecSpec&) const = default;
};

// `raw`: always available; forwards bytes only (`decoded` null). Also the fallback when a codec
// fails, so an uplink is never lost to a codec.
std::unique_ptr<Codec> makeRawCodec();
std::unique_ptr<Codec> makeCayenneLppCodec(const std::string& variant, const std::string& style);
// Errors name the file, line and field.
std::expected<std::unique_ptr<Codec>, std::string> loadLayoutCodec(const std::string& file);

// Loads and compiles a JavaScript codec (TS013, TTN legacy or ChirpStack v3 conventions).
std::expected<std::unique_ptr<Codec>, std::string> loadJsCodec(const std::string& file,
                                                               std::chrono::milliseconds timeout,
                                                               uint32_t memoryBytes);

// `device_repository`: the JavaScript file of a device's uplink codec in a checkout of The Things
// Network device repository (its root or its vendor/ folder): vendor/<vendor>/<model>-codec.yaml,
// or the codec that <model>.yaml's profiles name. Errors say which file is missing.
std::expected<std::string, std::string> resolveDeviceRepositoryCodec(const std::string& path,
                                                                     const std::string& vendor,
                                                                     const std::string& model);

// What this thread's JavaScript engine holds: codec globals plus compiled scripts (the prelude's
// included). For tests and diagnostics: a destroyed codec leaves nothing behind on any thread
// once that thread runs a codec again.
size_t jsScriptsHeldByThisThread();

// A device's codecs: the default and per-FPort overrides, built once at start-up.
class CodecSet {
 public:
  static std::expected<std::shared_ptr<const CodecSet>, std::string> build(const CodecSpec& spec);
  static std::shared_ptr<const CodecSet> raw();
  const Codec& forPort(uint8_t fPort) const;
  bool rawOnly() const;  // nothing to run: no need for a worker
  // Never throws and never loses the uplink: a failing codec gives decoded null and errors.
  DecodeResult decode(const UplinkInput& in) const;

 private:
  std::shared_ptr<const Codec> default_;
  std::map<int, std::shared_ptr<const Codec>> byPort_;
};

}  // namespace codecs
