// The daemon's command line, run as the real binary: a wrong flag or value is named, not answered
// with the usage alone or accepted silently.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

namespace {

struct Run {
  int exitCode = -1;
  std::string output;  // stdout and stderr
};

Run run(const std::string& args) {
  Run r;
  FILE* p = popen((std::string(LB_BINARY) + " " + args + " 2>&1").c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf{};
  while (size_t n = fread(buf.data(), 1, buf.size(), p)) r.output.append(buf.data(), n);
  const int status = pclose(p);
  r.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

TEST(CommandLine, AMisspeltFlagIsNamed) {
  auto r = run("--confg bridge.yaml");
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_NE(r.output.find("unknown argument \"--confg\""), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("usage:"), std::string::npos) << r.output;
}

TEST(CommandLine, AnUnknownLogLevelIsRefused) {
  auto r = run("--config bridge.yaml --log-level verbose");
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_NE(r.output.find("unknown log level \"verbose\" (use debug, info, warn or error)"),
            std::string::npos)
      << r.output;
}

TEST(CommandLine, AFlagWithoutItsValueSaysSo) {
  auto r = run("--config");
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_NE(r.output.find("--config needs a value"), std::string::npos) << r.output;
}

}  // namespace

namespace {

TEST(CommandLine, AMissingConfigFileSaysWhy) {
  auto r = run("--config /nonexistent/bridge.yaml");
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_NE(r.output.find("/nonexistent/bridge.yaml: cannot open: No such file or directory"),
            std::string::npos)
      << r.output;
}

}  // namespace
