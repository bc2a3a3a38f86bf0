// The table of configuration keys. Names follow OBI's (OpenTelemetry eBPF Instrumentation)
// where the meaning is the same, so an OBI file loads with few edits; otelbpf's own knobs sit
// under `ebpf` next to OBI's.
#include "config/config_keys.h"

#include <cctype>

#include "config/value_parsers.h"
#include "http_capture.h"
#include "protocols/selection.h"
#include "ui/ui_address.h"

namespace otelbpf::config {
namespace {

std::string Join(const std::vector<std::string>& items, char separator) {
  std::string out;
  for (const std::string& item : items) {
    if (!out.empty()) out += separator;
    out += item;
  }
  return out;
}

ConfigInstrument& Entry(const KeyPlace& place, RunSettings* s) {
  if (s->instrument.size() <= place.index) s->instrument.resize(place.index + 1);
  ConfigInstrument& entry = s->instrument[place.index];
  if (entry.line == 0) entry.line = place.line;
  return entry;
}

void AddEnvDefault(RunSettings* s, const KeyPlace& place, std::string name, std::string value,
                   std::vector<std::string> more_general) {
  more_general.insert(more_general.begin(), name);
  s->env_defaults.push_back({std::move(name), std::move(value), std::move(more_general),
                             place.origin});
}

// OBI files give the collector's base URL ("http://localhost:4318"), the signal-specific
// variable a complete one: a URL with no path gets the signal's path (gRPC ignores paths).
std::string OtlpEndpoint(const std::string& url, std::string_view signal_path, std::string* out) {
  size_t scheme = url.find("://");
  std::string_view scheme_name = std::string_view(url).substr(0, scheme);
  if (scheme == std::string::npos || (scheme_name != "http" && scheme_name != "https") ||
      url.size() == scheme + 3) {
    return "'" + url + "' is not a URL like http://localhost:4318 (http:// or https://)";
  }
  size_t path = url.find('/', scheme + 3);
  if (path == std::string::npos || path == url.size() - 1) {
    *out = url.substr(0, path) + "/" + std::string(signal_path);
  } else {
    *out = url;
  }
  return "";
}

// {Authorization: "Bearer x"} → "Authorization=Bearer%20x", the form OTEL_EXPORTER_OTLP_HEADERS
// takes (values percent-decoded there).
std::string OtlpHeaders(const std::vector<std::pair<std::string, std::string>>& headers,
                        std::string* out) {
  static constexpr std::string_view kNameSpecials = "!#$%&'*+-.^_`|~";
  for (const auto& [name, value] : headers) {
    bool valid = !name.empty();
    for (char c : name) {
      valid = valid && (std::isalnum(static_cast<unsigned char>(c)) ||
                        kNameSpecials.find(c) != std::string_view::npos);
    }
    if (!valid) return "'" + name + "' is not an HTTP header name";
    if (!out->empty()) *out += ',';
    *out += name + "=";
    for (unsigned char c : value) {
      if (std::isalnum(c) || std::string_view("-._~/:+;@!*'()").find(static_cast<char>(c)) !=
                                 std::string_view::npos) {
        *out += static_cast<char>(c);
      } else {
        char escaped[4];
        std::snprintf(escaped, sizeof(escaped), "%%%02X", c);
        *out += escaped;
      }
    }
  }
  return "";
}

constexpr std::string_view kSamplers =
    "always_on|always_off|traceidratio|parentbased_always_on|parentbased_always_off|"
    "parentbased_traceidratio";

std::string Unused(std::vector<std::string>*) { return ""; }

const std::vector<ConfigKey> kKeys = {
    // --- top level ---
    {"log_level", ValueType::kEnum, "info", "--log-level", "OTEL_EBPF_LOG_LEVEL",
     "How much otelbpf logs on stderr (OBI's DEBUG, INFO... are accepted in any case)",
     Effect::kApplied,
     [](const ConfigValue& v, const KeyPlace&, RunSettings* s, std::vector<std::string>* w) {
       s->log_level = v.String();
       return Unused(w);
     },
     "debug|info|warn|error", 0, 0, true},
    {"trace_printer", ValueType::kEnum, "text without OTLP export, else disabled", "--output", "",
     "Spans printed on stdout: one line each (text), one JSON object each (json) or none",
     Effect::kApplied,
     [](const ConfigValue& v, const KeyPlace&, RunSettings* s, std::vector<std::string>* w) {
       s->output = v.String() == "disabled" ? "none" : v.String();
       return Unused(w);
     },
     "disabled|text|json", 0, 0, true},

    // --- discovery ---
    {"discovery.pids", ValueType::kStringList, "all", "--pid", "",
     "Only these process ids (otelbpf's own key; combines with exe_path as a union)",
     Effect::kApplied,
     [](const ConfigValue& v, const KeyPlace&, RunSettings* s, std::vector<std::string>*) {
       std::vector<uint32_t> pids;
       for (const std::string& text : v.List()) {
         char* end = nullptr;
         unsigned long pid = std::strtoul(text.c_str(), &end, 10);
         if (text.empty() || *end != '\0' || pid == 0 || pid > 0x3fffffff) {
           return "'" + text + "' is not a process id";
         }
         pids.push_back(static_cast<uint32_t>(pid));
       }
       s->agent.pids = std::move(pids);
       return std::string();
     }},
    {"discovery.containers", ValueType::kStringList, "all", "--container", "",
     "Only processes in these containers: full ids or prefixes of at least 12 hex digits "
     "(docker, containerd, CRI-O, podman); combines with the other selectors as a union",
     Effect::kApplied,
     [](const ConfigValue& v, const KeyPlace&, RunSettings* s, std::vector<std::string>*) {
       for (const std::string& id : v.List()) {
         if (id.size() < 12 || id.size() > 64 ||
             id.find_first_not_of("0123456789abcdef") != std::string::npos)
           return "'" + id + "' is not a container id (12 to 64 lowercase hex digits)";
       }
       s->agent.container_ids = v.List();
       return std::string();
     }},
    {"discovery.cgroups", ValueType::kStringList, "all", "--cgroup", "",
     "Only processes in these cgroups or below them (a path as /proc/PID/cgroup shows it, or "
     "under the cgroup2 mount)",
     Effect::kApplied,
     [](const ConfigValue& v, const KeyPlace&, RunSettings* s, std::vector<std::string>*) {
       for (const std::string& path : v.List())
         if (path.empty() || path[0] != '/') return "'" + path + "' is not an absolute cgroup path";
       s->agent.cgroup_paths = v.List();
       return std::string();
     }},
    {"discovery.trace_sdk_processes", ValueType::kBool, "false", "--trace-sdk-processes",
     "OTEL_EBPF_TRACE_SDK_PROCESSES",
     "Also emit spans and request metrics of processes that export their own traces (an "
     "OpenTelemetry SDK or agent); by default they are left to it",
     Effect::kApplied,
     [](const ConfigValue& v, const KeyPlace&, RunSettings* s, std::vector<std::string>* w) {
       s->agent.trace_sdk_processes = v.Bool();
       return Unused(w);
     }},
    {"discovery.instrument[].open_ports", ValueType::kPorts, "all", "--port", "",
     "Ports, e.g. 80,443,8000-8999. otelbpf follows the connections whose local or peer port is "
     "one of these (OBI: the processes listening on them)",
     Effect::kApplied,
     [](const ConfigValue& v, const KeyPlace& p, RunSettings* s, std::vector<std::string>* w) {
       Entry(p, s).open_ports = v.Ports();
       return Unused(w);
     },
     {}, 0, 0, true},
    {"discovery.instrument[].exe_path", ValueType::kString, "all", "--exe", "",
     "Glob on the executable's path or file name; processes started later are checked at exec",
     Effect::kApplied,
     [](const ConfigValue& v, const KeyPlace& p, RunSettings* s, std::vector<std::string>*) {
       if (v.String().empty()) return std::string("an empty glob matches no executable");
       Entry(p, s).exe_path = v.String();
       return std::string();
     },
     {}, 0, 0, true},
    {"discovery.instrument[].k8s_namespace", ValueType::kString, "any", "", "",
     "Glob on the Kubernetes namespace of the process's pod", Effect::kApplied,
     [](const ConfigValue& v, const KeyPlace& p, RunSettings* s, std::vector<std::string>* w) {
       Entry(p, s).k8s_namespace = v.String();
       return std::string();
     },
     {}, 0, 0, true},
    {"discovery.instrument[].k8s_pod_labels", ValueType::kStringMap, "any", "", "",
     "Pod labels, each value a glob; all must match", Effect::kApplied,
     [](const ConfigValue& v, const KeyPlace& p, RunSettings* s, std::vector<std::string>* w) {
       for (const auto& [name, glob] : v.Map()) Entry(p, s).k8s_pod_labels[name] = glob;
       return std::string();
     },
     {}, 0, 0, true},

    // --- routes (the route matcher takes these over) ---
    {"routes.patterns", ValueType::kStringList, "none", "", "",
     "URL path patterns (/user/{id}, /user/:id, /static/*) that set http.route", Effect::kApplied,
     [](const ConfigValue& v, const KeyPlace&, RunSettings* s, std::vector<std::string>* w) {
       s->routes.configured = true;
       s->routes.patterns = v.List();
       return Unused(w);
     },
     {}, 0, 0, true},
    {"routes.ignored_patterns", ValueType::kStringList, "none", "", "",
     "URL path patterns whose requests are dropped (see ignore_mode)", Effect::kApplied,
     [](const ConfigValue& v, const KeyPlace&, RunSettings* s, std::vector<std::string>* w) {
       s->routes.configured = true;
       s->routes.ignored_patterns = v.List();
       return Unused(w);
     },
     {}, 0, 0, true},
    {"routes.ignore_mode", ValueType::kEnum, "all", "", "",
     "What ignored_patterns drop: spans and metrics (all), spans only, or metrics only",
     Effect::kApplied,
     [](const ConfigValue& v, const KeyPlace&, RunSettings* s, std::vector<std::string>* w) {
       s->routes.configured = true;
       s->routes.ignore_mode = v.String();
       return Unused(w);
     },
     "all|traces|metrics", 0, 0, true},
    {"routes.unmatched", ValueType::kEnum, "heuristic", "", "",
     "http.route of a path no pattern matches: none, the path, /**, a heuristic guess, or the "
     "guess with a cap on distinct segment values",
     Effect::kApplied,
     [](const ConfigValue& v, const KeyPlace&, RunSettings* s, std::vector<std::string>* w) {
       s->routes.configured = true;
       s->routes.unmatched = v.String();
       return Unused(w);
     },
     "unset|path|wildcard|heuristic|low-cardinality", 0, 0, true},
    {"routes.wildcard_char", ValueType::kString, "{id}", "", "",
     "The character that replaces path segments the heuristic judges to be ids (default: the "
     "placeholder {id})", Effect::kApplied,
     [](const ConfigValue& v, const KeyPlace&, RunSettings* s, std::vector<std::string>*) {
       if (v.String().size() != 1) return std::string("must be a single character, e.g. '*'");
       s->routes.configured = true;
       s->routes.wildcard_char = v.String();
       return std::string();
     },
     {}, 0, 0, true},
    {"routes.max_path_segment_cardinality", ValueType::kInt, "10", "", "",
     "low-cardinality: distinct values kept per path segment and service (0: no limit)",
     Effect::kStored,
     [](const ConfigValue& v, const KeyPlace&, RunSettings* s, std::vector<std::string>* w) {
       s->routes.configured = true;
       s->routes.max_path_segment_cardinality = static_cast<uint32_t>(v.Int());
       return Unused(w);
     },
     {}, 0, 100000, true},

    // --- store ---
    {"store.path", ValueType::kString, "/var/lib/otelbpf/otelbpf.db", "--store",
     "OTEL_EBPF_STORE",
     "The embedded store (SQLite) that otelbpf observe, stats, map and trace read; none: off",
     Effect::kApplied,
     [](const ConfigValue& v, const KeyPlace&, RunSettings* s, std::vector<std::string>*) {
       if (v.String().empty()) return std::string("an empty path: give a file, or none");
       s->agent.store.path = v.String();
       return std::string();
     }},
    {"store.max_mb", ValueType::kInt, "256", "--store-max-mb", "OTEL_EBPF_STORE_MAX_MB",
     "Size bound of the store in MiB: the oldest spans are evicted beyond it", Effect::kApplied,
     [](const ConfigValue& v, const KeyPlace&, RunSettings* s, std::vector<std::string>* w) {
       s->agent.store.max_mb = v.Int();
       return Unused(w);
     },
     {}, 1, 1000000},
    {"store.max_spans_per_second", ValueType::kInt, "2000", "--store-max-spans-per-second",
     "OTEL_EBPF_STORE_MAX_SPANS_PER_SECOND",
     "Beyond this rate the store keeps a share of whole traces, weighted so stats estimate real "
     "rates (0: every span)",
     Effect::kApplied,
     [](const ConfigValue& v, const KeyPlace&, RunSettings* s, std::vector<std::string>* w) {
       s->agent.store.max_spans_per_second = v.Int();
       return Unused(w);
     },
     {}, 0, 10000000},
    {"store.retention", ValueType::kDuration, "24h", "--store-retention",
     "OTEL_EBPF_STORE_RETENTION", "Spans older than this are evicted from the store",
     Effect::kApplied,
     [](const ConfigValue& v, const KeyPlace&, RunSettings* s, std::vector<std::string>* w) {
       s->agent.store.retention = v.Duration();
       return Unused(w);
     }},

    // --- ui ---
    {"ui.address", ValueType::kString, "127.0.0.1:9465", "--ui", "OTEL_EBPF_UI",
     "The web UI's ADDR:PORT, or none; an address other hosts can reach needs --ui-token "
     "(OTEL_EBPF_UI_TOKEN)",
     Effect::kApplied,
     [](const ConfigValue& v, const KeyPlace&, RunSettings* s, std::vector<std::string>*) {
       std::string error;
       if (v.String() != "none" && !ui::ParseUiAddress(v.String(), &error)) return error;
       s->agent.ui.address = v.String();
       return std::string();
     }},

    // --- attributes ---
    {"attributes.select.*.include", ValueType::kStringList, "the default set", "", "",
     "Attributes (names or globs like k8s.*) the metric named by * reports (its OpenTelemetry "
     "or Prometheus name, or a glob: http_*); points left equal are added up",
     Effect::kApplied,
     [](const ConfigValue& v, const KeyPlace& p, RunSettings* s, std::vector<std::string>*) {
       s->attribute_select[p.name].include = v.List();
       return std::string();
     },
     {}, 0, 0, true},
    {"attributes.select.*.exclude", ValueType::kStringList, "none", "", "",
     "Attributes (names or globs) removed from the metric's include list or default set",
     Effect::kApplied,
     [](const ConfigValue& v, const KeyPlace& p, RunSettings* s, std::vector<std::string>*) {
       s->attribute_select[p.name].exclude = v.List();
       return std::string();
     },
     {}, 0, 0, true},

    // --- OTLP traces ---
    {"otel_traces_export.endpoint", ValueType::kString, "unset (spans on the terminal)", "",
     "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
     "Collector URL; with no path, /v1/traces is added. Enables OTLP export. "
     "OTEL_EXPORTER_OTLP_ENDPOINT also wins over it",
     Effect::kEnvDefault,
     [](const ConfigValue& v, const KeyPlace& p, RunSettings* s, std::vector<std::string>*) {
       std::string url;
       if (std::string error = OtlpEndpoint(v.String(), "v1/traces", &url); !error.empty()) {
         return error;
       }
       AddEnvDefault(s, p, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", url,
                     {"OTEL_EXPORTER_OTLP_ENDPOINT"});
       return std::string();
     },
     {}, 0, 0, true},
    {"otel_traces_export.protocol", ValueType::kEnum, "http/protobuf", "",
     "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTLP transport (OTEL_EXPORTER_OTLP_PROTOCOL also wins)",
     Effect::kEnvDefault,
     [](const ConfigValue& v, const KeyPlace& p, RunSettings* s, std::vector<std::string>* w) {
       AddEnvDefault(s, p, "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", v.String(),
                     {"OTEL_EXPORTER_OTLP_PROTOCOL"});
       return Unused(w);
     },
     "http/protobuf|grpc", 0, 0, true},
    {"otel_traces_export.headers", ValueType::kStringMap, "none", "",
     "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
     "Headers sent with every export, e.g. {Authorization: Bearer x} "
     "(OTEL_EXPORTER_OTLP_HEADERS also wins)",
     Effect::kEnvDefault,
     [](const ConfigValue& v, const KeyPlace& p, RunSettings* s, std::vector<std::string>*) {
       std::string headers;
       if (std::string error = OtlpHeaders(v.Map(), &headers); !error.empty()) return error;
       AddEnvDefault(s, p, "OTEL_EXPORTER_OTLP_TRACES_HEADERS", headers,
                     {"OTEL_EXPORTER_OTLP_HEADERS"});
       return std::string();
     },
     {}, 0, 0, true},
    {"otel_traces_export.sampler.name", ValueType::kEnum, "parentbased_always_on", "",
     "OTEL_TRACES_SAMPLER", "Which traces are kept (see docs/configuration.md)",
     Effect::kEnvDefault,
     [](const ConfigValue& v, const KeyPlace& p, RunSettings* s, std::vector<std::string>* w) {
       AddEnvDefault(s, p, "OTEL_TRACES_SAMPLER", v.String(), {});
       return Unused(w);
     },
     kSamplers, 0, 0, true},
    {"otel_traces_export.sampler.arg", ValueType::kString, "1.0", "", "OTEL_TRACES_SAMPLER_ARG",
     "The ratio (0 to 1) of the *traceidratio samplers", Effect::kEnvDefault,
     [](const ConfigValue& v, const KeyPlace& p, RunSettings* s, std::vector<std::string>*) {
       std::string error;
       if (!ParseRatio(v.String(), &error)) return error;
       AddEnvDefault(s, p, "OTEL_TRACES_SAMPLER_ARG", v.String(), {"OTEL_TRACES_SAMPLER"});
       return std::string();
     },
     {}, 0, 0, true},
    {"otel_traces_export.sample_rate", ValueType::kRatio, "1 (every trace)", "",
     "OTEL_EBPF_SAMPLE_RATE",
     "Share of new traces kept, as a ratio (0.25) or a percentage (25, \"25%\"): "
     "parentbased_traceidratio with that ratio. OTEL_TRACES_SAMPLER, if set, wins; "
     "not with sampler.name",
     Effect::kEnvDefault,
     [](const ConfigValue& v, const KeyPlace&, RunSettings* s, std::vector<std::string>* w) {
       s->sample_rate = v.Ratio();
       return Unused(w);
     }},

    // --- OTLP metrics ---
    {"otel_metrics_export.endpoint", ValueType::kString, "unset", "",
     "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
     "Collector URL; with no path, /v1/metrics is added (OTEL_EXPORTER_OTLP_ENDPOINT also wins)",
     Effect::kEnvDefault,
     [](const ConfigValue& v, const KeyPlace& p, RunSettings* s, std::vector<std::string>*) {
       std::string url;
       if (std::string error = OtlpEndpoint(v.String(), "v1/metrics", &url); !error.empty()) {
         return error;
       }
       AddEnvDefault(s, p, "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", url,
                     {"OTEL_EXPORTER_OTLP_ENDPOINT"});
       return std::string();
     },
     {}, 0, 0, true},
    {"otel_metrics_export.protocol", ValueType::kEnum, "http/protobuf", "",
     "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "OTLP transport (OTEL_EXPORTER_OTLP_PROTOCOL also wins)",
     Effect::kEnvDefault,
     [](const ConfigValue& v, const KeyPlace& p, RunSettings* s, std::vector<std::string>* w) {
       AddEnvDefault(s, p, "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", v.String(),
                     {"OTEL_EXPORTER_OTLP_PROTOCOL"});
       return Unused(w);
     },
     "http/protobuf|grpc", 0, 0, true},
    {"otel_metrics_export.headers", ValueType::kStringMap, "none", "",
     "OTEL_EXPORTER_OTLP_METRICS_HEADERS",
     "Headers sent with every export (OTEL_EXPORTER_OTLP_HEADERS also wins)", Effect::kEnvDefault,
     [](const ConfigValue& v, const KeyPlace& p, RunSettings* s, std::vector<std::string>*) {
       std::string headers;
       if (std::string error = OtlpHeaders(v.Map(), &headers); !error.empty()) return error;
       AddEnvDefault(s, p, "OTEL_EXPORTER_OTLP_METRICS_HEADERS", headers,
                     {"OTEL_EXPORTER_OTLP_HEADERS"});
       return std::string();
     },
     {}, 0, 0, true},
    {"otel_metrics_export.interval", ValueType::kDuration, "60s", "",
     "OTEL_METRIC_EXPORT_INTERVAL", "Time between OTLP metric exports (the variable is in ms)",
     Effect::kEnvDefault,
     [](const ConfigValue& v, const KeyPlace& p, RunSettings* s, std::vector<std::string>* w) {
       AddEnvDefault(s, p, "OTEL_METRIC_EXPORT_INTERVAL", std::to_string(v.Duration().count()),
                     {});
       return Unused(w);
     },
     {}, 0, 0, true},

    // --- Prometheus ---
    {"prometheus_export.enabled", ValueType::kBool, "true", "--prometheus", "",
     "Serve metrics for Prometheus (otelbpf's own key: OBI serves them only when port is set)",
     Effect::kApplied,
     [](const ConfigValue& v, const KeyPlace&, RunSettings* s, std::vector<std::string>* w) {
       s->agent.prometheus = v.Bool();
       return Unused(w);
     }},
    {"prometheus_export.port", ValueType::kInt, "9464", "", "OTEL_EXPORTER_PROMETHEUS_PORT",
     "Port of the /metrics endpoint", Effect::kEnvDefault,
     [](const ConfigValue& v, const KeyPlace& p, RunSettings* s, std::vector<std::string>* w) {
       AddEnvDefault(s, p, "OTEL_EXPORTER_PROMETHEUS_PORT", std::to_string(v.Int()), {});
       return Unused(w);
     },
     {}, 1, 65535, true},
    {"prometheus_export.host", ValueType::kString, "127.0.0.1", "",
     "OTEL_EXPORTER_PROMETHEUS_HOST", "Address the /metrics endpoint listens on (otelbpf's own key)",
     Effect::kEnvDefault,
     [](const ConfigValue& v, const KeyPlace& p, RunSettings* s, std::vector<std::string>*) {
       if (v.String().empty()) return std::string("an empty host");
       AddEnvDefault(s, p, "OTEL_EXPORTER_PROMETHEUS_HOST", v.String(), {});
       return std::string();
     }},
    {"prometheus_export.path", ValueType::kEnum, "/metrics", "", "",
     "The scrape path; otelbpf serves /metrics only (accepted so OBI files load)",
     Effect::kApplied,
     [](const ConfigValue&, const KeyPlace&, RunSettings*, std::vector<std::string>* w) {
       return Unused(w);
     },
     "/metrics", 0, 0, true},

    // --- ebpf: otelbpf's capture knobs, next to OBI's context_propagation ---
    {"ebpf.context_propagation", ValueType::kEnum, "disabled", "--propagate", "",
     "headers: insert a W3C traceparent into outgoing HTTP/1.x requests that carry none, in the "
     "kernel. OBI's all is taken as headers (otelbpf has no IP-options carrier)",
     Effect::kApplied,
     [](const ConfigValue& v, const KeyPlace& p, RunSettings* s, std::vector<std::string>* w) {
       const std::string& mode = v.String();
       if (mode == "all") {
         w->push_back(p.origin + ": 'all' is taken as 'headers' (otelbpf propagates in HTTP "
                                 "headers only)");
       }
       s->propagate = mode == "disabled" ? "none" : "headers";
       return std::string();
     },
     "disabled|headers|all", 0, 0, true},
    {"ebpf.capture_bytes", ValueType::kInt, "1024", "--capture-bytes", "",
     "Bytes copied from each send/receive; headers beyond this are not seen", Effect::kApplied,
     [](const ConfigValue& v, const KeyPlace&, RunSettings* s, std::vector<std::string>* w) {
       s->agent.capture.capture_bytes = static_cast<uint32_t>(v.Int());
       return Unused(w);
     },
     {}, 64, OTELBPF_MAX_CAPTURE},
    {"ebpf.ring_buffer_mb", ValueType::kEnum, "8", "--ring-buffer-mb", "",
     "Kernel-to-user ring buffer in MiB; raise it if "
     "otelbpf.capture.events.lost{reason=ringbuf_full} grows",
     Effect::kApplied,
     [](const ConfigValue& v, const KeyPlace&, RunSettings* s, std::vector<std::string>* w) {
       s->ring_mb = static_cast<uint32_t>(std::stoul(v.String()));
       return Unused(w);
     },
     "1|2|4|8|16|32|64"},
    {"ebpf.max_connections", ValueType::kInt, "65536", "--max-connections", "",
     "Connections tracked at once; more are counted and skipped", Effect::kApplied,
     [](const ConfigValue& v, const KeyPlace&, RunSettings* s, std::vector<std::string>* w) {
       s->agent.max_connections = static_cast<size_t>(v.Int());
       return Unused(w);
     },
     {}, 1, 1 << 24},
    {"ebpf.tls", ValueType::kBool, "true", "--tls", "OTEL_EBPF_TLS",
     "Read TLS plaintext inside OpenSSL and Go's crypto/tls with uprobes (each probed call "
     "costs a uprobe trap)",
     Effect::kApplied,
     [](const ConfigValue& v, const KeyPlace&, RunSettings* s, std::vector<std::string>* w) {
       s->agent.tls = v.Bool();
       return Unused(w);
     }},
    {"ebpf.protocols", ValueType::kStringList, "all", "--protocols", "OTEL_EBPF_PROTOCOLS",
     "Protocols followed: all, or a list of http1, http2, dns, redis, memcached, postgresql, "
     "mysql; others are not even classified in the kernel",
     Effect::kApplied,
     [](const ConfigValue& v, const KeyPlace&, RunSettings* s, std::vector<std::string>*) {
       std::string list = Join(v.List(), ',');
       std::string error;
       if (!ParseProtocolList(list, &error)) return error;
       s->protocols = list;
       return std::string();
     }},
    {"ebpf.protocol_ports", ValueType::kStringList, "none", "--protocol-port", "",
     "PROTOCOL=PORT items, e.g. [redis=6380]: connections on the port are tried as the "
     "protocol first",
     Effect::kApplied,
     [](const ConfigValue& v, const KeyPlace&, RunSettings* s, std::vector<std::string>*) {
       for (const std::string& item : v.List()) {
         std::string error;
         if (!ParseProtocolPort(item, &error)) return error;
       }
       s->protocol_ports = v.List();
       return std::string();
     }},
    {"ebpf.stitch_same_host", ValueType::kBool, "true", "--stitch-same-host", "",
     "Link a SERVER span to the CLIENT span at the other end of its connection when both ends "
     "are on this host",
     Effect::kApplied,
     [](const ConfigValue& v, const KeyPlace&, RunSettings* s, std::vector<std::string>* w) {
       s->agent.stitch_same_host = v.Bool();
       return Unused(w);
     }},
};

}  // namespace

const std::vector<ConfigKey>& ConfigKeys() { return kKeys; }

const std::vector<std::string_view>& ObiKeysWithoutEquivalent() {
  static const std::vector<std::string_view> keys = {
      // Top level (OBI's pkg/obi Config).
      "network", "filter", "name_resolver", "executable_path", "open_port", "service_name",
      "service_namespace", "metrics", "shutdown_timeout", "enforce_sys_caps",
      "channel_buffer_len", "channel_send_timeout", "channel_send_timeout_panic", "profile_port",
      "internal_metrics", "log_config", "nodejs", "javaagent",
      // discovery
      "discovery.exclude_instrument", "discovery.default_exclude_instrument",
      "discovery.skip_go_specific_tracers", "discovery.exclude_otel_instrumented_services",
      "discovery.exclude_otel_instrumented_services_span_metrics", "discovery.services",
      "discovery.exclude_services", "discovery.default_exclude_services",
      "discovery.min_process_age", "discovery.instrument[].name",
      "discovery.instrument[].namespace", "discovery.instrument[].containers_only",
      "discovery.instrument[].k8s_pod_name", "discovery.instrument[].k8s_deployment_name",
      "discovery.instrument[].k8s_replicaset_name", "discovery.instrument[].k8s_statefulset_name",
      "discovery.instrument[].k8s_daemonset_name", "discovery.instrument[].k8s_owner_name",
      "discovery.instrument[].k8s_pod_annotations", "discovery.instrument[].exports",
      "discovery.instrument[].sampler",
      // attributes
      "attributes.kubernetes", "attributes.instance_id", "attributes.host_id",
      "attributes.rename_unresolved_hosts", "attributes.rename_unresolved_hosts_outgoing",
      "attributes.rename_unresolved_hosts_incoming", "attributes.metric_span_names_limit",
      "attributes.extra_group_attributes",
      // exporters
      "otel_traces_export.insecure_skip_verify", "otel_traces_export.instrumentations",
      "otel_traces_export.max_queue_size", "otel_traces_export.batch_timeout",
      "otel_traces_export.reporters_cache_len", "otel_metrics_export.insecure_skip_verify",
      "otel_metrics_export.features", "otel_metrics_export.instrumentations",
      "otel_metrics_export.buckets", "otel_metrics_export.histogram_aggregation",
      "otel_metrics_export.ttl", "otel_metrics_export.allow_service_graph_self_references",
      "otel_metrics_export.reporters_cache_len", "prometheus_export.features",
      "prometheus_export.instrumentations", "prometheus_export.buckets", "prometheus_export.ttl",
      "prometheus_export.extra_resource_attributes",
      "prometheus_export.span_metrics_service_cache_size",
      "prometheus_export.allow_service_graph_self_references",
      // ebpf (OBI's tracer knobs)
      "ebpf.wakeup_len", "ebpf.batch_length", "ebpf.batch_timeout", "ebpf.track_request_headers",
      "ebpf.http_request_timeout", "ebpf.high_request_volume", "ebpf.heuristic_sql_detect",
      "ebpf.bpf_debug", "ebpf.protocol_debug_print", "ebpf.buffer_sizes", "ebpf.redis_db_cache",
      "ebpf.traffic_control_backend", "ebpf.dns_request_timeout",
      "ebpf.max_transaction_time", "ebpf.payload_extraction", "ebpf.instrument_gpu",
      "ebpf.override_bpfloop_enabled", "ebpf.mysql_prepared_statements_cache_size",
      "ebpf.postgres_prepared_statements_cache_size", "ebpf.mongo_requests_cache_size",
      "ebpf.kafka_topic_uuid_cache_size", "ebpf.log_enricher",
  };
  return keys;
}

}  // namespace otelbpf::config
