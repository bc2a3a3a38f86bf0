// OtlpConfigFromEnv against the OpenTelemetry environment-variable rules.
#include "export/otlp/otlp_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "map_env.h"

#include <map>

namespace otelbpf::otlp {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::SizeIs;

struct Parsed {
  OtlpConfig config;
  std::vector<std::string> warnings;
};

Parsed Parse(std::map<std::string, std::string> env) {
  Parsed p;
  p.config = OtlpConfigFromEnv(otelbpf::test_env::MapEnv(env), &p.warnings);
  return p;
}

TEST(OtlpConfigTest, DefaultsAreDisabledHttpProtobuf) {
  auto p = Parse({});
  EXPECT_FALSE(p.config.enabled());
  EXPECT_EQ(p.config.protocol, OtlpProtocol::kHttpProtobuf);
  EXPECT_EQ(p.config.endpoint, "http://localhost:4318/v1/traces");
  EXPECT_THAT(p.config.headers, IsEmpty());
  EXPECT_EQ(p.config.timeout, std::chrono::milliseconds(10000));
  EXPECT_EQ(p.config.compression, OtlpCompression::kNone);
  EXPECT_EQ(p.config.batch.schedule_delay, std::chrono::milliseconds(5000));
  EXPECT_EQ(p.config.batch.max_queue_size, 4096u);
  EXPECT_EQ(p.config.batch.max_export_batch_size, 512u);
  EXPECT_EQ(p.config.batch.export_timeout, std::chrono::milliseconds(30000));
  EXPECT_THAT(p.warnings, IsEmpty());
}

TEST(OtlpConfigTest, ProtocolAloneDoesNotEnableExport) {
  auto p = Parse({{"OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"}});
  EXPECT_FALSE(p.config.enabled());
  EXPECT_EQ(p.config.protocol, OtlpProtocol::kGrpc);
  EXPECT_EQ(p.config.endpoint, "localhost:4317");
}

TEST(OtlpConfigTest, EmptyVariablesCountAsUnset) {
  auto p = Parse({{"OTEL_EXPORTER_OTLP_ENDPOINT", ""},
                  {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "  "},
                  {"OTEL_EXPORTER_OTLP_TIMEOUT", ""}});
  EXPECT_FALSE(p.config.enabled());
  EXPECT_EQ(p.config.timeout, std::chrono::milliseconds(10000));
  EXPECT_THAT(p.warnings, IsEmpty());
}

struct HttpEndpointCase {
  std::map<std::string, std::string> env;
  std::string expected_url;
};

class OtlpConfigHttpEndpointTest : public ::testing::TestWithParam<HttpEndpointCase> {};

TEST_P(OtlpConfigHttpEndpointTest, ResolvesUrl) {
  auto p = Parse(GetParam().env);
  EXPECT_TRUE(p.config.enabled());
  EXPECT_EQ(p.config.endpoint, GetParam().expected_url);
}

INSTANTIATE_TEST_SUITE_P(
    OtlpTable, OtlpConfigHttpEndpointTest,
    ::testing::Values(
        // The generic endpoint is a base: /v1/traces is appended, respecting a trailing slash.
        HttpEndpointCase{{{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"}},
                         "http://collector:4318/v1/traces"},
        HttpEndpointCase{{{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318/"}},
                         "http://collector:4318/v1/traces"},
        HttpEndpointCase{{{"OTEL_EXPORTER_OTLP_ENDPOINT", "https://gw.example.com/otlp"}},
                         "https://gw.example.com/otlp/v1/traces"},
        HttpEndpointCase{{{"OTEL_EXPORTER_OTLP_ENDPOINT", "https://gw.example.com/otlp/"}},
                         "https://gw.example.com/otlp/v1/traces"},
        // The traces endpoint is used as is, and beats the generic one.
        HttpEndpointCase{{{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://c:4318/custom/path"}},
                         "http://c:4318/custom/path"},
        HttpEndpointCase{{{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://c:4318"}},
                         "http://c:4318"},
        HttpEndpointCase{{{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://generic:4318"},
                          {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://traces:4318/v1/traces"}},
                         "http://traces:4318/v1/traces"},
        // Explicit http/protobuf behaves like the default.
        HttpEndpointCase{{{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"},
                          {"OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"}},
                         "http://c:4318/v1/traces"}));

struct GrpcEndpointCase {
  std::map<std::string, std::string> env;
  std::string expected_target;
  bool expected_insecure;
};

class OtlpConfigGrpcEndpointTest : public ::testing::TestWithParam<GrpcEndpointCase> {};

TEST_P(OtlpConfigGrpcEndpointTest, ResolvesTargetAndSecurity) {
  auto env = GetParam().env;
  env.emplace("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc");
  auto p = Parse(env);
  EXPECT_TRUE(p.config.enabled());
  EXPECT_EQ(p.config.protocol, OtlpProtocol::kGrpc);
  EXPECT_EQ(p.config.endpoint, GetParam().expected_target);
  EXPECT_EQ(p.config.insecure, GetParam().expected_insecure);
  EXPECT_THAT(p.warnings, IsEmpty());
}

INSTANTIATE_TEST_SUITE_P(
    OtlpTable, OtlpConfigGrpcEndpointTest,
    ::testing::Values(
        GrpcEndpointCase{
            {{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317"}}, "collector:4317", true},
        GrpcEndpointCase{
            {{"OTEL_EXPORTER_OTLP_ENDPOINT", "https://collector:4317"}}, "collector:4317", false},
        // No path is appended for gRPC, and a given path is dropped.
        GrpcEndpointCase{
            {{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317/"}}, "collector:4317", true},
        GrpcEndpointCase{
            {{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "https://c:4317/v1/traces"}}, "c:4317", false},
        // No scheme: TLS (the specification's default) unless OTEL_EXPORTER_OTLP_INSECURE=true.
        GrpcEndpointCase{
            {{"OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4317"}}, "collector:4317", false},
        GrpcEndpointCase{{{"OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4317"},
                          {"OTEL_EXPORTER_OTLP_INSECURE", "true"}},
                         "collector:4317",
                         true},
        GrpcEndpointCase{{{"OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4317"},
                          {"OTEL_EXPORTER_OTLP_INSECURE", "false"},
                          {"OTEL_EXPORTER_OTLP_TRACES_INSECURE", "TRUE"}},
                         "collector:4317",
                         true},
        // The scheme wins over OTEL_EXPORTER_OTLP_INSECURE.
        GrpcEndpointCase{{{"OTEL_EXPORTER_OTLP_ENDPOINT", "https://c:4317"},
                          {"OTEL_EXPORTER_OTLP_INSECURE", "true"}},
                         "c:4317",
                         false},
        // A missing port is the scheme's default port.
        GrpcEndpointCase{{{"OTEL_EXPORTER_OTLP_ENDPOINT", "https://collector.example.com"}},
                         "collector.example.com:443",
                         false},
        GrpcEndpointCase{
            {{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector"}}, "collector:80", true},
        GrpcEndpointCase{
            {{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://[::1]:4317"}}, "[::1]:4317", true},
        GrpcEndpointCase{{{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://[::1]"}}, "[::1]:80", true},
        // The traces-specific protocol and endpoint win.
        GrpcEndpointCase{{{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://generic:4317"},
                          {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://traces:4317"}},
                         "traces:4317",
                         true}));

TEST(OtlpConfigTest, TracesProtocolBeatsGeneric) {
  auto p = Parse({{"OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"},
                  {"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "grpc"},
                  {"OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4317"}});
  EXPECT_EQ(p.config.protocol, OtlpProtocol::kGrpc);
  EXPECT_EQ(p.config.endpoint, "c:4317");
}

TEST(OtlpConfigTest, HttpJsonFallsBackToProtobufWithWarning) {
  auto p = Parse({{"OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"},
                  {"OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"}});
  EXPECT_EQ(p.config.protocol, OtlpProtocol::kHttpProtobuf);
  EXPECT_EQ(p.config.endpoint, "http://c:4318/v1/traces");
  ASSERT_THAT(p.warnings, SizeIs(1));
  EXPECT_THAT(p.warnings[0], HasSubstr("http/json"));
}

TEST(OtlpConfigTest, UnknownProtocolWarns) {
  auto p = Parse({{"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "carrier-pigeon"}});
  EXPECT_EQ(p.config.protocol, OtlpProtocol::kHttpProtobuf);
  ASSERT_THAT(p.warnings, SizeIs(1));
  EXPECT_THAT(p.warnings[0], HasSubstr("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"));
}

TEST(OtlpConfigTest, HttpEndpointWithoutSchemeAssumesHttp) {
  auto p = Parse({{"OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318"}});
  EXPECT_EQ(p.config.endpoint, "http://collector:4318/v1/traces");
  EXPECT_THAT(p.warnings, SizeIs(1));
}

TEST(OtlpConfigTest, HeadersAreParsedAndDecoded) {
  auto p = Parse({{"OTEL_EXPORTER_OTLP_HEADERS",
                   "api-key=secret, x-team = a%20b%2Cc ,Authorization=Basic%20dXNlcjpwYXNz"}});
  EXPECT_THAT(p.config.headers, ElementsAre(Pair("api-key", "secret"), Pair("x-team", "a b,c"),
                                            Pair("Authorization", "Basic dXNlcjpwYXNz")));
  EXPECT_THAT(p.warnings, IsEmpty());
}

TEST(OtlpConfigTest, TracesHeadersReplaceGenericHeaders) {
  auto p = Parse(
      {{"OTEL_EXPORTER_OTLP_HEADERS", "a=1,b=2"}, {"OTEL_EXPORTER_OTLP_TRACES_HEADERS", "c=3"}});
  EXPECT_THAT(p.config.headers, ElementsAre(Pair("c", "3")));
}

TEST(OtlpConfigTest, HeaderValuesKeepPlusAndEqualsSigns) {
  auto headers = ParseOtlpHeaders("k=a+b==", nullptr);
  EXPECT_THAT(headers, ElementsAre(Pair("k", "a+b==")));
}

TEST(OtlpConfigTest, MalformedHeadersAreSkippedWithWarnings) {
  std::vector<std::string> warnings;
  auto headers =
      ParseOtlpHeaders("good=1,,novalue,=empty-key,bad key=2,pct=%zz,end=%4,ok=%41", &warnings);
  EXPECT_THAT(headers, ElementsAre(Pair("good", "1"), Pair("ok", "A")));
  EXPECT_THAT(warnings, SizeIs(5));  // novalue, =empty-key, bad key, %zz, %4
}

TEST(OtlpConfigTest, EmptyHeaderValueIsAllowed) {
  EXPECT_THAT(ParseOtlpHeaders("k=", nullptr), ElementsAre(Pair("k", "")));
}

TEST(OtlpConfigTest, TimeoutAndCompression) {
  auto p =
      Parse({{"OTEL_EXPORTER_OTLP_TIMEOUT", "2500"}, {"OTEL_EXPORTER_OTLP_COMPRESSION", "gzip"}});
  EXPECT_EQ(p.config.timeout, std::chrono::milliseconds(2500));
  EXPECT_EQ(p.config.compression, OtlpCompression::kGzip);

  p = Parse({{"OTEL_EXPORTER_OTLP_TIMEOUT", "2500"},
             {"OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "700"},
             {"OTEL_EXPORTER_OTLP_COMPRESSION", "gzip"},
             {"OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "none"}});
  EXPECT_EQ(p.config.timeout, std::chrono::milliseconds(700));
  EXPECT_EQ(p.config.compression, OtlpCompression::kNone);
  EXPECT_THAT(p.warnings, IsEmpty());
}

TEST(OtlpConfigTest, BatchSettings) {
  auto p = Parse({{"OTEL_BSP_SCHEDULE_DELAY", "200"},
                  {"OTEL_BSP_MAX_QUEUE_SIZE", "10000"},
                  {"OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "1000"},
                  {"OTEL_BSP_EXPORT_TIMEOUT", "1500"}});
  EXPECT_EQ(p.config.batch.schedule_delay, std::chrono::milliseconds(200));
  EXPECT_EQ(p.config.batch.max_queue_size, 10000u);
  EXPECT_EQ(p.config.batch.max_export_batch_size, 1000u);
  EXPECT_EQ(p.config.batch.export_timeout, std::chrono::milliseconds(1500));
  EXPECT_THAT(p.warnings, IsEmpty());
}

TEST(OtlpConfigTest, BatchSizeIsCappedAtQueueSize) {
  auto p = Parse({{"OTEL_BSP_MAX_QUEUE_SIZE", "100"}});  // default batch 512 > 100
  EXPECT_EQ(p.config.batch.max_export_batch_size, 100u);
  EXPECT_THAT(p.warnings, SizeIs(1));
}

struct InvalidCase {
  std::string name;
  std::string value;
};

class OtlpConfigInvalidValueTest : public ::testing::TestWithParam<InvalidCase> {};

TEST_P(OtlpConfigInvalidValueTest, WarnsAndKeepsDefault) {
  auto p = Parse({{GetParam().name, GetParam().value}});
  OtlpConfig defaults;
  EXPECT_EQ(p.config.timeout, defaults.timeout);
  EXPECT_EQ(p.config.compression, defaults.compression);
  EXPECT_EQ(p.config.batch.schedule_delay, defaults.batch.schedule_delay);
  EXPECT_EQ(p.config.batch.max_queue_size, defaults.batch.max_queue_size);
  EXPECT_EQ(p.config.batch.max_export_batch_size, defaults.batch.max_export_batch_size);
  EXPECT_EQ(p.config.batch.export_timeout, defaults.batch.export_timeout);
  ASSERT_THAT(p.warnings, SizeIs(1));
  EXPECT_THAT(p.warnings[0], HasSubstr(GetParam().name));
}

INSTANTIATE_TEST_SUITE_P(OtlpTable, OtlpConfigInvalidValueTest,
                         ::testing::Values(InvalidCase{"OTEL_EXPORTER_OTLP_TIMEOUT", "ten"},
                                           InvalidCase{"OTEL_EXPORTER_OTLP_TIMEOUT", "-5"},
                                           InvalidCase{"OTEL_EXPORTER_OTLP_TIMEOUT", "0"},
                                           InvalidCase{"OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "12ms"},
                                           InvalidCase{"OTEL_EXPORTER_OTLP_TIMEOUT",
                                                       "99999999999999999999999"},
                                           InvalidCase{"OTEL_EXPORTER_OTLP_COMPRESSION", "brotli"},
                                           InvalidCase{"OTEL_BSP_SCHEDULE_DELAY", "1.5"},
                                           InvalidCase{"OTEL_BSP_MAX_QUEUE_SIZE", "lots"},
                                           InvalidCase{"OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "0"},
                                           InvalidCase{"OTEL_BSP_EXPORT_TIMEOUT", "+30"}));

TEST(OtlpConfigTest, InvalidInsecureWarns) {
  auto p = Parse({{"OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"},
                  {"OTEL_EXPORTER_OTLP_ENDPOINT", "c:4317"},
                  {"OTEL_EXPORTER_OTLP_INSECURE", "maybe"}});
  EXPECT_FALSE(p.config.insecure);
  EXPECT_THAT(p.warnings, SizeIs(1));
}

}  // namespace
}  // namespace otelbpf::otlp
