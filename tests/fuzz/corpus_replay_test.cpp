// Every input under fixtures/fuzz/<target>/ (seeds and minimized crashes) runs through its fuzz
// target in the normal test run: a crash found once stays fixed.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include "fuzz/targets.hpp"

namespace {

class CorpusReplay : public ::testing::TestWithParam<fuzz::Target> {};

TEST_P(CorpusReplay, EveryStoredInputRunsCleanly) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(LB_FIXTURES_DIR) / "fuzz" / GetParam().name;
  ASSERT_TRUE(fs::is_directory(dir)) << dir << ": every target keeps a seed corpus";
  size_t inputs = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    std::ifstream f(e.path(), std::ios::binary);
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(f)),
                               std::istreambuf_iterator<char>());
    SCOPED_TRACE(e.path().string());
    EXPECT_EQ(GetParam().run(bytes.data(), bytes.size()), 0);
    ++inputs;
  }
  EXPECT_GE(inputs, 3u) << dir << " holds too few seeds";
}

INSTANTIATE_TEST_SUITE_P(Fuzz, CorpusReplay, ::testing::ValuesIn(fuzz::kTargets),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
