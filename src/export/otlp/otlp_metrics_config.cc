#include "export/otlp/otlp_metrics_config.h"

#include <cctype>
#include <utility>

namespace otelbpf::otlp {
namespace {

std::string Normalized(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

TemporalityPreference ReadTemporality(const EnvLookup& getenv, std::vector<std::string>* warnings) {
  constexpr std::string_view kName = "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE";
  auto raw = getenv(kName);
  if (!raw) return TemporalityPreference::kCumulative;
  std::string v = Normalized(*raw);
  if (v.empty() || v == "cumulative") return TemporalityPreference::kCumulative;
  if (v == "delta") return TemporalityPreference::kDelta;
  if (v == "lowmemory") return TemporalityPreference::kLowMemory;
  if (warnings != nullptr) {
    warnings->push_back(std::string(kName) + "=\"" + *raw +
                        "\" is not cumulative, delta or lowmemory; using cumulative");
  }
  return TemporalityPreference::kCumulative;
}

}  // namespace

OtlpMetricsConfig OtlpMetricsConfigFromEnv(const EnvLookup& getenv,
                                           std::vector<std::string>* warnings) {
  OtlpConfig connection = OtlpConnectionConfigFromEnv(getenv, kOtlpMetricsSignal, warnings);
  OtlpMetricsConfig config;
  config.protocol = connection.protocol;
  config.endpoint = std::move(connection.endpoint);
  config.insecure = connection.insecure;
  config.endpoint_configured = connection.endpoint_configured;
  config.headers = std::move(connection.headers);
  config.timeout = connection.timeout;
  config.compression = connection.compression;

  if (auto v = MillisFromEnv(getenv, "OTEL_METRIC_EXPORT_INTERVAL", warnings)) {
    config.export_interval = *v;
  }
  if (auto v = MillisFromEnv(getenv, "OTEL_METRIC_EXPORT_TIMEOUT", warnings)) {
    config.export_timeout = *v;
  }
  config.temporality = ReadTemporality(getenv, warnings);
  return config;
}

}  // namespace otelbpf::otlp
