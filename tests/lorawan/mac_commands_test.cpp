#include "lorawan/mac_commands.hpp"

#include <gtest/gtest.h>

#include "support/fixtures.hpp"

using namespace lorawan;
using testsupport::hex;

namespace {

TEST(MacCommands, EveryCommandInBothDirectionsBuildsParsesAndRoundTrips) {
  for (auto dir : {MacDirection::Uplink, MacDirection::Downlink}) {
    for (int cid = 1; cid < 0x80; ++cid) {
      const MacCommandSpec* spec = findMacCommand(dir, uint8_t(cid));
      if (!spec) continue;
      SCOPED_TRACE(spec->name);
      // Put the largest value in every field: neighbours must not bleed into each other.
      std::vector<std::pair<std::string, uint32_t>> values;
      for (const auto& f : spec->fields) values.emplace_back(f.name, f.mask);
      auto cmd = buildMacCommand(dir, spec->name, values);
      ASSERT_TRUE(cmd.has_value()) << cmd.error();
      EXPECT_EQ(cmd->payload.size(), spec->length);
      EXPECT_EQ(macFields(dir, *cmd), values);
      Bytes wire = serialize({*cmd});
      auto parsed = parseMacCommands(dir, wire);
      ASSERT_TRUE(parsed.has_value());
      ASSERT_EQ(parsed->size(), 1u);
      EXPECT_EQ((*parsed)[0], *cmd);
    }
  }
}

TEST(MacCommands, CoversTheLoRaWAN11Set) {
  for (const char* n :
       {"ResetInd", "LinkCheckReq", "LinkADRAns", "DutyCycleAns", "RXParamSetupAns", "DevStatusAns",
        "NewChannelAns", "RXTimingSetupAns", "TxParamSetupAns", "DlChannelAns", "RekeyInd",
        "ADRParamSetupAns", "DeviceTimeReq", "RejoinParamSetupAns", "DeviceModeInd"})
    EXPECT_NE(findMacCommand(MacDirection::Uplink, n), nullptr) << n;
  for (const char* n : {"ResetConf", "LinkCheckAns", "LinkADRReq", "DutyCycleReq",
                        "RXParamSetupReq", "DevStatusReq", "NewChannelReq", "RXTimingSetupReq",
                        "TxParamSetupReq", "DlChannelReq", "RekeyConf", "ADRParamSetupReq",
                        "DeviceTimeAns", "ForceRejoinReq", "RejoinParamSetupReq", "DeviceModeConf"})
    EXPECT_NE(findMacCommand(MacDirection::Downlink, n), nullptr) << n;
}

TEST(MacCommands, ParsesASequenceFromFOpts) {
  // LinkCheckReq, DevStatusAns(battery=255, margin=10), LinkADRAns(all ok).
  auto cmds = parseMacCommands(MacDirection::Uplink, hex("0206ff0a0307"));
  ASSERT_TRUE(cmds.has_value());
  ASSERT_EQ(cmds->size(), 3u);
  EXPECT_EQ(describe(MacDirection::Uplink, (*cmds)[0]), "LinkCheckReq");
  EXPECT_EQ(describe(MacDirection::Uplink, (*cmds)[1]), "DevStatusAns(battery=255 margin=10)");
  EXPECT_EQ(describe(MacDirection::Uplink, (*cmds)[2]),
            "LinkADRAns(power_ack=1 data_rate_ack=1 channel_mask_ack=1)");
}

TEST(MacCommands, LinkAdrReqLayoutMatchesTheSpec) {
  // DR5, TXPower 2, ChMask 0x00ff, ChMaskCntl 0, NbTrans 1 -> 03 52 ff 00 01
  auto cmd =
      buildMacCommand(MacDirection::Downlink, "LinkADRReq",
                      {{"data_rate", 5}, {"tx_power", 2}, {"ch_mask", 0xff}, {"nb_trans", 1}});
  ASSERT_TRUE(cmd.has_value());
  EXPECT_EQ(toHex(serialize({*cmd})), "0352ff0001");
}

TEST(MacCommands, DeviceTimeAnsIsLittleEndian) {
  auto cmd = buildMacCommand(MacDirection::Downlink, "DeviceTimeAns",
                             {{"seconds", 0x12345678}, {"fractional", 0x80}});
  ASSERT_TRUE(cmd.has_value());
  EXPECT_EQ(toHex(serialize({*cmd})), "0d7856341280");
}

TEST(MacCommands, ErrorsNameTheCommand) {
  auto truncated = parseMacCommands(MacDirection::Uplink, hex("06ff"));
  ASSERT_FALSE(truncated.has_value());
  EXPECT_EQ(truncated.error().field, "DevStatusAns");
  EXPECT_NE(truncated.error().message.find("needs 2 bytes, 1 remain"), std::string::npos);
  auto unknown = parseMacCommands(MacDirection::Uplink, hex("7f"));
  ASSERT_FALSE(unknown.has_value());
  EXPECT_NE(unknown.error().message.find("unknown CID 0x7f"), std::string::npos);
  EXPECT_FALSE(buildMacCommand(MacDirection::Downlink, "Nope", {}).has_value());
  EXPECT_FALSE(buildMacCommand(MacDirection::Downlink, "DutyCycleReq", {{"max_duty_cycle", 16}})
                   .has_value());
  EXPECT_FALSE(buildMacCommand(MacDirection::Downlink, "DutyCycleReq", {{"bogus", 1}}).has_value());
}

TEST(MacCommands, ProprietaryTakesTheRest) {
  auto cmds = parseMacCommands(MacDirection::Uplink, hex("0280aabb"));
  ASSERT_TRUE(cmds.has_value());
  ASSERT_EQ(cmds->size(), 2u);
  EXPECT_EQ((*cmds)[1].cid, 0x80);
  EXPECT_EQ(toHex((*cmds)[1].payload), "aabb");
  EXPECT_EQ(toHex(serialize(*cmds)), "0280aabb");
}

}  // namespace
