// Prometheus endpoint settings from the standard OpenTelemetry environment variables
// (SDK environment variable spec, "Prometheus Exporter"):
//
//   OTEL_EXPORTER_PROMETHEUS_HOST   address to listen on (default 127.0.0.1: metrics of every
//                                   process on the host are not for the network unless asked;
//                                   "0.0.0.0" or "::" to expose them). "[::1]" is accepted too.
//   OTEL_EXPORTER_PROMETHEUS_PORT   port (default 9464; 0 picks a free one)
//   OTEL_METRICS_EXPORTER           comma-separated; `enabled` is true when it lists "prometheus"
//
// An empty variable counts as unset. Invalid values never fail: they add a warning and keep the
// default.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace otelbpf::prometheus {

struct PrometheusConfig {
  std::string host = "127.0.0.1";
  uint16_t port = 9464;
  bool enabled = false;  // OTEL_METRICS_EXPORTER asked for it; the agent may enable it otherwise

  std::string Address() const;  // "127.0.0.1:9464", "[::1]:9464"
};

// Looks up one environment variable; std::nullopt when unset. (Same signature as
// otlp::EnvLookup, so otlp::ProcessEnv fits.)
using EnvLookup = std::function<std::optional<std::string>(std::string_view)>;

// Pure: reads only through `getenv`. Appends one line per ignored value to `warnings` (may be
// null).
PrometheusConfig PrometheusConfigFromEnv(const EnvLookup& getenv,
                                         std::vector<std::string>* warnings);

}  // namespace otelbpf::prometheus
