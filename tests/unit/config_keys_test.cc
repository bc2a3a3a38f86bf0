// Every key of the config table, loaded from YAML, reaches the option (or the standard
// variable) it is documented to set; the table, the flags and the reference page agree.
#include <gtest/gtest.h>

#include <CLI/CLI.hpp>
#include <functional>
#include <set>

#include "config/config_keys.h"
#include "config/config_reference.h"
#include "config/run_flags.h"
#include "config_test_support.h"
#include "protocols/selection.h"

namespace otelbpf::config {
namespace {

using test::Load;
using test::MapEnvironment;

struct KeyCase {
  std::string path;
  std::string yaml;
  std::function<void(const RunSettings&, const std::map<std::string, std::string>& env)> check;
};

uint32_t Mask(const std::string& list) {
  std::string error;
  return *ParseProtocolList(list, &error);
}

const std::vector<KeyCase>& Cases() {
  using Env = std::map<std::string, std::string>;
  static const std::vector<KeyCase> cases = {
      {"log_level", "log_level: DEBUG",
       [](const RunSettings& s, const Env&) { EXPECT_EQ(s.log_level, "debug"); }},
      {"trace_printer", "trace_printer: json",
       [](const RunSettings& s, const Env&) {
         ASSERT_TRUE(s.agent.console.has_value());
         EXPECT_EQ(*s.agent.console, ConsoleFormat::kJson);
         EXPECT_FALSE(s.agent.console_disabled);
       }},
      {"discovery.pids", "discovery: {pids: [12, 34]}",
       [](const RunSettings& s, const Env&) {
         EXPECT_EQ(s.agent.pids, (std::vector<uint32_t>{12, 34}));
       }},
      {"discovery.containers", "discovery: {containers: [0123456789ab]}",
       [](const RunSettings& s, const Env&) {
         EXPECT_EQ(s.agent.container_ids, (std::vector<std::string>{"0123456789ab"}));
       }},
      {"discovery.cgroups", "discovery: {cgroups: [/system.slice/nginx.service]}",
       [](const RunSettings& s, const Env&) {
         EXPECT_EQ(s.agent.cgroup_paths, (std::vector<std::string>{"/system.slice/nginx.service"}));
       }},
      {"discovery.trace_sdk_processes", "discovery: {trace_sdk_processes: true}",
       [](const RunSettings& s, const Env&) { EXPECT_TRUE(s.agent.trace_sdk_processes); }},
      {"store.path", "store: {path: /srv/otelbpf.db}",
       [](const RunSettings& s, const Env&) { EXPECT_EQ(s.agent.store.path, "/srv/otelbpf.db"); }},
      {"store.max_mb", "store: {max_mb: 64}",
       [](const RunSettings& s, const Env&) { EXPECT_EQ(s.agent.store.max_mb, 64); }},
      {"store.max_spans_per_second", "store: {max_spans_per_second: 0}",
       [](const RunSettings& s, const Env&) { EXPECT_EQ(s.agent.store.max_spans_per_second, 0); }},
      {"store.retention", "store: {retention: 2h}",
       [](const RunSettings& s, const Env&) {
         EXPECT_EQ(s.agent.store.retention, std::chrono::hours(2));
       }},
      {"ui.address", "ui: {address: '[::1]:9470'}",
       [](const RunSettings& s, const Env&) { EXPECT_EQ(s.agent.ui.address, "[::1]:9470"); }},
      {"discovery.instrument[].open_ports",
       "discovery:\n  instrument:\n    - open_ports: 80,8000-8002\n",
       [](const RunSettings& s, const Env&) {
         EXPECT_EQ(s.agent.capture.ports, (std::vector<uint16_t>{80, 8000, 8001, 8002}));
         EXPECT_TRUE(s.agent.exe_globs.empty());
       }},
      {"discovery.instrument[].exe_path", "discovery:\n  instrument:\n    - exe_path: '*nginx*'\n",
       [](const RunSettings& s, const Env&) {
         EXPECT_EQ(s.agent.exe_globs, (std::vector<std::string>{"*nginx*"}));
         EXPECT_TRUE(s.agent.capture.ports.empty());
       }},
      {"discovery.instrument[].k8s_namespace",
       "discovery:\n  instrument:\n    - k8s_namespace: front*\n",
       [](const RunSettings& s, const Env&) {
         ASSERT_EQ(s.agent.kubernetes_selectors.size(), 1u);
         EXPECT_EQ(s.agent.kubernetes_selectors[0].namespace_glob, "front*");
       }},
      {"discovery.instrument[].k8s_pod_labels",
       "discovery:\n  instrument:\n    - k8s_pod_labels: {instrument: obi, tier: 'web*'}\n",
       [](const RunSettings& s, const Env&) {
         ASSERT_EQ(s.agent.kubernetes_selectors.size(), 1u);
         EXPECT_EQ(s.agent.kubernetes_selectors[0].pod_labels,
                   (std::map<std::string, std::string>{{"instrument", "obi"}, {"tier", "web*"}}));
       }},
      {"routes.patterns", "routes:\n  patterns:\n    - /user/{id}\n    - /a/:b\n",
       [](const RunSettings& s, const Env&) {
         EXPECT_TRUE(s.routes.configured);
         EXPECT_EQ(s.routes.patterns, (std::vector<std::string>{"/user/{id}", "/a/:b"}));
         // Handed to the route matcher.
         EXPECT_EQ(s.agent.routes.patterns, (std::vector<std::string>{"/user/{id}", "/a/:b"}));
       }},
      {"routes.ignored_patterns", "routes: {ignored_patterns: [/health]}",
       [](const RunSettings& s, const Env&) {
         EXPECT_EQ(s.routes.ignored_patterns, (std::vector<std::string>{"/health"}));
       }},
      {"routes.ignore_mode", "routes: {ignore_mode: METRICS}",
       [](const RunSettings& s, const Env&) {
         EXPECT_EQ(s.routes.ignore_mode, "metrics");
         EXPECT_EQ(s.agent.routes.ignore_mode, routes::IgnoreMode::kMetrics);
       }},
      {"routes.unmatched", "routes: {unmatched: low-cardinality}",
       [](const RunSettings& s, const Env&) {
         EXPECT_EQ(s.routes.unmatched, std::optional<std::string>("low-cardinality"));
       }},
      {"routes.wildcard_char", "routes: {wildcard_char: '_'}",
       [](const RunSettings& s, const Env&) { EXPECT_EQ(s.routes.wildcard_char, "_"); }},
      {"routes.max_path_segment_cardinality", "routes: {max_path_segment_cardinality: 25}",
       [](const RunSettings& s, const Env&) {
         EXPECT_EQ(s.routes.max_path_segment_cardinality, 25u);
       }},
      {"attributes.select.*.include",
       "attributes: {select: {http_server_request_duration: {include: ['url.*', k8s.pod.name]}}}",
       [](const RunSettings& s, const Env&) {
         ASSERT_EQ(s.attribute_select.count("http_server_request_duration"), 1u);
         EXPECT_EQ(s.attribute_select.at("http_server_request_duration").include,
                   (std::vector<std::string>{"url.*", "k8s.pod.name"}));
       }},
      {"attributes.select.*.exclude", "attributes: {select: {'*': {exclude: ['k8s.*.uid']}}}",
       [](const RunSettings& s, const Env&) {
         ASSERT_EQ(s.attribute_select.count("*"), 1u);
         EXPECT_EQ(s.attribute_select.at("*").exclude, (std::vector<std::string>{"k8s.*.uid"}));
       }},
      {"otel_traces_export.endpoint", "otel_traces_export: {endpoint: 'http://collector:4318'}",
       [](const RunSettings&, const Env& env) {
         EXPECT_EQ(env.at("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"), "http://collector:4318/v1/traces");
       }},
      {"otel_traces_export.protocol", "otel_traces_export: {protocol: GRPC}",
       [](const RunSettings&, const Env& env) {
         EXPECT_EQ(env.at("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"), "grpc");
       }},
      {"otel_traces_export.headers",
       "otel_traces_export: {headers: {Authorization: 'Bearer a,b', x-tenant: 7}}",
       [](const RunSettings&, const Env& env) {
         EXPECT_EQ(env.at("OTEL_EXPORTER_OTLP_TRACES_HEADERS"),
                   "Authorization=Bearer%20a%2Cb,x-tenant=7");
       }},
      {"otel_traces_export.sampler.name", "otel_traces_export: {sampler: {name: traceidratio}}",
       [](const RunSettings&, const Env& env) {
         EXPECT_EQ(env.at("OTEL_TRACES_SAMPLER"), "traceidratio");
       }},
      {"otel_traces_export.sampler.arg", "otel_traces_export: {sampler: {arg: '0.1'}}",
       [](const RunSettings&, const Env& env) {
         EXPECT_EQ(env.at("OTEL_TRACES_SAMPLER_ARG"), "0.1");
       }},
      {"otel_traces_export.sample_rate", "otel_traces_export: {sample_rate: 25%}",
       [](const RunSettings&, const Env& env) {
         EXPECT_EQ(env.at("OTEL_TRACES_SAMPLER"), "parentbased_traceidratio");
         EXPECT_EQ(env.at("OTEL_TRACES_SAMPLER_ARG"), "0.25");
       }},
      {"otel_metrics_export.endpoint",
       "otel_metrics_export: {endpoint: 'https://c.example:4318/custom/path'}",
       [](const RunSettings&, const Env& env) {
         EXPECT_EQ(env.at("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"),
                   "https://c.example:4318/custom/path");
       }},
      {"otel_metrics_export.protocol", "otel_metrics_export: {protocol: http/protobuf}",
       [](const RunSettings&, const Env& env) {
         EXPECT_EQ(env.at("OTEL_EXPORTER_OTLP_METRICS_PROTOCOL"), "http/protobuf");
       }},
      {"otel_metrics_export.headers", "otel_metrics_export: {headers: {api-key: s3cr%t}}",
       [](const RunSettings&, const Env& env) {
         EXPECT_EQ(env.at("OTEL_EXPORTER_OTLP_METRICS_HEADERS"), "api-key=s3cr%25t");
       }},
      {"otel_metrics_export.interval", "otel_metrics_export: {interval: 1.5m}",
       [](const RunSettings&, const Env& env) {
         EXPECT_EQ(env.at("OTEL_METRIC_EXPORT_INTERVAL"), "90000");
       }},
      {"prometheus_export.enabled", "prometheus_export: {enabled: false}",
       [](const RunSettings& s, const Env&) { EXPECT_FALSE(s.agent.prometheus); }},
      {"prometheus_export.port", "prometheus_export: {port: 8999}",
       [](const RunSettings&, const Env& env) {
         EXPECT_EQ(env.at("OTEL_EXPORTER_PROMETHEUS_PORT"), "8999");
       }},
      {"prometheus_export.host", "prometheus_export: {host: 0.0.0.0}",
       [](const RunSettings&, const Env& env) {
         EXPECT_EQ(env.at("OTEL_EXPORTER_PROMETHEUS_HOST"), "0.0.0.0");
       }},
      {"prometheus_export.path", "prometheus_export: {path: /metrics}",
       [](const RunSettings& s, const Env& env) {
         // Accepted so OBI files load; it changes nothing.
         EXPECT_TRUE(env.empty());
         EXPECT_TRUE(s.agent.prometheus);
       }},
      {"ebpf.context_propagation", "ebpf: {context_propagation: headers}",
       [](const RunSettings& s, const Env&) {
         EXPECT_EQ(s.propagate, "headers");
         EXPECT_TRUE(s.agent.capture.propagate_headers);
       }},
      {"ebpf.capture_bytes", "ebpf: {capture_bytes: 2048}",
       [](const RunSettings& s, const Env&) {
         EXPECT_EQ(s.agent.capture.capture_bytes, 2048u);
       }},
      {"ebpf.ring_buffer_mb", "ebpf: {ring_buffer_mb: 16}",
       [](const RunSettings& s, const Env&) {
         EXPECT_EQ(s.agent.capture.ring_buffer_bytes, 16u << 20);
       }},
      {"ebpf.max_connections", "ebpf: {max_connections: 1000}",
       [](const RunSettings& s, const Env&) { EXPECT_EQ(s.agent.max_connections, 1000u); }},
      {"ebpf.tls", "ebpf: {tls: false}",
       [](const RunSettings& s, const Env&) { EXPECT_FALSE(s.agent.tls); }},
      {"ebpf.protocols", "ebpf: {protocols: [http1, redis]}",
       [](const RunSettings& s, const Env&) {
         EXPECT_EQ(s.agent.capture.enabled_protocols, Mask("http1,redis"));
       }},
      {"ebpf.protocol_ports", "ebpf: {protocol_ports: [redis=6380]}",
       [](const RunSettings& s, const Env&) {
         ASSERT_EQ(s.agent.capture.port_hints.size(), 1u);
         EXPECT_EQ(s.agent.capture.port_hints[0].port, 6380);
       }},
      {"ebpf.stitch_same_host", "ebpf: {stitch_same_host: false}",
       [](const RunSettings& s, const Env&) { EXPECT_FALSE(s.agent.stitch_same_host); }},
  };
  return cases;
}

TEST(ConfigKeys, EveryKeyHasACaseAndEveryCaseAKey) {
  std::set<std::string> table, cases;
  for (const ConfigKey& key : ConfigKeys()) {
    EXPECT_TRUE(table.insert(std::string(key.path)).second) << "duplicate key " << key.path;
  }
  for (const KeyCase& c : Cases()) cases.insert(c.path);
  EXPECT_EQ(table, cases);
}

TEST(ConfigKeys, EachKeyReachesItsOption) {
  for (const KeyCase& c : Cases()) {
    SCOPED_TRACE(c.path + ": " + c.yaml);
    MapEnvironment environment;
    test::Loaded loaded = Load(c.yaml, &environment);
    ASSERT_TRUE(loaded.diagnostics.ok()) << test::Joined(loaded.diagnostics.errors);
    c.check(loaded.settings, environment.vars);
  }
}

// Without the key, the option keeps its default: the cases above see the key's effect, not
// a default that happens to match.
TEST(ConfigKeys, AnEmptyFileChangesNothing) {
  MapEnvironment environment;
  test::Loaded loaded = Load("# nothing\n", &environment);
  ASSERT_TRUE(loaded.diagnostics.ok());
  EXPECT_TRUE(environment.vars.empty());
  const AgentOptions defaults;
  EXPECT_EQ(loaded.settings.agent.capture.capture_bytes, defaults.capture.capture_bytes);
  EXPECT_EQ(loaded.settings.agent.capture.ring_buffer_bytes, 8u << 20);
  EXPECT_EQ(loaded.settings.agent.capture.enabled_protocols, Mask("all"));
  EXPECT_TRUE(loaded.settings.agent.tls);
  EXPECT_TRUE(loaded.settings.agent.prometheus);
  EXPECT_TRUE(loaded.settings.agent.stitch_same_host);
  EXPECT_FALSE(loaded.settings.agent.capture.propagate_headers);
  EXPECT_FALSE(loaded.settings.agent.console.has_value());
  EXPECT_FALSE(loaded.settings.routes.configured);
  EXPECT_EQ(loaded.settings.log_level, "info");
}

TEST(ConfigKeys, FlagsNamedByKeysExistWithTheSameVariable) {
  CLI::App app;
  RunSettings settings;
  AddRunFlags(&app, &settings);
  for (const ConfigKey& key : ConfigKeys()) {
    if (key.flag.empty()) continue;
    SCOPED_TRACE(std::string(key.path));
    const CLI::Option* option = app.get_option_no_throw(std::string(key.flag));
    ASSERT_NE(option, nullptr) << key.flag;
    EXPECT_EQ(option->get_envname(), std::string(key.env));
  }
}

TEST(ConfigKeys, SectionsAreContiguousSoThePageHasOneTableEach) {
  std::set<std::string> closed;
  std::string current;
  for (const ConfigKey& key : ConfigKeys()) {
    std::string section(key.path.substr(0, key.path.find_first_of(".[")));
    if (key.path.find_first_of(".[") == std::string_view::npos) section = "";
    if (section != current) {
      EXPECT_FALSE(closed.count(section)) << key.path << " is away from its section";
      closed.insert(current);
      current = section;
    }
  }
}

TEST(ConfigKeys, ReferencePageIsUpToDate) {
  const std::filesystem::path page = test::SourceDir() / "docs/config-reference.md";
  ASSERT_TRUE(std::filesystem::exists(page)) << page;
  EXPECT_EQ(test::ReadFile(page), ReferenceMarkdown())
      << "regenerate it: build/otelbpf config reference > docs/config-reference.md";
}

TEST(ConfigKeys, ReferencePageNamesEveryKeyFlagAndVariable) {
  const std::string md = ReferenceMarkdown();
  for (const ConfigKey& key : ConfigKeys()) {
    EXPECT_NE(md.find("`" + std::string(key.path) + "`"), std::string::npos) << key.path;
    if (!key.flag.empty()) {
      EXPECT_NE(md.find("`" + std::string(key.flag) + "`"), std::string::npos);
    }
    if (!key.env.empty()) {
      EXPECT_NE(md.find("`" + std::string(key.env) + "`"), std::string::npos);
    }
  }
}

}  // namespace
}  // namespace otelbpf::config
