// The text forms of the config file and the environment.
#include <gtest/gtest.h>

#include "config/value_parsers.h"

namespace otelbpf::config {
namespace {

TEST(ConfigValues, PortLists) {
  std::string error;
  auto ports = ParsePortList(" 80, 443 ,8000-8999", &error);
  ASSERT_TRUE(ports) << error;
  ASSERT_EQ(ports->size(), 3u);
  EXPECT_EQ((*ports)[2].first, 8000);
  EXPECT_EQ((*ports)[2].last, 8999);
  for (const char* bad : {"", "0", "65536", "80,", "a", "90-80", "1-2-3", "-5"}) {
    EXPECT_FALSE(ParsePortList(bad, &error)) << bad;
  }
}

TEST(ConfigValues, Durations) {
  std::string error;
  EXPECT_EQ(ParseDuration("500ms", &error), std::chrono::milliseconds(500));
  EXPECT_EQ(ParseDuration("60s", &error), std::chrono::milliseconds(60000));
  EXPECT_EQ(ParseDuration("1.5m", &error), std::chrono::milliseconds(90000));
  EXPECT_EQ(ParseDuration("2h", &error), std::chrono::milliseconds(7200000));
  for (const char* bad : {"60", "s", "0s", "0.1ms", "5 days", "-1s", "1y"}) {
    EXPECT_FALSE(ParseDuration(bad, &error)) << bad;
  }
  EXPECT_NE(error.find("500ms"), std::string::npos);
}

TEST(ConfigValues, SampleRates) {
  std::string error;
  EXPECT_DOUBLE_EQ(*ParseSampleRate("0.25", &error), 0.25);
  EXPECT_DOUBLE_EQ(*ParseSampleRate("25", &error), 0.25);
  EXPECT_DOUBLE_EQ(*ParseSampleRate(" 25% ", &error), 0.25);
  EXPECT_DOUBLE_EQ(*ParseSampleRate("1", &error), 1.0);  // a ratio: every trace
  EXPECT_DOUBLE_EQ(*ParseSampleRate("1%", &error), 0.01);
  for (const char* bad : {"", "%", "101", "-0.1", "x", "inf", "0x10"}) {
    EXPECT_FALSE(ParseSampleRate(bad, &error)) << bad;
  }
}

TEST(ConfigValues, FormatRatioReadsBack) {
  EXPECT_EQ(FormatRatio(0.25), "0.25");
  EXPECT_EQ(FormatRatio(1.0), "1");
  EXPECT_EQ(FormatRatio(0.005), "0.005");
  EXPECT_EQ(std::stod(FormatRatio(1.0 / 3)), 1.0 / 3);
}

TEST(ConfigValues, EditDistance) {
  EXPECT_EQ(EditDistance("open_port", "open_ports"), 1u);
  EXPECT_EQ(EditDistance("log_levl", "log_level"), 1u);
  EXPECT_EQ(EditDistance("", "abc"), 3u);
}

}  // namespace
}  // namespace otelbpf::config
