// Everything `otelbpf run` is told, from the config file, the environment and the flags, before
// it becomes AgentOptions. The flags bind to these fields directly (run_flags.h); the file's
// keys (config_keys.cc) write the same fields unless a flag or its variable already did.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "agent/agent.h"
#include "metrics/attribute_selection.h"

namespace otelbpf::config {

struct PortRange {
  uint16_t first = 0;
  uint16_t last = 0;  // inclusive
};

// One `discovery.instrument[]` entry (OBI's selector; every field set must match).
struct ConfigInstrument {
  int line = 0;  // 1-based, for errors found after loading
  std::vector<PortRange> open_ports;
  std::string exe_path;  // glob
  std::string k8s_namespace;
  std::map<std::string, std::string> k8s_pod_labels;
};

// The `routes` section, with OBI's names and defaults; kept as plain fields for the route
// matcher (RouteOptions) to take over.
struct ConfigRoutes {
  bool configured = false;  // the file has a routes section
  std::vector<std::string> patterns;
  std::vector<std::string> ignored_patterns;
  std::string ignore_mode = "all";                 // all, traces, metrics
  std::optional<std::string> unmatched;            // unset, path, wildcard, heuristic, low-cardinality
  std::string wildcard_char = "*";
  uint32_t max_path_segment_cardinality = 10;
};

// One `attributes.select.<name>` entry: which attributes a metric keeps.
using AttributeSelection = metrics::AttributeSelection;

// A standard OpenTelemetry variable the file gives a value to. It is set before the
// exporters read the environment, and only when none of `unless_set` (the variable itself and
// the more general ones that would win over it) is set: the environment beats the file.
struct EnvDefault {
  std::string name;
  std::string value;
  std::vector<std::string> unless_set;
  std::string origin;  // "config FILE:LINE: key 'x'", for messages
};

struct RunSettings {
  AgentOptions agent;
  std::string config_path;  // --config / OTEL_EBPF_CONFIG_PATH; empty: no file
  std::string output;       // text, json, none; empty: text unless OTLP export is configured
  std::string log_level = "info";
  uint32_t ring_mb = 8;
  std::string propagate = "none";
  std::string protocols = "all";
  std::vector<std::string> protocol_ports;  // "redis=6380"
  std::optional<double> sample_rate;        // from the file; OTEL_EBPF_SAMPLE_RATE wins
  std::vector<ConfigInstrument> instrument;
  ConfigRoutes routes;
  std::map<std::string, AttributeSelection> attribute_select;
  std::vector<EnvDefault> env_defaults;
};

}  // namespace otelbpf::config
