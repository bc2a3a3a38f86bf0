#include "config/resolve.h"

#include <cstdlib>

#include "config/value_parsers.h"
#include "protocols/selection.h"
#include "routes/route_options.h"

namespace otelbpf::config {
namespace {

// The routes section in the route matcher's terms (routes/route_options.h).
void ApplyRoutes(const ConfigRoutes& config, routes::RouteOptions* out, ConfigDiagnostics* diag) {
  out->patterns = config.patterns;
  out->ignored_patterns = config.ignored_patterns;
  if (const auto mode = routes::ParseIgnoreMode(config.ignore_mode)) out->ignore_mode = *mode;
  if (config.unmatched) {
    if (*config.unmatched == "low-cardinality") {
      diag->warnings.push_back("routes.unmatched: low-cardinality is not implemented; heuristic "
                               "templates (with a cap per service) are used instead");
      out->unmatched = routes::Unmatched::kHeuristic;
    } else if (const auto unmatched = routes::ParseUnmatched(*config.unmatched)) {
      out->unmatched = *unmatched;
    }
  }
  // OBI's wildcard_char is '*' by default, ours the placeholder {id}: a file that sets another
  // character gets it (RunAgent reports patterns that do not parse).
  if (config.wildcard_char != "*") out->placeholder = config.wildcard_char;
}

// The BPF map of selected ports holds 1024 entries (bpf/http_capture.bpf.c).
constexpr size_t kMaxSelectedPorts = 1024;

bool IsSet(const Environment& env, const std::string& name) {
  auto v = env.get(name);
  return v && !v->empty();  // the specification treats an empty variable as unset
}

void ApplySampleRate(RunSettings* settings, const Environment& env, ConfigDiagnostics* diag) {
  std::optional<double> rate = settings->sample_rate;
  std::string source = "the config file's otel_traces_export.sample_rate";
  if (auto text = env.get("OTEL_EBPF_SAMPLE_RATE"); text && !text->empty()) {
    std::string error;
    rate = ParseSampleRate(*text, &error);
    if (!rate) {
      diag->errors.push_back("OTEL_EBPF_SAMPLE_RATE: " + error);
      return;
    }
    source = "OTEL_EBPF_SAMPLE_RATE";
  } else if (rate) {
    for (const EnvDefault& d : settings->env_defaults) {
      if (d.name == "OTEL_TRACES_SAMPLER") {
        diag->errors.push_back(d.origin + ": set either otel_traces_export.sampler or "
                                          "otel_traces_export.sample_rate, not both");
        return;
      }
    }
  }
  if (!rate) return;
  if (IsSet(env, "OTEL_TRACES_SAMPLER")) {
    diag->warnings.push_back(source + " is ignored: OTEL_TRACES_SAMPLER is set");
    return;
  }
  env.set("OTEL_TRACES_SAMPLER", "parentbased_traceidratio");
  // The file's rate is only a default: a ratio already in the environment wins over it.
  if (source == "OTEL_EBPF_SAMPLE_RATE" || !IsSet(env, "OTEL_TRACES_SAMPLER_ARG")) {
    env.set("OTEL_TRACES_SAMPLER_ARG", FormatRatio(*rate));
  }
}

// Decided on the environment as the user gave it: the file's sampler name must not hide the
// file's sampler argument.
void ApplyEnvDefaults(const RunSettings& settings, const Environment& env) {
  std::vector<const EnvDefault*> applied;
  for (const EnvDefault& d : settings.env_defaults) {
    bool overridden = false;
    for (const std::string& name : d.unless_set) overridden = overridden || IsSet(env, name);
    if (!overridden) applied.push_back(&d);
  }
  for (const EnvDefault* d : applied) env.set(d->name, d->value);
}

// discovery.instrument[]: exe_path selects processes, open_ports connections, each as a
// union over the entries. That is OBI's meaning only when every entry sets the same
// selectors; a file that mixes them is refused rather than read differently.
void ApplyInstrument(RunSettings* s, ConfigDiagnostics* diag) {
  const ConfigInstrument* with_exe = nullptr;
  const ConfigInstrument* without_exe = nullptr;
  const ConfigInstrument* with_ports = nullptr;
  const ConfigInstrument* without_ports = nullptr;
  for (const ConfigInstrument& entry : s->instrument) {
    bool k8s = !entry.k8s_namespace.empty() || !entry.k8s_pod_labels.empty();
    if (k8s) s->agent.kubernetes_selectors.push_back({entry.k8s_namespace, entry.k8s_pod_labels});
    if (entry.exe_path.empty() && entry.open_ports.empty()) continue;
    (entry.exe_path.empty() ? without_exe : with_exe) = &entry;
    (entry.open_ports.empty() ? without_ports : with_ports) = &entry;
  }
  auto mixed = [&](const ConfigInstrument* a, const ConfigInstrument* b, const char* key) {
    diag->errors.push_back(
        "config " + s->config_path + ":" + std::to_string(b->line) +
        ": discovery.instrument: the entry at line " + std::to_string(a->line) + " sets " + key +
        " and this one does not; otelbpf applies exe_path to processes and open_ports to "
        "connections across all entries, so every entry must set the same selectors");
  };
  if (with_exe && without_exe) return mixed(with_exe, without_exe, "exe_path");
  if (with_ports && without_ports) return mixed(with_ports, without_ports, "open_ports");
  std::vector<uint16_t> ports;
  for (const ConfigInstrument& entry : s->instrument) {
    if (!entry.exe_path.empty()) s->agent.exe_globs.push_back(entry.exe_path);
    for (const PortRange& range : entry.open_ports) {
      for (uint32_t port = range.first; port <= range.last; ++port) {
        ports.push_back(static_cast<uint16_t>(port));
        if (ports.size() > kMaxSelectedPorts) {
          diag->errors.push_back("config " + s->config_path + ":" + std::to_string(entry.line) +
                                 ": discovery.instrument[].open_ports: more than " +
                                 std::to_string(kMaxSelectedPorts) + " ports in all");
          return;
        }
      }
    }
  }
  s->agent.capture.ports.insert(s->agent.capture.ports.end(), ports.begin(), ports.end());
}

}  // namespace

Environment ProcessEnvironment() {
  return {
      [](std::string_view name) -> std::optional<std::string> {
        const char* v = std::getenv(std::string(name).c_str());
        if (v == nullptr) return std::nullopt;
        return std::string(v);
      },
      [](const std::string& name, const std::string& value) {
        ::setenv(name.c_str(), value.c_str(), 1);
      },
  };
}

void FinalizeRunSettings(RunSettings* s, ConfigDiagnostics* diag) {
  std::string error;
  const auto mask = ParseProtocolList(s->protocols, &error);
  if (!mask) {
    diag->errors.push_back("--protocols / OTEL_EBPF_PROTOCOLS: " + error);
  } else {
    s->agent.capture.enabled_protocols = *mask;
  }
  s->agent.capture.port_hints.clear();
  for (const std::string& text : s->protocol_ports) {
    const auto hint = ParseProtocolPort(text, &error);
    if (!hint) {
      diag->errors.push_back(error);
      continue;
    }
    s->agent.capture.port_hints.push_back({hint->port, hint->protocol});
  }
  ApplyInstrument(s, diag);
  if (s->routes.configured) ApplyRoutes(s->routes, &s->agent.routes, diag);
  s->agent.attribute_select = s->attribute_select;
  s->agent.capture.ring_buffer_bytes = s->ring_mb << 20;
  s->agent.capture.propagate_headers = s->propagate == "headers";
  s->agent.console.reset();
  s->agent.console_disabled = false;
  if (s->output == "text") s->agent.console = ConsoleFormat::kText;
  if (s->output == "json") s->agent.console = ConsoleFormat::kJson;
  if (s->output == "none") s->agent.console_disabled = true;
}

ConfigDiagnostics ResolveRunSettings(RunSettings* settings, const FlagGiven& given,
                                     const Environment& env) {
  ConfigDiagnostics diag;
  if (!settings->config_path.empty()) {
    ApplyConfigFile(settings->config_path, given, settings, &diag);
  }
  if (diag.ok()) ResolveAfterFile(settings, env, &diag);
  return diag;
}

void ResolveAfterFile(RunSettings* settings, const Environment& env, ConfigDiagnostics* diag) {
  ApplySampleRate(settings, env, diag);
  if (diag->ok()) ApplyEnvDefaults(*settings, env);
  if (diag->ok()) FinalizeRunSettings(settings, diag);
}

}  // namespace otelbpf::config
