#pragma once
// Which regional band each gateway speaks: its own `gateways[].region`, else `network.region`.
// Built once from the config; the join server, Class A and the pipeline all ask it.
#include <expected>
#include <string>
#include <unordered_map>
#include <vector>

#include "config/config.hpp"
#include "lorawan/region/band.hpp"
#include "lorawan/types.hpp"

namespace bridge {

class BandPlan {
 public:
  BandPlan() = default;
  explicit BandPlan(const lorawan::region::Band& band) : default_(&band) {}
  // Errors name the unknown band ("network.region: unknown band XX915").
  static std::expected<BandPlan, std::string> fromConfig(const config::Config& cfg);

  void setGatewayBand(lorawan::Eui64 gateway, const lorawan::region::Band& band) {
    perGateway_[gateway] = &band;
  }
  // Null only for a plan never given a band.
  const lorawan::region::Band* forGateway(lorawan::Eui64 gateway) const {
    auto it = perGateway_.find(gateway);
    return it != perGateway_.end() ? it->second : default_;
  }
  const lorawan::region::Band* defaultBand() const { return default_; }

  // Channels the network adds to the band's defaults (CFList at join).
  std::vector<uint64_t> extraChannelsHz;

 private:
  const lorawan::region::Band* default_ = nullptr;
  std::unordered_map<lorawan::Eui64, const lorawan::region::Band*> perGateway_;
};

}  // namespace bridge
