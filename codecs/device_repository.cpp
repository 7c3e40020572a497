#include <yaml-cpp/yaml.h>

#include <filesystem>

#include "codecs/codec.hpp"

namespace codecs {

namespace fs = std::filesystem;

namespace {
// The codec id a device definition's profiles name (firmwareVersions[].profiles.<region>.codec).
std::optional<std::string> codecOfDevice(const YAML::Node& device) {
  for (const auto& fw : device["firmwareVersions"])
    for (const auto& profile : fw["profiles"])
      if (profile.second["codec"]) return profile.second["codec"].as<std::string>();
  return std::nullopt;
}
}  // namespace

std::expected<std::string, std::string> resolveDeviceRepositoryCodec(const std::string& path,
                                                                     const std::string& vendor,
                                                                     const std::string& model) {
  const std::string what = "device_repository " + vendor + "/" + model + ": ";
  if (vendor.empty() || model.empty()) return std::unexpected(what + "needs vendor and model");
  std::error_code ec;
  fs::path dir = fs::path(path) / "vendor" / vendor;
  if (!fs::is_directory(dir, ec)) dir = fs::path(path) / vendor;
  if (!fs::is_directory(dir, ec))
    return std::unexpected(what + "no vendor folder (looked for " +
                           (fs::path(path) / "vendor" / vendor).string() + " and " + dir.string() +
                           ")");
  try {
    fs::path codecFile = dir / (model + "-codec.yaml");
    if (!fs::exists(codecFile, ec)) {
      const fs::path device = dir / (model + ".yaml");
      if (!fs::exists(device, ec))
        return std::unexpected(what + "no " + codecFile.filename().string() + " or " +
                               device.filename().string() + " in " + dir.string());
      auto id = codecOfDevice(YAML::LoadFile(device.string()));
      if (!id) return std::unexpected(what + device.string() + " names no codec in its profiles");
      codecFile = dir / (*id + ".yaml");
      if (!fs::exists(codecFile, ec))
        return std::unexpected(what + device.string() + " names codec " + *id + ", but " +
                               codecFile.string() + " is not there");
    }
    const YAML::Node def = YAML::LoadFile(codecFile.string());
    const YAML::Node up = def["uplinkDecoder"]["fileName"];
    if (!up) return std::unexpected(what + codecFile.string() + " has no uplinkDecoder.fileName");
    const fs::path js = dir / up.as<std::string>();
    if (!fs::exists(js, ec))
      return std::unexpected(what + codecFile.string() + " names " + up.as<std::string>() +
                             ", which is not in " + dir.string());
    return js.string();
  } catch (const YAML::Exception& e) {
    return std::unexpected(what + e.what());
  }
}

}  // namespace codecs
