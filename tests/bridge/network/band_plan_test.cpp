#include "bridge/network/band_plan.hpp"

#include <gtest/gtest.h>

using namespace bridge;

TEST(BandPlan, AGatewayWithItsOwnRegionGetsItsBandOthersTheNetworks) {
  config::Config cfg;
  cfg.region = "EU868";
  const lorawan::Eui64 us(0xAA555A0000000002), other(0xAA555A0000000003);
  cfg.gateways = {{us, "US915"}};
  cfg.extraChannelsHz = {867100000};
  auto plan = BandPlan::fromConfig(cfg);
  ASSERT_TRUE(plan.has_value()) << plan.error();
  EXPECT_EQ(plan->forGateway(us)->name, "US915");
  EXPECT_EQ(plan->forGateway(other)->name, "EU868");
  EXPECT_EQ(plan->extraChannelsHz, std::vector<uint64_t>{867100000});
}

TEST(BandPlan, AnUnknownNetworkRegionIsAnErrorNamingIt) {
  config::Config cfg;
  cfg.region = "XX123";
  auto plan = BandPlan::fromConfig(cfg);
  ASSERT_FALSE(plan.has_value());
  EXPECT_EQ(plan.error(), "network.region: unknown band XX123");
}
