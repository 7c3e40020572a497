#include "bridge/platform/path_template.hpp"

#include <gtest/gtest.h>

using bridge::fillPathTemplate;
using bridge::PathValues;

TEST(PathTemplate, FillsEachPlaceholderAsOneEncodedSegment) {
  const PathValues v{"cellar sensor/1", "70b3d57ed0000001", "68e8e794", "up-1"};
  EXPECT_EQ(fillPathTemplate("/devices/{device}/data", v), "/devices/cellar%20sensor%2F1/data");
  EXPECT_EQ(fillPathTemplate("/lns/{dev_eui}/{interface}/events/{id}", v),
            "/lns/70b3d57ed0000001/68e8e794/events/up-1");
}

TEST(PathTemplate, KeepsOtherTextAndUnknownBracesAsWritten) {
  const PathValues v{"d", "e", "i", ""};
  EXPECT_EQ(fillPathTemplate("/x/{unknown}/{device", v), "/x/{unknown}/{device");
  EXPECT_EQ(fillPathTemplate("/q?d={device}&id={id}", v), "/q?d=d&id=");
  EXPECT_EQ(fillPathTemplate("", v), "");
}
