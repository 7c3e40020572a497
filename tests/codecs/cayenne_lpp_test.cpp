#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "codecs/codec.hpp"
#include "support/fixtures.hpp"

using nlohmann::json;

namespace {

json decode(const codecs::Codec& c, const std::string& hex, uint8_t port = 1) {
  auto bytes = testsupport::hex(hex);
  auto r = c.decodeUplink({bytes, port, 0});
  EXPECT_TRUE(r.errors.empty()) << r.errors.front();
  return r.dataJson ? json::parse(*r.dataJson) : json();
}

TEST(CayenneLpp, PublishedAndTableVectors) {
  auto lpp = codecs::makeCayenneLppCodec("arduino", "tts");
  auto doc = json::parse(testsupport::readFixture("codecs/cayenne_lpp.json"));
  size_t cases = 0;
  for (const auto& c : doc["cases"]) {
    SCOPED_TRACE(c["name"].get<std::string>() + " — " + c["source"].get<std::string>());
    EXPECT_EQ(decode(*lpp, c["hex"]), c["tts"]);
    ++cases;
  }
  EXPECT_GE(cases, 5u) << "the vectors file lost its cases";
}

TEST(CayenneLpp, ChirpStackStyleNestsByTypeThenChannel) {
  auto lpp = codecs::makeCayenneLppCodec("arduino", "chirpstack");
  EXPECT_EQ(decode(*lpp, "03670110056700ff"),
            json::parse(R"({"temperatureSensor":{"3":27.2,"5":25.5}})"));
}

TEST(CayenneLpp, TtnVariantRejectsTheExtendedIds) {
  auto ttn = codecs::makeCayenneLppCodec("ttn", "tts");
  auto bytes = testsupport::hex("0174014a");
  auto r = ttn->decodeUplink({bytes, 1, 0});
  EXPECT_FALSE(r.dataJson.has_value());
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_NE(r.errors[0].find("unknown type 116"), std::string::npos);
}

TEST(CayenneLpp, ErrorsSayWhereTheyHappened) {
  auto lpp = codecs::makeCayenneLppCodec("arduino", "tts");
  auto one = [&](const std::string& hex) {
    auto b = testsupport::hex(hex);
    auto r = lpp->decodeUplink({b, 1, 0});
    return r.errors.empty() ? std::string() : r.errors[0];
  };
  EXPECT_NE(one("0367011005").find("truncated item at byte 4"), std::string::npos);
  EXPECT_NE(one("036701").find("temperature on channel 3 needs 2 bytes, 1 remain"),
            std::string::npos);
  EXPECT_NE(one("03ff00").find("unknown type 255 at byte 1"), std::string::npos);
}

TEST(CayenneLpp, EncodesDownlinkObjectsAndRoundTrips) {
  auto lpp = codecs::makeCayenneLppCodec("arduino", "tts");
  auto r = lpp->encodeDownlink(R"({"digital_out_2": 1, "analog_out_3": -1.5})", 1);
  ASSERT_TRUE(r.errors.empty());
  EXPECT_EQ(lorawan::toHex(r.bytes), "0303ff6a020101");  // fields in name order
  EXPECT_EQ(decode(*lpp, lorawan::toHex(r.bytes)),
            json::parse(R"({"digital_out_2":1,"analog_out_3":-1.5})"));
  EXPECT_FALSE(lpp->encodeDownlink(R"({"digital_out_2": 300})", 1).errors.empty());
  EXPECT_FALSE(lpp->encodeDownlink(R"({"nonsense": 1})", 1).errors.empty());
  EXPECT_FALSE(lpp->encodeDownlink("[1]", 1).errors.empty());
}

TEST(Layout, DecodesFieldsFromYaml) {
  auto c = codecs::loadLayoutCodec(testsupport::fixturePath("codecs/door_layout.yaml"));
  ASSERT_TRUE(c.has_value()) << c.error();
  // temperature 21.5 (0x00d7), battery 0x4b*0.02+1.8 = 3.3, flags 0b11, counter 0x0102 LE, 1.5f
  auto out = decode(**c, "00d74b0302013fc00000", 2);
  EXPECT_EQ(out["temperature"], json::parse(R"({"value":21.5,"unit":"°C"})"));
  EXPECT_DOUBLE_EQ(out["battery"].get<double>(), 3.3);
  EXPECT_EQ(out["door"], "open");
  EXPECT_EQ(out["tamper"], 1);
  EXPECT_EQ(out["counter"], 0x0102);
  EXPECT_DOUBLE_EQ(out["pressure"].get<double>(), 1.5);
  auto neg = decode(**c, "ff384b0000000000000000", 2);
  EXPECT_EQ(neg["temperature"]["value"], -20.0);
  EXPECT_EQ(neg["door"], "closed");
}

TEST(Layout, ErrorsNameTheFieldOrTheFileLine) {
  auto c = codecs::loadLayoutCodec(testsupport::fixturePath("codecs/door_layout.yaml"));
  ASSERT_TRUE(c.has_value());
  auto b = testsupport::hex("00d7");
  auto r = (*c)->decodeUplink({b, 2, 0});
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0], "layout: battery needs bytes 2..2, payload has 2");
  EXPECT_EQ((*c)->decodeUplink({b, 9, 0}).errors[0], "layout: no fields for FPort 9");
  EXPECT_NE(codecs::loadLayoutCodec("/nonexistent.yaml").error().find("cannot open"),
            std::string::npos);
}

TEST(CodecSet, PerPortChoiceAndFailuresNeverThrow) {
  codecs::CodecSpec spec;
  spec.type = "cayenne_lpp";
  spec.fports[2].type = "layout";
  spec.fports[2].file = testsupport::fixturePath("codecs/door_layout.yaml");
  auto set = codecs::CodecSet::build(spec);
  ASSERT_TRUE(set.has_value()) << set.error();
  EXPECT_EQ((*set)->forPort(1).name(), "cayenne_lpp");
  EXPECT_EQ((*set)->forPort(2).name(), "layout");
  auto bad = testsupport::hex("03ff");
  auto r = (*set)->decode({bad, 1, 0});
  EXPECT_FALSE(r.dataJson.has_value());
  EXPECT_FALSE(r.errors.empty());
  spec.type = "js";
  EXPECT_FALSE(codecs::CodecSet::build(spec).has_value());
}

}  // namespace
