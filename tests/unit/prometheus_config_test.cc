#include <gtest/gtest.h>

#include "map_env.h"

#include <map>

#include "export/prometheus/prometheus_config.h"

namespace otelbpf::prometheus {
namespace {

PrometheusConfig FromEnv(std::map<std::string, std::string> env,
                         std::vector<std::string>* warnings = nullptr) {
  return PrometheusConfigFromEnv(otelbpf::test_env::MapEnv(env), warnings);
}

TEST(PrometheusConfigTest, DefaultsToLoopback9464AndDisabled) {
  const PrometheusConfig c = FromEnv({});
  EXPECT_EQ(c.host, "127.0.0.1");
  EXPECT_EQ(c.port, 9464);
  EXPECT_FALSE(c.enabled);
  EXPECT_EQ(c.Address(), "127.0.0.1:9464");
}

TEST(PrometheusConfigTest, ReadsHostPortAndExporterList) {
  const PrometheusConfig c = FromEnv({{"OTEL_EXPORTER_PROMETHEUS_HOST", " [::1] "},
                                      {"OTEL_EXPORTER_PROMETHEUS_PORT", "0"},
                                      {"OTEL_METRICS_EXPORTER", "otlp, Prometheus"}});
  EXPECT_EQ(c.host, "::1");
  EXPECT_EQ(c.port, 0);
  EXPECT_TRUE(c.enabled);
  EXPECT_EQ(c.Address(), "[::1]:0");
  EXPECT_FALSE(FromEnv({{"OTEL_METRICS_EXPORTER", "otlp"}}).enabled);
  EXPECT_FALSE(FromEnv({{"OTEL_METRICS_EXPORTER", "none"}}).enabled);
}

TEST(PrometheusConfigTest, InvalidValuesWarnAndKeepDefaults) {
  std::vector<std::string> warnings;
  const PrometheusConfig c = FromEnv(
      {{"OTEL_EXPORTER_PROMETHEUS_HOST", "a b"}, {"OTEL_EXPORTER_PROMETHEUS_PORT", "70000"}},
      &warnings);
  EXPECT_EQ(c.host, "127.0.0.1");
  EXPECT_EQ(c.port, 9464);
  ASSERT_EQ(warnings.size(), 2u);
  EXPECT_NE(warnings[1].find("OTEL_EXPORTER_PROMETHEUS_PORT=\"70000\""), std::string::npos);
  EXPECT_EQ(FromEnv({{"OTEL_EXPORTER_PROMETHEUS_PORT", ""}}).port, 9464);  // empty = unset
  EXPECT_EQ(FromEnv({{"OTEL_EXPORTER_PROMETHEUS_PORT", "-1"}}).port, 9464);
}

}  // namespace
}  // namespace otelbpf::prometheus
