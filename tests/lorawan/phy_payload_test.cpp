#include "lorawan/phy_payload.hpp"

#include <gtest/gtest.h>

#include "support/fixtures.hpp"

using namespace lorawan;
using testsupport::hex;

namespace {

struct RoundTrip {
  const char* name;
  const char* hex;
  MType mtype;
};

// One line per case: bytes -> struct -> the same bytes, for every MType.
const RoundTrip kRoundTrips[] = {
    {"join request (runkit)", "00dc0000d07ed5b3701e6fedf57ceeaf0085cc587fe913", MType::JoinRequest},
    {"join accept no CFList", "20c9fbb259e11649096a568a9e3b7117c3", MType::JoinAccept},
    {"join accept with CFList",
     "204dd85ae608b87fc4889970b7d2042c9e72959b0057aed6094b16003df12de145", MType::JoinAccept},
    {"unconfirmed up (lora-packet)", "40f17dbe4900020001954378762b11ff0d",
     MType::UnconfirmedDataUp},
    {"unconfirmed up no FPort", "40f17dbe49800200aabbccdd", MType::UnconfirmedDataUp},
    {"confirmed up FOpts ADR ACKReq ClassB", "80f17dbe49f3030002060a01ff2233aabbccdd",
     MType::ConfirmedDataUp},
    {"unconfirmed down FPending ACK", "60f17dbe49b0010002ff0001020304", MType::UnconfirmedDataDown},
    {"confirmed down RFU bit kept", "a0f17dbe49c00100aabbccdd", MType::ConfirmedDataDown},
    {"FPort 0 with MAC commands", "40f17dbe49000500000206aabbccdd", MType::UnconfirmedDataUp},
    {"rejoin type 0", "c0000302010807060504030201020111da47bd", MType::RejoinRequest},
    {"rejoin type 1", "c00108070605040302010807060504030201020167f9abe7", MType::RejoinRequest},
    {"rejoin type 2", "c0020302010807060504030201020112345678", MType::RejoinRequest},
    {"proprietary empty", "e0", MType::Proprietary},
    {"proprietary bytes", "e0010203", MType::Proprietary},
};

TEST(PhyPayload, RoundTripsEveryMType) {
  for (const auto& c : kRoundTrips) {
    SCOPED_TRACE(c.name);
    Bytes in = hex(c.hex);
    auto phy = parsePhyPayload(in);
    ASSERT_TRUE(phy.has_value()) << phy.error().toString();
    EXPECT_EQ(phy->mhdr.mtype, c.mtype);
    EXPECT_EQ(toHex(serialize(*phy)), c.hex);
  }
}

TEST(PhyPayload, DecodesFieldsOfADataUplink) {
  auto phy = parsePhyPayload(hex("80f17dbe49f3030002060a01ff2233aabbccdd"));
  ASSERT_TRUE(phy.has_value());
  const auto& m = std::get<MacPayload>(phy->payload);
  EXPECT_EQ(m.fhdr.devAddr, DevAddr(0x49be7df1));
  EXPECT_TRUE(m.fhdr.fctrl.adr);
  EXPECT_TRUE(m.fhdr.fctrl.adrAckReq);
  EXPECT_TRUE(m.fhdr.fctrl.ack);
  EXPECT_TRUE(m.fhdr.fctrl.classB);
  EXPECT_EQ(m.fhdr.fcnt, 3);
  EXPECT_EQ(toHex(m.fhdr.fopts), "02060a");
  EXPECT_EQ(m.fport, 1);
  EXPECT_EQ(toHex(m.frmPayload), "ff2233");
  EXPECT_EQ(toHex(phy->mic), "aabbccdd");
}

TEST(PhyPayload, DecodesJoinRequestInDisplayOrder) {
  auto phy = parsePhyPayload(hex("00dc0000d07ed5b3701e6fedf57ceeaf0085cc587fe913"));
  ASSERT_TRUE(phy.has_value());
  const auto& j = std::get<JoinRequestPayload>(phy->payload);
  EXPECT_EQ(j.joinEui.toString(), "70b3d57ed00000dc");
  EXPECT_EQ(j.devEui.toString(), "00afee7cf5ed6f1e");
  EXPECT_EQ(j.devNonce, 0xcc85);
}

struct Malformed {
  const char* name;
  const char* hex;
  const char* field;
  const char* text;
};

const Malformed kMalformed[] = {
    {"empty", "", "MHDR", "empty"},
    {"major 1", "41f17dbe4900020001954378762b11ff0d", "MHDR", "major version 1"},
    {"short data", "40f17dbe490002002b11ff", "PHYPayload", "need at least 12"},
    {"FOptsLen past end", "40f17dbe490702000102030405", "FOpts", "length 7 exceeds remaining"},
    {"FPort 0 with FOpts", "40f17dbe49010200060000aabbccdd", "FPort", "FOpts also carries"},
    {"join request short", "00dc0000d07ed5b3701e6fedf57ceeaf0085cc587fe9", "JoinRequest",
     "want 23"},
    {"join request long", "00dc0000d07ed5b3701e6fedf57ceeaf0085cc587fe91300", "JoinRequest",
     "want 23"},
    {"join accept 20 bytes", "20c9fbb259e11649096a568a9e3b7117c3010203", "JoinAccept",
     "want 17 or 33"},
    {"rejoin bad type", "c0030302010807060504030201020111da47bd", "RejoinType", "want 0, 1 or 2"},
    {"rejoin type 1 short", "c001080706050403020108070605040302010201", "RejoinRequest", "want 24"},
    {"rejoin truncated", "c0", "RejoinType", "truncated"},
};

TEST(PhyPayload, MalformedInputNamesTheField) {
  for (const auto& c : kMalformed) {
    SCOPED_TRACE(c.name);
    auto phy = parsePhyPayload(hex(c.hex));
    ASSERT_FALSE(phy.has_value());
    EXPECT_EQ(phy.error().field, c.field);
    EXPECT_NE(phy.error().message.find(c.text), std::string::npos) << phy.error().message;
  }
}

TEST(PhyPayload, RejectsOversizedFrames) {
  Bytes big(300, 0x40);
  auto phy = parsePhyPayload(big);
  ASSERT_FALSE(phy.has_value());
  EXPECT_NE(phy.error().message.find("300 bytes"), std::string::npos);
}

TEST(PhyPayload, EveryTruncationOfValidFramesFailsCleanly) {
  for (const auto& c : kRoundTrips) {
    Bytes in = hex(c.hex);
    ASSERT_TRUE(parsePhyPayload(in).has_value()) << c.name;
    for (size_t n = 0; n < in.size(); ++n) {
      auto phy = parsePhyPayload(std::span(in).first(n));
      // Below MHDR + FHDR + MIC (12 bytes) no data or join frame exists (proprietary frames are
      // free-form); a longer prefix may be a shorter valid frame, and then it must serialize
      // back to exactly those bytes.
      const bool proprietary = (in[0] >> 5) == 7;
      if (n < 12 && !proprietary) {
        EXPECT_FALSE(phy.has_value()) << c.name << " parsed at " << n << " bytes";
      }
      if (phy) {
        EXPECT_EQ(serialize(*phy), Bytes(in.begin(), in.begin() + long(n)))
            << c.name << " at " << n;
      }
    }
  }
}

TEST(PhyPayload, PeekRoutingFindsDevAddrAndDevEui) {
  auto d = peekRouting(hex("40f17dbe4900020001954378762b11ff0d"));
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->mtype, MType::UnconfirmedDataUp);
  EXPECT_EQ(d->devAddr, DevAddr(0x49be7df1));
  auto j = peekRouting(hex("00dc0000d07ed5b3701e6fedf57ceeaf0085cc587fe913"));
  ASSERT_TRUE(j.has_value());
  EXPECT_EQ(j->devEui->toString(), "00afee7cf5ed6f1e");
  EXPECT_FALSE(peekRouting(hex("40f17dbe")).has_value());
  EXPECT_FALSE(peekRouting({}).has_value());
  EXPECT_EQ(peekRouting(Bytes(256, 0x40)).error().field, "PHYPayload");
}

TEST(PhyPayload, MicInputExcludesTheMic) {
  Bytes in = hex("40f17dbe4900020001954378762b11ff0d");
  EXPECT_EQ(toHex(micInput(in)), "40f17dbe490002000195437876");
}

}  // namespace
