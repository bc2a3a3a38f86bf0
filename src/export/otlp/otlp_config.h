// OTLP trace exporter settings, read from the standard OpenTelemetry environment variables
// (https://opentelemetry.io/docs/specs/otel/protocol/exporter/ and the SDK environment
// variable spec for OTEL_BSP_*):
//
//   OTEL_EXPORTER_OTLP[_TRACES]_ENDPOINT     enables export; see OtlpConfig::endpoint
//   OTEL_EXPORTER_OTLP[_TRACES]_PROTOCOL     http/protobuf (default) | grpc
//                                            (http/json is not supported: warning, http/protobuf)
//   OTEL_EXPORTER_OTLP[_TRACES]_HEADERS      k1=v1,k2=v2 (W3C baggage syntax, values %-decoded)
//   OTEL_EXPORTER_OTLP[_TRACES]_TIMEOUT      per-request timeout, ms (10000)
//   OTEL_EXPORTER_OTLP[_TRACES]_COMPRESSION  gzip | none (none)
//   OTEL_EXPORTER_OTLP[_TRACES]_INSECURE     grpc endpoint without a scheme: true | false (false:
//                                            TLS, as the specification says)
//   OTEL_BSP_SCHEDULE_DELAY                  ms between exports (5000)
//   OTEL_BSP_MAX_QUEUE_SIZE                  spans buffered before dropping (4096)
//   OTEL_BSP_MAX_EXPORT_BATCH_SIZE           spans per request (512, at most the queue size)
//   OTEL_BSP_EXPORT_TIMEOUT                  ms for one batch, retries included (30000)
//
// The traces-specific variable wins over the generic one. An empty variable counts as unset.
// Invalid values never fail: they add a warning and keep the default.
//
// Other signals (metrics: otlp_metrics_config.h) read the same connection variables with their
// own infix (OTEL_EXPORTER_OTLP_METRICS_*) through OtlpConnectionConfigFromEnv.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace otelbpf::otlp {

enum class OtlpProtocol { kHttpProtobuf, kGrpc };
enum class OtlpCompression { kNone, kGzip };

using OtlpHeaders = std::vector<std::pair<std::string, std::string>>;

// BatchSpanProcessor settings (OTEL_BSP_*).
struct BatchConfig {
  std::chrono::milliseconds schedule_delay{5000};
  size_t max_queue_size = 4096;  // an agent's, not an SDK's 2048: see docs/configuration.md
  size_t max_export_batch_size = 512;
  std::chrono::milliseconds export_timeout{30000};
};

struct OtlpConfig {
  OtlpProtocol protocol = OtlpProtocol::kHttpProtobuf;
  // http/protobuf: the full URL requests are POSTed to. From the generic variable it is
  //   <endpoint>/v1/traces (the signal's path); from the traces variable it is used as is.
  // grpc: the channel target "host:port" (scheme and path removed; a missing port becomes
  //   80/443 after http/https), with `insecure` telling plaintext from TLS.
  std::string endpoint = "http://localhost:4318/v1/traces";
  bool insecure =
      true;  // grpc only: plaintext channel (http://, or no scheme + INSECURE=true) vs TLS
  // True iff an endpoint variable was set: without one the agent prints spans to the console.
  bool endpoint_configured = false;
  OtlpHeaders headers;
  std::chrono::milliseconds timeout{10000};
  OtlpCompression compression = OtlpCompression::kNone;
  BatchConfig batch;

  bool enabled() const { return endpoint_configured; }
};

// Looks up one environment variable; std::nullopt when unset.
using EnvLookup = std::function<std::optional<std::string>(std::string_view)>;

// Pure: reads only through `getenv`. Appends one human-readable line per ignored value to
// `warnings` (may be null).
OtlpConfig OtlpConfigFromEnv(const EnvLookup& getenv, std::vector<std::string>* warnings);

// Which signal's variables a connection config is read for: OTEL_EXPORTER_OTLP_<env_name>_*
// beat the generic variables, and OTLP/HTTP appends `http_path` to the generic endpoint (and
// to the default one, http://localhost:4318/).
struct OtlpSignal {
  std::string_view env_name;   // e.g. "TRACES"
  std::string_view http_path;  // e.g. "v1/traces"
};
inline constexpr OtlpSignal kOtlpTracesSignal{"TRACES", "v1/traces"};

// The connection part of OtlpConfig (every field but `batch`, left at its defaults) for
// `signal`, by the same rules as OtlpConfigFromEnv (which is this for traces plus OTEL_BSP_*).
OtlpConfig OtlpConnectionConfigFromEnv(const EnvLookup& getenv, const OtlpSignal& signal,
                                       std::vector<std::string>* warnings);

// A duration variable in milliseconds (e.g. OTEL_METRIC_EXPORT_INTERVAL), by the rules above:
// nullopt when unset or empty, and when not a positive integer (with a warning).
std::optional<std::chrono::milliseconds> MillisFromEnv(const EnvLookup& getenv,
                                                       std::string_view name,
                                                       std::vector<std::string>* warnings);

// The process environment, for production use with OtlpConfigFromEnv.
std::optional<std::string> ProcessEnv(std::string_view name);

// Parses a W3C-baggage-style header list ("k1=v1, k2=v%202"); exposed for tests.
OtlpHeaders ParseOtlpHeaders(std::string_view text, std::vector<std::string>* warnings);

}  // namespace otelbpf::otlp
