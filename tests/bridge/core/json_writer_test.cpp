#include "bridge/core/json_writer.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

namespace bridge {
namespace {

TEST(JsonWriterTest, WritesNestedContainersWithCommasInPlace) {
  JsonWriter w;
  w.beginObject().key("a").number(1).key("b").beginArray();
  w.number(-2).boolean(true).null().beginObject().endObject().beginArray().endArray();
  w.endArray().key("c").string("x").key("d").raw(R"({"k":[1,2]})").endObject();
  EXPECT_EQ(w.str(), R"({"a":1,"b":[-2,true,null,{},[]],"c":"x","d":{"k":[1,2]}})");
}

TEST(JsonWriterTest, EscapesWhatJsonRequiresAndReadsBackTheSameString) {
  const std::string nasty = std::string("q\"b\\n\nr\rt\t\x01\x1f end\x7f ") + "\xc3\xa9";
  JsonWriter w;
  w.beginArray().string(nasty).endArray();
  EXPECT_EQ(w.str().find('\n'), std::string::npos);
  EXPECT_EQ(nlohmann::json::parse(w.str())[0], nasty);
}

// Plain ASCII is copied without checks; a string that needs any care (an escape, a byte of
// UTF-8, an invalid byte) past a plain start still gets it.
TEST(JsonWriterTest, PlainStringsAsTheyAreAndCareOnlyWhereNeeded) {
  JsonWriter w;
  w.beginArray().string("sim-0000892").string("plain then \"quote").string("plain then \xc3\xa9");
  w.string("plain then \xff").string("").endArray();
  EXPECT_EQ(w.str(),
            "[\"sim-0000892\",\"plain then \\\"quote\",\"plain then \xc3\xa9\","
            "\"plain then \xEF\xBF\xBD\",\"\"]");
}

TEST(JsonWriterTest, InvalidUtf8BecomesReplacementCharactersInsteadOfThrowing) {
  JsonWriter w;
  w.beginArray().string("ok\xff\xfe!").endArray();
  EXPECT_EQ(nlohmann::json::parse(w.str())[0], "ok\xEF\xBF\xBD\xEF\xBF\xBD!");
}

TEST(JsonWriterTest, NumbersReadBackExactlyAndNonFiniteIsNull) {
  JsonWriter w;
  w.beginArray().number(-57.25).number(868.1e6).number(0.1).number(uint64_t(UINT64_MAX));
  w.number(int64_t(INT64_MIN)).number(std::nan("")).number(INFINITY).endArray();
  auto j = nlohmann::json::parse(w.str());
  EXPECT_EQ(j[0].get<double>(), -57.25);
  EXPECT_EQ(j[1].get<double>(), 868.1e6);
  EXPECT_EQ(j[2].get<double>(), 0.1);
  EXPECT_EQ(j[3].get<uint64_t>(), UINT64_MAX);
  EXPECT_EQ(j[4].get<int64_t>(), INT64_MIN);
  EXPECT_TRUE(j[5].is_null());
  EXPECT_TRUE(j[6].is_null());
}

TEST(JsonWriterTest, OptionalsAreNullWhenEmpty) {
  JsonWriter w;
  w.beginObject().key("s").optional(std::optional<std::string>("t"));
  w.key("n").optional(std::optional<double>()).key("d").optional(std::optional<double>(1.5));
  w.endObject();
  EXPECT_EQ(w.str(), R"({"s":"t","n":null,"d":1.5})");
}

}  // namespace
}  // namespace bridge
