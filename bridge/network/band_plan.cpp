#include "bridge/network/band_plan.hpp"

namespace bridge {

std::expected<BandPlan, std::string> BandPlan::fromConfig(const config::Config& cfg) {
  const auto* band = lorawan::region::findBand(cfg.region);
  if (!band) return std::unexpected("network.region: unknown band " + cfg.region);
  BandPlan plan(*band);
  for (const auto& g : cfg.gateways)
    if (const auto* b = lorawan::region::findBand(g.region)) plan.setGatewayBand(g.eui, *b);
  plan.extraChannelsHz = cfg.extraChannelsHz;
  return plan;
}

}  // namespace bridge
