#include "bridge/network/downlink_request.hpp"

#include <nlohmann/json.hpp>

#include "lorawan/base64.hpp"

namespace bridge {

std::expected<QueuedReply, EnqueueError> enqueueFromJson(ClassA& classA, const std::string& device,
                                                         const nlohmann::json& j,
                                                         const std::string& platformId) {
  auto bad = [](std::string m) { return std::unexpected(EnqueueError{400, std::move(m)}); };
  if (!j.is_object()) return bad("body: not a JSON object");
  auto fport = j.find("fPort");
  if (fport == j.end() || !fport->is_number_integer())
    return bad("fPort: missing or not an integer");
  auto data = j.find("data");
  if (data == j.end() || (!data->is_string() && !data->is_object()))
    return bad("data: missing; want base64 bytes or an object for the device's codec");
  QueuedReply out;
  out.fport = fport->get<int>();
  if (data->is_string()) {
    auto b = lorawan::base64Decode(data->get<std::string>());
    if (!b) return bad("data: " + b.error());
    out.bytes = std::move(*b);
  } else {
    // An object: the device's codec makes bytes (and maybe the FPort) now, at enqueue time.
    auto enc = classA.encode(device, out.fport, data->dump());
    if (!enc) return std::unexpected(enc.error());
    if (!enc->errors.empty()) return bad("data: codec: " + enc->errors.front());
    out.bytes = enc->bytes;
    if (enc->fPort) out.fport = *enc->fPort;
  }
  if (auto c = j.find("confirmed"); c != j.end()) {
    if (!c->is_boolean()) return bad("confirmed: want true or false");
    out.confirmed = c->get<bool>();
  }
  auto id = classA.enqueue(device, out.fport, out.bytes, out.confirmed, platformId);
  if (!id) return std::unexpected(id.error());
  out.id = *id;
  return out;
}

}  // namespace bridge
