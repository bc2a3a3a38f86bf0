// OtlpMetricsConfigFromEnv against the OpenTelemetry environment-variable rules.
#include "export/otlp/otlp_metrics_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "map_env.h"

#include <map>

namespace otelbpf::otlp {
namespace {

using std::chrono::milliseconds;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::SizeIs;

struct Parsed {
  OtlpMetricsConfig config;
  std::vector<std::string> warnings;
};

Parsed Parse(std::map<std::string, std::string> env) {
  Parsed p;
  p.config = OtlpMetricsConfigFromEnv(otelbpf::test_env::MapEnv(env), &p.warnings);
  return p;
}

TEST(OtlpMetricsConfigTest, Defaults) {
  auto p = Parse({});
  EXPECT_FALSE(p.config.enabled());
  EXPECT_EQ(p.config.protocol, OtlpProtocol::kHttpProtobuf);
  EXPECT_EQ(p.config.endpoint, "http://localhost:4318/v1/metrics");
  EXPECT_THAT(p.config.headers, IsEmpty());
  EXPECT_EQ(p.config.timeout, milliseconds(10000));
  EXPECT_EQ(p.config.compression, OtlpCompression::kNone);
  EXPECT_EQ(p.config.export_interval, milliseconds(60000));
  EXPECT_EQ(p.config.export_timeout, milliseconds(30000));
  EXPECT_EQ(p.config.temporality, TemporalityPreference::kCumulative);
  EXPECT_THAT(p.warnings, IsEmpty());
}

TEST(OtlpMetricsConfigTest, GrpcDefaultEndpoint) {
  auto p = Parse({{"OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "grpc"}});
  EXPECT_FALSE(p.config.enabled());
  EXPECT_EQ(p.config.protocol, OtlpProtocol::kGrpc);
  EXPECT_EQ(p.config.endpoint, "localhost:4317");
}

struct EndpointCase {
  std::string name;
  std::map<std::string, std::string> env;
  OtlpProtocol protocol;
  std::string endpoint;
  bool insecure;
};

class OtlpMetricsConfigEndpointTest : public ::testing::TestWithParam<EndpointCase> {};

TEST_P(OtlpMetricsConfigEndpointTest, Resolves) {
  auto p = Parse(GetParam().env);
  EXPECT_TRUE(p.config.enabled());
  EXPECT_EQ(p.config.protocol, GetParam().protocol);
  EXPECT_EQ(p.config.endpoint, GetParam().endpoint);
  if (GetParam().protocol == OtlpProtocol::kGrpc) {
    EXPECT_EQ(p.config.insecure, GetParam().insecure);
  }
  EXPECT_THAT(p.warnings, IsEmpty());
}

constexpr auto kHttp = OtlpProtocol::kHttpProtobuf;
constexpr auto kGrpc = OtlpProtocol::kGrpc;

INSTANTIATE_TEST_SUITE_P(
    OtlpMetricsTable, OtlpMetricsConfigEndpointTest,
    ::testing::Values(
        // The generic endpoint gets /v1/metrics appended.
        EndpointCase{"generic",
                     {{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"}},
                     kHttp,
                     "http://collector:4318/v1/metrics",
                     true},
        EndpointCase{"generic_with_path",
                     {{"OTEL_EXPORTER_OTLP_ENDPOINT", "https://gw.example.com/otlp/"}},
                     kHttp,
                     "https://gw.example.com/otlp/v1/metrics",
                     true},
        // The metrics endpoint is used as is and beats the generic one.
        EndpointCase{"metrics_as_is",
                     {{"OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "http://m:9000/custom"}},
                     kHttp,
                     "http://m:9000/custom",
                     true},
        EndpointCase{"metrics_beats_generic",
                     {{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://generic:4318"},
                      {"OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "http://metrics:4318/v1/metrics"}},
                     kHttp,
                     "http://metrics:4318/v1/metrics",
                     true},
        // Traces-specific variables are not ours.
        EndpointCase{"traces_vars_ignored",
                     {{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://generic:4318"},
                      {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://traces:4318/v1/traces"},
                      {"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "grpc"}},
                     kHttp,
                     "http://generic:4318/v1/metrics",
                     true},
        EndpointCase{"grpc_generic",
                     {{"OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"},
                      {"OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317"}},
                     kGrpc,
                     "collector:4317",
                     true},
        EndpointCase{"grpc_metrics_protocol_and_endpoint",
                     {{"OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"},
                      {"OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "grpc"},
                      {"OTEL_EXPORTER_OTLP_ENDPOINT", "http://generic:4317"},
                      {"OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "https://metrics.example.com"}},
                     kGrpc,
                     "metrics.example.com:443",
                     false},
        EndpointCase{"grpc_metrics_insecure",
                     {{"OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"},
                      {"OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4317"},
                      {"OTEL_EXPORTER_OTLP_METRICS_INSECURE", "true"}},
                     kGrpc,
                     "collector:4317",
                     true}),
    [](const auto& info) { return info.param.name; });

TEST(OtlpMetricsConfigTest, MetricsConnectionSettingsBeatGenericOnes) {
  auto p = Parse({{"OTEL_EXPORTER_OTLP_HEADERS", "a=1"},
                  {"OTEL_EXPORTER_OTLP_METRICS_HEADERS", "b=2,c=x%20y"},
                  {"OTEL_EXPORTER_OTLP_TIMEOUT", "2500"},
                  {"OTEL_EXPORTER_OTLP_METRICS_TIMEOUT", "700"},
                  {"OTEL_EXPORTER_OTLP_COMPRESSION", "none"},
                  {"OTEL_EXPORTER_OTLP_METRICS_COMPRESSION", "gzip"},
                  {"OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "1"}});
  EXPECT_THAT(p.config.headers, ElementsAre(Pair("b", "2"), Pair("c", "x y")));
  EXPECT_EQ(p.config.timeout, milliseconds(700));
  EXPECT_EQ(p.config.compression, OtlpCompression::kGzip);
  EXPECT_THAT(p.warnings, IsEmpty());
}

TEST(OtlpMetricsConfigTest, GenericConnectionSettingsApply) {
  auto p = Parse({{"OTEL_EXPORTER_OTLP_HEADERS", "api-key=s3cret"},
                  {"OTEL_EXPORTER_OTLP_TIMEOUT", "2500"},
                  {"OTEL_EXPORTER_OTLP_COMPRESSION", "gzip"}});
  EXPECT_THAT(p.config.headers, ElementsAre(Pair("api-key", "s3cret")));
  EXPECT_EQ(p.config.timeout, milliseconds(2500));
  EXPECT_EQ(p.config.compression, OtlpCompression::kGzip);
}

TEST(OtlpMetricsConfigTest, ExportIntervalAndTimeout) {
  auto p =
      Parse({{"OTEL_METRIC_EXPORT_INTERVAL", "15000"}, {"OTEL_METRIC_EXPORT_TIMEOUT", "5000"}});
  EXPECT_EQ(p.config.export_interval, milliseconds(15000));
  EXPECT_EQ(p.config.export_timeout, milliseconds(5000));
  EXPECT_THAT(p.warnings, IsEmpty());
}

struct TemporalityCase {
  std::string value;
  TemporalityPreference expected;
  bool warns;
};

class OtlpMetricsConfigTemporalityTest : public ::testing::TestWithParam<TemporalityCase> {};

TEST_P(OtlpMetricsConfigTemporalityTest, Parses) {
  auto p = Parse({{"OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", GetParam().value}});
  EXPECT_EQ(p.config.temporality, GetParam().expected);
  if (GetParam().warns) {
    ASSERT_THAT(p.warnings, SizeIs(1));
    EXPECT_THAT(p.warnings[0], HasSubstr("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE"));
  } else {
    EXPECT_THAT(p.warnings, IsEmpty());
  }
}

INSTANTIATE_TEST_SUITE_P(
    OtlpMetricsTable, OtlpMetricsConfigTemporalityTest,
    ::testing::Values(TemporalityCase{"cumulative", TemporalityPreference::kCumulative, false},
                      TemporalityCase{"Cumulative", TemporalityPreference::kCumulative, false},
                      TemporalityCase{"delta", TemporalityPreference::kDelta, false},
                      TemporalityCase{" DELTA ", TemporalityPreference::kDelta, false},
                      TemporalityCase{"lowmemory", TemporalityPreference::kLowMemory, false},
                      TemporalityCase{"LowMemory", TemporalityPreference::kLowMemory, false},
                      TemporalityCase{"", TemporalityPreference::kCumulative, false},
                      TemporalityCase{"low_memory", TemporalityPreference::kCumulative, true},
                      TemporalityCase{"instant", TemporalityPreference::kCumulative, true}));

struct InvalidCase {
  std::string name;
  std::string value;
};

class OtlpMetricsConfigInvalidValueTest : public ::testing::TestWithParam<InvalidCase> {};

TEST_P(OtlpMetricsConfigInvalidValueTest, WarnsAndKeepsDefault) {
  auto p = Parse({{GetParam().name, GetParam().value}});
  OtlpMetricsConfig defaults;
  EXPECT_EQ(p.config.timeout, defaults.timeout);
  EXPECT_EQ(p.config.compression, defaults.compression);
  EXPECT_EQ(p.config.export_interval, defaults.export_interval);
  EXPECT_EQ(p.config.export_timeout, defaults.export_timeout);
  ASSERT_THAT(p.warnings, SizeIs(1));
  EXPECT_THAT(p.warnings[0], HasSubstr(GetParam().name));
}

INSTANTIATE_TEST_SUITE_P(
    OtlpMetricsTable, OtlpMetricsConfigInvalidValueTest,
    ::testing::Values(InvalidCase{"OTEL_METRIC_EXPORT_INTERVAL", "0"},
                      InvalidCase{"OTEL_METRIC_EXPORT_INTERVAL", "60s"},
                      InvalidCase{"OTEL_METRIC_EXPORT_INTERVAL", "-1"},
                      InvalidCase{"OTEL_METRIC_EXPORT_TIMEOUT", "1.5"},
                      InvalidCase{"OTEL_EXPORTER_OTLP_METRICS_TIMEOUT", "ten"},
                      InvalidCase{"OTEL_EXPORTER_OTLP_METRICS_COMPRESSION", "zstd"},
                      InvalidCase{"OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "carrier-pigeon"}));

}  // namespace
}  // namespace otelbpf::otlp
