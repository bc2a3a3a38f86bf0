// The config file: errors that name the key and the line, unknown keys, OBI files, and the
// precedence file < environment < flag.
#include <gtest/gtest.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdlib>

#include "config/config_file.h"
#include "config/resolve.h"
#include "config/run_flags.h"
#include "config_test_support.h"
#include "protocols/selection.h"

namespace otelbpf::config {
namespace {

using test::Joined;
using test::Load;
using test::MapEnvironment;

std::vector<std::string> Errors(const std::string& yaml) {
  return Load(yaml).diagnostics.errors;
}

// --- errors ---

TEST(ConfigFileErrors, UnknownKeyInAListEntryNamesPathLineAndSuggestion) {
  EXPECT_EQ(Errors("discovery:\n  instrument:\n    - exe_path: nginx\n    - open_port: 80\n"),
            std::vector<std::string>{"config test.yaml:4: key 'discovery.instrument[1].open_port' "
                                     "is unknown (did you mean 'open_ports'?)"});
}

TEST(ConfigFileErrors, TopLevelTypoSuggestsTheKey) {
  EXPECT_EQ(Errors("# comment\nlog_levl: info\n"),
            std::vector<std::string>{
                "config test.yaml:2: key 'log_levl' is unknown (did you mean 'log_level'?)"});
}

TEST(ConfigFileErrors, UnknownKeyFarFromAnyHasNoSuggestion) {
  EXPECT_EQ(Errors("ebpf:\n  frobnicate: 3\n"),
            std::vector<std::string>{"config test.yaml:2: key 'ebpf.frobnicate' is unknown"});
}

TEST(ConfigFileErrors, IntegerOutOfRangeListsTheRange) {
  EXPECT_EQ(Errors("ebpf:\n  tls: true\n  capture_bytes: 10\n"),
            std::vector<std::string>{"config test.yaml:3: key 'ebpf.capture_bytes' is '10'; "
                                     "accepted: an integer from 64 to 8192"});
}

TEST(ConfigFileErrors, EnumListsTheAcceptedValues) {
  EXPECT_EQ(Errors("routes:\n  unmatched: sometimes\n"),
            std::vector<std::string>{"config test.yaml:2: key 'routes.unmatched' is 'sometimes'; "
                                     "accepted: unset, path, wildcard, heuristic, "
                                     "low-cardinality"});
}

TEST(ConfigFileErrors, BoolAcceptsTrueOrFalseOnly) {
  EXPECT_EQ(Errors("ebpf: {tls: maybe}\n"),
            std::vector<std::string>{
                "config test.yaml:1: key 'ebpf.tls' is 'maybe'; accepted: true, false"});
}

TEST(ConfigFileErrors, UnknownProtocolNamesTheKeyAndTheKnownOnes) {
  auto errors = Errors("\n\nebpf:\n  protocols: [http1, kafka]\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].rfind("config test.yaml:4: key 'ebpf.protocols': ", 0), 0u) << errors[0];
  EXPECT_NE(errors[0].find("kafka"), std::string::npos);
  EXPECT_NE(errors[0].find("redis"), std::string::npos) << "lists the known protocols";
}

TEST(ConfigFileErrors, BadPortRange) {
  auto errors = Errors("discovery:\n  instrument:\n    - open_ports: 80,9000-8000\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0],
            "config test.yaml:3: key 'discovery.instrument[0].open_ports' is invalid: "
            "'9000-8000' is not a port (1-65535) or a range like 8000-8999");
}

TEST(ConfigFileErrors, WrongShapeSaysWhatIsExpected) {
  EXPECT_EQ(Errors("discovery:\n  instrument:\n    open_ports: 80\n"),
            std::vector<std::string>{"config test.yaml:3: key 'discovery.instrument' must be a "
                                     "list (- open_ports: 80)"});
  EXPECT_EQ(Errors("routes:\n  patterns: {a: b}\n"),
            std::vector<std::string>{
                "config test.yaml:2: key 'routes.patterns' must be a list of strings"});
  EXPECT_EQ(Errors("- log_level: info\n"),
            std::vector<std::string>{
                "config test.yaml:1: the file must be a map of keys (e.g. log_level: info)"});
  EXPECT_EQ(Errors("log_level:\n"),
            std::vector<std::string>{"config test.yaml:1: key 'log_level' has no value "
                                     "(expected one of the accepted values)"});
}

TEST(ConfigFileErrors, InvalidYamlNamesTheLine) {
  auto errors = Errors("log_level: info\nebpf:\n  tls: [true\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].rfind("config test.yaml:", 0), 0u);
  EXPECT_NE(errors[0].find("not valid YAML"), std::string::npos) << errors[0];
}

TEST(ConfigFileErrors, EveryErrorIsReportedNotOnlyTheFirst) {
  auto errors = Errors("ebpf:\n  tls: 3\n  capture_bytes: x\nlog_levle: info\n");
  ASSERT_EQ(errors.size(), 3u) << Joined(errors);
  EXPECT_NE(errors[0].find(":2:"), std::string::npos);
  EXPECT_NE(errors[1].find(":3:"), std::string::npos);
  EXPECT_NE(errors[2].find(":4:"), std::string::npos);
}

TEST(ConfigFileErrors, BadOtlpEndpointAndHeader) {
  EXPECT_EQ(Errors("otel_traces_export: {endpoint: 'localhost:4318'}\n"),
            std::vector<std::string>{
                "config test.yaml:1: key 'otel_traces_export.endpoint': 'localhost:4318' is not "
                "a URL like http://localhost:4318 (http:// or https://)"});
  EXPECT_EQ(Errors("otel_traces_export:\n  headers: {'bad name': x}\n"),
            std::vector<std::string>{"config test.yaml:2: key 'otel_traces_export.headers': "
                                     "'bad name' is not an HTTP header name"});
}

TEST(ConfigFileErrors, SamplerAndSampleRateTogetherAreRefused) {
  auto errors =
      Errors("otel_traces_export:\n  sample_rate: 0.5\n  sampler: {name: always_on}\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("not both"), std::string::npos) << errors[0];
}

TEST(ConfigFileErrors, MixedInstrumentEntriesAreRefusedWithTheirLines) {
  auto errors = Errors(
      "discovery:\n  instrument:\n    - exe_path: nginx\n    - open_ports: 5432\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].rfind("config test.yaml:4: discovery.instrument: the entry at line 3 sets "
                            "exe_path and this one does not",
                            0),
            0u)
      << errors[0];
}

TEST(ConfigFileErrors, UnreadableFile) {
  RunSettings settings;
  ConfigDiagnostics diagnostics;
  ApplyConfigFile("/nonexistent/otelbpf.yaml", nullptr, &settings, &diagnostics);
  EXPECT_EQ(diagnostics.errors,
            std::vector<std::string>{"config /nonexistent/otelbpf.yaml: cannot be read"});
}

// --- OBI files ---

TEST(ConfigObi, KeysWithoutEquivalentWarnAndLoad) {
  test::Loaded loaded = Load(
      "network:\n  enable: true\nebpf:\n  wakeup_len: 100\ndiscovery:\n  instrument:\n"
      "    - exe_path: '*java*'\n      containers_only: true\n");
  ASSERT_TRUE(loaded.diagnostics.ok()) << Joined(loaded.diagnostics.errors);
  EXPECT_EQ(loaded.diagnostics.warnings,
            (std::vector<std::string>{
                "config test.yaml:1: key 'network' (OBI) has no equivalent in otelbpf; ignored",
                "config test.yaml:4: key 'ebpf.wakeup_len' (OBI) has no equivalent in otelbpf; "
                "ignored",
                "config test.yaml:8: key 'discovery.instrument[0].containers_only' (OBI) has no "
                "equivalent in otelbpf; ignored"}));
  EXPECT_EQ(loaded.settings.agent.exe_globs, (std::vector<std::string>{"*java*"}));
}

test::Loaded LoadFixture(const std::string& name, MapEnvironment* environment) {
  test::Loaded out;
  out.settings.config_path = test::Fixture(name);
  out.diagnostics = ResolveRunSettings(&out.settings, nullptr, environment->env());
  return out;
}

TEST(ConfigObi, MinimalExampleLoads) {
  MapEnvironment environment;
  test::Loaded loaded = LoadFixture("obi_minimal.yaml", &environment);
  ASSERT_TRUE(loaded.diagnostics.ok()) << Joined(loaded.diagnostics.errors);
  EXPECT_EQ(loaded.settings.agent.capture.ports, (std::vector<uint16_t>{8443}));
  EXPECT_EQ(loaded.settings.log_level, "debug");
  EXPECT_TRUE(loaded.settings.agent.capture.propagate_headers);
  EXPECT_EQ(environment.vars["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"],
            "http://localhost:4318/v1/traces");
  EXPECT_EQ(environment.vars["OTEL_EXPORTER_PROMETHEUS_PORT"], "8999");
  ASSERT_EQ(loaded.diagnostics.warnings.size(), 1u);  // context_propagation: all
  EXPECT_NE(loaded.diagnostics.warnings[0].find("'all' is taken as 'headers'"), std::string::npos);
}

TEST(ConfigObi, DaemonSetFileLoadsAndKeepsWhatOthersApply) {
  MapEnvironment environment;
  test::Loaded loaded = LoadFixture("obi_daemonset.yaml", &environment);
  ASSERT_TRUE(loaded.diagnostics.ok()) << Joined(loaded.diagnostics.errors);
  const RunSettings& s = loaded.settings;
  ASSERT_EQ(s.agent.kubernetes_selectors.size(), 2u);
  EXPECT_EQ(s.agent.kubernetes_selectors[0].namespace_glob, "frontend");
  EXPECT_EQ(s.agent.kubernetes_selectors[0].pod_labels.at("instrument"), "obi");
  EXPECT_EQ(s.agent.kubernetes_selectors[1].namespace_glob, "backend");
  EXPECT_TRUE(s.agent.exe_globs.empty());
  EXPECT_TRUE(s.agent.capture.ports.empty());
  EXPECT_EQ(s.routes.patterns.size(), 2u);
  EXPECT_EQ(s.routes.ignored_patterns, (std::vector<std::string>{"/health", "/metrics"}));
  EXPECT_EQ(s.routes.ignore_mode, "traces");
  EXPECT_EQ(s.routes.unmatched, std::optional<std::string>("heuristic"));
  EXPECT_EQ(s.attribute_select.at("http_server_request_duration").exclude,
            (std::vector<std::string>{"k8s.pod.uid"}));
  EXPECT_EQ(environment.vars["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"],
            "https://collector.example:4317/v1/traces");
  EXPECT_EQ(environment.vars["OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"], "grpc");
  EXPECT_EQ(environment.vars["OTEL_EXPORTER_OTLP_TRACES_HEADERS"], "Authorization=Bearer%20abc");
  EXPECT_EQ(environment.vars["OTEL_TRACES_SAMPLER"], "parentbased_traceidratio");
  EXPECT_EQ(environment.vars["OTEL_TRACES_SAMPLER_ARG"], "0.1");
  EXPECT_EQ(environment.vars["OTEL_METRIC_EXPORT_INTERVAL"], "30000");
  const std::string warnings = Joined(loaded.diagnostics.warnings);
  for (const char* key : {"'discovery.instrument[0].k8s_deployment_name'",
                          "'discovery.exclude_instrument'", "'attributes.kubernetes'",
                          "'otel_metrics_export.features'", "'network'"}) {
    EXPECT_NE(warnings.find(key), std::string::npos) << key << " in\n" << warnings;
  }
}

TEST(ConfigObi, OtelbpfHostExampleLoads) {
  MapEnvironment environment;
  test::Loaded loaded = LoadFixture("otelbpf_host.yaml", &environment);
  ASSERT_TRUE(loaded.diagnostics.ok()) << Joined(loaded.diagnostics.errors);
  EXPECT_TRUE(loaded.diagnostics.warnings.empty()) << Joined(loaded.diagnostics.warnings);
  const AgentOptions& a = loaded.settings.agent;
  EXPECT_EQ(a.exe_globs, (std::vector<std::string>{"*nginx*", "/usr/bin/python3*"}));
  EXPECT_EQ(a.capture.ports.size(), 2u + 11u);
  EXPECT_TRUE(a.console_disabled);
  EXPECT_FALSE(a.tls);
  EXPECT_EQ(environment.vars["OTEL_TRACES_SAMPLER_ARG"], "0.25");
  EXPECT_EQ(environment.vars["OTEL_EXPORTER_PROMETHEUS_HOST"], "0.0.0.0");
}

// --- precedence: file < environment < flag ---

// CLI11 reads flag variables from the process environment; this sets one for a test.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) { ::setenv(name, value, 1); }
  ~ScopedEnv() { ::unsetenv(name_); }

 private:
  const char* name_;
};

// Parses `args` as `otelbpf run ARGS`, then loads `yaml` the way main does.
test::Loaded RunWith(const std::string& yaml, std::vector<std::string> args,
                 MapEnvironment* environment) {
  CLI::App app;
  test::Loaded out;
  AddRunFlags(&app, &out.settings);
  std::reverse(args.begin(), args.end());  // CLI11 takes them last first
  app.parse(args);
  out.settings.config_path = "test.yaml";
  ApplyConfigText(yaml, "test.yaml", FlagGivenIn(&app), &out.settings, &out.diagnostics);
  if (out.diagnostics.ok()) ResolveAfterFile(&out.settings, environment->env(), &out.diagnostics);
  return out;
}

uint32_t Mask(const std::string& list) {
  std::string error;
  return *ParseProtocolList(list, &error);
}

TEST(ConfigPrecedence, FileThenVariableThenFlag) {
  const std::string yaml = "log_level: warn\nebpf:\n  protocols: [redis]\n  tls: false\n";
  MapEnvironment environment;
  {
    test::Loaded file_only = RunWith(yaml, {}, &environment);
    ASSERT_TRUE(file_only.diagnostics.ok()) << Joined(file_only.diagnostics.errors);
    EXPECT_EQ(file_only.settings.agent.capture.enabled_protocols, Mask("redis"));
    EXPECT_EQ(file_only.settings.log_level, "warn");
    EXPECT_FALSE(file_only.settings.agent.tls);
  }
  ScopedEnv protocols("OTEL_EBPF_PROTOCOLS", "dns");
  ScopedEnv level("OTEL_EBPF_LOG_LEVEL", "ERROR");
  ScopedEnv tls("OTEL_EBPF_TLS", "true");
  {
    test::Loaded with_env = RunWith(yaml, {}, &environment);
    ASSERT_TRUE(with_env.diagnostics.ok()) << Joined(with_env.diagnostics.errors);
    EXPECT_EQ(with_env.settings.agent.capture.enabled_protocols, Mask("dns"));
    EXPECT_EQ(with_env.settings.log_level, "error");
    EXPECT_TRUE(with_env.settings.agent.tls);
  }
  {
    test::Loaded with_flag =
        RunWith(yaml, {"--protocols", "http1", "--log-level", "debug", "--tls", "false"}, &environment);
    ASSERT_TRUE(with_flag.diagnostics.ok()) << Joined(with_flag.diagnostics.errors);
    EXPECT_EQ(with_flag.settings.agent.capture.enabled_protocols, Mask("http1"));
    EXPECT_EQ(with_flag.settings.log_level, "debug");
    EXPECT_FALSE(with_flag.settings.agent.tls);
  }
}

TEST(ConfigPrecedence, RepeatableFlagReplacesTheFileList) {
  MapEnvironment environment;
  const std::string yaml =
      "discovery:\n  instrument:\n    - exe_path: nginx\n      open_ports: 80\n";
  test::Loaded loaded = RunWith(yaml, {"--exe", "redis-server"}, &environment);
  ASSERT_TRUE(loaded.diagnostics.ok()) << Joined(loaded.diagnostics.errors);
  EXPECT_EQ(loaded.settings.agent.exe_globs, (std::vector<std::string>{"redis-server"}));
  EXPECT_EQ(loaded.settings.agent.capture.ports, (std::vector<uint16_t>{80}));
}

TEST(ConfigPrecedence, FlagWithoutFileValueKeepsTheFlag) {
  MapEnvironment environment;
  test::Loaded loaded = RunWith("ebpf: {tls: false}\n", {"--capture-bytes", "4096"}, &environment);
  ASSERT_TRUE(loaded.diagnostics.ok());
  EXPECT_EQ(loaded.settings.agent.capture.capture_bytes, 4096u);
  EXPECT_FALSE(loaded.settings.agent.tls);
}

TEST(ConfigPrecedence, StandardVariablesBeatTheFile) {
  const std::string yaml =
      "otel_traces_export:\n  endpoint: http://file:4318\n  protocol: grpc\n"
      "prometheus_export: {port: 9999}\n";
  {
    MapEnvironment environment;
    environment.vars["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://env:4318";  // more general
    environment.vars["OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"] = "http/protobuf";
    environment.vars["OTEL_EXPORTER_PROMETHEUS_PORT"] = "9000";
    ASSERT_TRUE(Load(yaml, &environment).diagnostics.ok());
    EXPECT_EQ(environment.vars.count("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"), 0u);
    EXPECT_EQ(environment.vars["OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"], "http/protobuf");
    EXPECT_EQ(environment.vars["OTEL_EXPORTER_PROMETHEUS_PORT"], "9000");
  }
  {
    MapEnvironment environment;
    environment.vars["OTEL_EXPORTER_OTLP_ENDPOINT"] = "";  // empty counts as unset
    ASSERT_TRUE(Load(yaml, &environment).diagnostics.ok());
    EXPECT_EQ(environment.vars["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"], "http://file:4318/v1/traces");
    EXPECT_EQ(environment.vars["OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"], "grpc");
    EXPECT_EQ(environment.vars["OTEL_EXPORTER_PROMETHEUS_PORT"], "9999");
  }
}

// --- OTEL_EBPF_SAMPLE_RATE ---

TEST(ConfigSampleRate, VariableAsRatioOrPercentage) {
  for (const auto& [text, ratio] : std::vector<std::pair<std::string, std::string>>{
           {"0.25", "0.25"}, {"25", "0.25"}, {"25%", "0.25"}, {"0.5%", "0.005"},
           {"1", "1"}, {"100", "1"}, {"0", "0"}}) {
    SCOPED_TRACE(text);
    MapEnvironment environment;
    environment.vars["OTEL_EBPF_SAMPLE_RATE"] = text;
    test::Loaded loaded = Load("", &environment);
    ASSERT_TRUE(loaded.diagnostics.ok()) << Joined(loaded.diagnostics.errors);
    EXPECT_EQ(environment.vars["OTEL_TRACES_SAMPLER"], "parentbased_traceidratio");
    EXPECT_EQ(environment.vars["OTEL_TRACES_SAMPLER_ARG"], ratio);
  }
}

TEST(ConfigSampleRate, InvalidVariableIsAnError) {
  for (const char* text : {"150", "-1", "abc", "25%%", "nan"}) {
    MapEnvironment environment;
    environment.vars["OTEL_EBPF_SAMPLE_RATE"] = text;
    test::Loaded loaded = Load("", &environment);
    ASSERT_EQ(loaded.diagnostics.errors.size(), 1u) << text;
    EXPECT_EQ(loaded.diagnostics.errors[0].rfind("OTEL_EBPF_SAMPLE_RATE: '", 0), 0u);
    EXPECT_EQ(environment.vars.count("OTEL_TRACES_SAMPLER"), 0u);
  }
}

TEST(ConfigSampleRate, OtelTracesSamplerWins) {
  MapEnvironment environment;
  environment.vars["OTEL_TRACES_SAMPLER"] = "always_on";
  environment.vars["OTEL_EBPF_SAMPLE_RATE"] = "10";
  test::Loaded loaded = Load("", &environment);
  ASSERT_TRUE(loaded.diagnostics.ok());
  EXPECT_EQ(environment.vars["OTEL_TRACES_SAMPLER"], "always_on");
  EXPECT_EQ(environment.vars.count("OTEL_TRACES_SAMPLER_ARG"), 0u);
  ASSERT_EQ(loaded.diagnostics.warnings.size(), 1u);
}

TEST(ConfigSampleRate, VariableBeatsTheFile) {
  MapEnvironment environment;
  environment.vars["OTEL_EBPF_SAMPLE_RATE"] = "10%";
  ASSERT_TRUE(
      Load("otel_traces_export:\n  sampler: {name: always_off}\n", &environment).diagnostics.ok());
  EXPECT_EQ(environment.vars["OTEL_TRACES_SAMPLER"], "parentbased_traceidratio");
  EXPECT_EQ(environment.vars["OTEL_TRACES_SAMPLER_ARG"], "0.1");
}

}  // namespace
}  // namespace otelbpf::config
