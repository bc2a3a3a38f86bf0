// OTLP metrics exporter settings, read from the standard OpenTelemetry environment variables
// (OTLP exporter spec, SDK environment variable spec, OTLP metrics exporter spec):
//
//   OTEL_EXPORTER_OTLP[_METRICS]_ENDPOINT     enables export; see OtlpMetricsConfig::endpoint
//   OTEL_EXPORTER_OTLP[_METRICS]_PROTOCOL     http/protobuf (default) | grpc
//   OTEL_EXPORTER_OTLP[_METRICS]_HEADERS      k1=v1,k2=v2
//   OTEL_EXPORTER_OTLP[_METRICS]_TIMEOUT      per-request timeout, ms (10000)
//   OTEL_EXPORTER_OTLP[_METRICS]_COMPRESSION  gzip | none (none)
//   OTEL_EXPORTER_OTLP[_METRICS]_INSECURE     grpc endpoint without a scheme: true | false
//   OTEL_METRIC_EXPORT_INTERVAL               ms between collections (60000)
//   OTEL_METRIC_EXPORT_TIMEOUT                ms for one export, retries included (30000)
//   OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE
//                                             cumulative (default) | delta | lowmemory,
//                                             case-insensitive (metrics_temporality.h)
//
// The connection variables follow exactly the trace exporter's rules (otlp_config.h, shared
// code), with METRICS in place of TRACES and /v1/metrics as the HTTP path. The
// metrics-specific variable wins over the generic one; an empty variable counts as unset;
// invalid values add a warning and keep the default.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "export/otlp/metrics_temporality.h"
#include "export/otlp/otlp_config.h"

namespace otelbpf::otlp {

inline constexpr OtlpSignal kOtlpMetricsSignal{"METRICS", "v1/metrics"};

struct OtlpMetricsConfig {
  OtlpProtocol protocol = OtlpProtocol::kHttpProtobuf;
  // http/protobuf: the full URL requests are POSTed to: <generic endpoint>/v1/metrics, or the
  //   metrics endpoint as is.
  // grpc: the channel target "host:port", with `insecure` telling plaintext from TLS.
  std::string endpoint = "http://localhost:4318/v1/metrics";
  bool insecure = true;
  bool endpoint_configured = false;  // true iff an endpoint variable was set
  OtlpHeaders headers;
  std::chrono::milliseconds timeout{10000};  // one request
  OtlpCompression compression = OtlpCompression::kNone;

  std::chrono::milliseconds export_interval{60000};
  std::chrono::milliseconds export_timeout{30000};  // one export, retries included
  TemporalityPreference temporality = TemporalityPreference::kCumulative;

  // Metrics go out over OTLP only when an endpoint was configured, as for traces.
  bool enabled() const { return endpoint_configured; }
};

// Pure: reads only through `getenv`. Appends one line per ignored value to `warnings` (may be
// null).
OtlpMetricsConfig OtlpMetricsConfigFromEnv(const EnvLookup& getenv,
                                           std::vector<std::string>* warnings);

}  // namespace otelbpf::otlp
