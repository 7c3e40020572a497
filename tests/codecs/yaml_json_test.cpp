// YAML read as the device repository reads it (YAML 1.2 core schema, as js-yaml does).
#include "codecs/yaml_json.hpp"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

using nlohmann::json;

TEST(YamlJson, PlainScalarsFollowTheCoreSchemaNotYaml11) {
  const json j = codecs::yamlToJson(YAML::Load(R"(
a: on
b: Off
c: yes
d: n
e: True
f: false
g: 010
h: 0x1F
i: 0o17
j: -12
k: 1.5e3
l: ~
m:
n: "on"
o: '12'
p: .inf
q: 2024-07-01
r: [1, on, null]
)"));
  EXPECT_EQ(j["a"], "on");
  EXPECT_EQ(j["b"], "Off");
  EXPECT_EQ(j["c"], "yes");
  EXPECT_EQ(j["d"], "n");
  EXPECT_EQ(j["e"], true);
  EXPECT_EQ(j["f"], false);
  EXPECT_EQ(j["g"], 10);  // decimal: YAML 1.2 octal is 0o
  EXPECT_EQ(j["h"], 31);
  EXPECT_EQ(j["i"], 15);
  EXPECT_EQ(j["j"], -12);
  EXPECT_EQ(j["k"], 1500.0);
  EXPECT_TRUE(j["l"].is_null());
  EXPECT_TRUE(j["m"].is_null());
  EXPECT_EQ(j["n"], "on");
  EXPECT_EQ(j["o"], "12");
  EXPECT_TRUE(j["p"].is_number_float());
  EXPECT_EQ(j["q"], "2024-07-01");
  EXPECT_EQ(j["r"], json::parse(R"([1, "on", null])"));
}
