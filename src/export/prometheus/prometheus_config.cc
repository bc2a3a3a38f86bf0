#include "export/prometheus/prometheus_config.h"

#include <cctype>
#include <charconv>

#include "trace/text.h"

namespace otelbpf::prometheus {
namespace {

std::optional<std::string> Get(const EnvLookup& getenv, std::string_view name) {
  std::optional<std::string> v = getenv(name);
  if (!v || TrimWhitespace(*v).empty()) return std::nullopt;
  return std::string(TrimWhitespace(*v));
}

void Warn(std::vector<std::string>* warnings, std::string message) {
  if (warnings != nullptr) warnings->push_back(std::move(message));
}

bool ListsPrometheus(std::string_view list) {
  while (!list.empty()) {
    const size_t comma = list.find(',');
    std::string item(TrimWhitespace(list.substr(0, comma)));
    for (char& c : item) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (item == "prometheus") return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace

std::string PrometheusConfig::Address() const {
  const bool ipv6 = host.find(':') != std::string::npos;
  return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

PrometheusConfig PrometheusConfigFromEnv(const EnvLookup& getenv,
                                         std::vector<std::string>* warnings) {
  PrometheusConfig config;
  if (auto host = Get(getenv, "OTEL_EXPORTER_PROMETHEUS_HOST")) {
    std::string_view h = *host;
    if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
    if (h.empty() || h.find_first_of(" /[]") != std::string_view::npos) {
      Warn(warnings, "OTEL_EXPORTER_PROMETHEUS_HOST=\"" + *host +
                         "\" is not a host name or address; using " + config.host);
    } else {
      config.host = std::string(h);
    }
  }
  if (auto port = Get(getenv, "OTEL_EXPORTER_PROMETHEUS_PORT")) {
    unsigned value = 0;
    const char* end = port->data() + port->size();
    auto [ptr, ec] = std::from_chars(port->data(), end, value);
    if (ec != std::errc() || ptr != end || value > 65535) {
      Warn(warnings, "OTEL_EXPORTER_PROMETHEUS_PORT=\"" + *port + "\" is not a port; using " +
                         std::to_string(config.port));
    } else {
      config.port = static_cast<uint16_t>(value);
    }
  }
  if (auto exporters = Get(getenv, "OTEL_METRICS_EXPORTER")) {
    config.enabled = ListsPrometheus(*exporters);
  }
  return config;
}

}  // namespace otelbpf::prometheus
