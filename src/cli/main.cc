// otelbpf command line: `otelbpf run`, `otelbpf version`, `otelbpf config reference|check`,
// `otelbpf floor` (benchmarks), and the store's readers `observe|stats|map|trace` (src/query).
// The flags of `run` live in config/run_flags.cc, next to the config file's key table.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "agent/agent.h"
#include "agent/floor.h"
#include "config/config_file.h"
#include "config/config_reference.h"
#include "config/resolve.h"
#include "config/run_flags.h"
#include "config/value_parsers.h"
#include "protocols/selection.h"
#include "query/query_commands.h"

namespace {

constexpr const char* kDescription =
    "otelbpf gives any process on this machine OpenTelemetry traces without touching its code.\n"
    "It watches the bytes services send and receive through eBPF tracepoints (no kprobes needed),\n"
    "recognises HTTP/1.x, HTTP/2 and gRPC, DNS, Redis, Memcached, PostgreSQL and MySQL/MariaDB\n"
    "(also inside OpenSSL's and Go's TLS, read with uprobes), and turns every request/response into a span.";

constexpr const char* kRunFooter = R"(
Where spans go:
  With no OTLP endpoint set, one line per span is printed on the terminal.
  Set OTEL_EXPORTER_OTLP_ENDPOINT (e.g. http://localhost:4318) to export over OTLP;
  OTEL_EXPORTER_OTLP_PROTOCOL=grpc for gRPC (e.g. http://localhost:4317).
  Also honoured: OTEL_EXPORTER_OTLP[_TRACES]_{ENDPOINT,PROTOCOL,HEADERS,TIMEOUT,COMPRESSION},
  OTEL_BSP_{SCHEDULE_DELAY,MAX_QUEUE_SIZE,MAX_EXPORT_BATCH_SIZE,EXPORT_TIMEOUT},
  OTEL_RESOURCE_ATTRIBUTES (added to every process's resource).

Metrics:
  HTTP RED metrics (http.server/client.request.duration, body sizes), tcp.retransmissions and
  otelbpf's own otelbpf.* self-metrics are served for Prometheus at http://127.0.0.1:9464/metrics
  (OTEL_EXPORTER_PROMETHEUS_HOST/PORT; --prometheus=false turns it off) and exported over OTLP
  when an endpoint is set, every OTEL_METRIC_EXPORT_INTERVAL ms (60000), with
  OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE (cumulative, delta, lowmemory).
  OTEL_METRICS_EXPORTER=otlp|prometheus|none narrows where they go.

Store:
  Every span also goes into a local SQLite file (--store, default /var/lib/otelbpf/otelbpf.db,
  bounded by --store-max-mb 256 and --store-retention 24h; --store none turns it off) that
  `otelbpf observe`, `stats`, `map` and `trace` read, while otelbpf runs or after.

Protocols:
  Every protocol is followed by default; --protocols (or OTEL_EBPF_PROTOCOLS) narrows them,
  e.g. --protocols http1,postgresql. The kernel recognises each connection from its first
  bytes; --protocol-port redis=6380 names what an unusual port carries. Database spans follow
  the OpenTelemetry database conventions; query literals are replaced by '?', and passwords,
  values and keys never leave the machine. process.command_line is exported with the values
  of secret-looking arguments masked (-a, -pPASSWORD, --token=..., user:PASSWORD@ in URLs).

Service names:
  Each process is named by its own OTEL_SERVICE_NAME (read from its environment) if set; in a
  Kubernetes pod by its workload (Deployment, StatefulSet, ...; see --kubernetes); else by what
  was run (redis-server, not the binary its symlink points to; a Python, Node.js, Java, Ruby,
  Perl or PHP program by its script, module or jar). Containers add container.id. The agent's
  own OTEL_SERVICE_NAME names no one else. Processes that export their own traces (an
  OpenTelemetry SDK) are left to it (--trace-sdk-processes).

Traces:
  Spans of one request are linked on this host without touching packets: a server's span
  under the local client's (--stitch-same-host), a call under the request its thread serves.
  Across hosts, --propagate=headers inserts a W3C traceparent into outgoing HTTP/1 requests
  that have none (in the kernel; requests it cannot edit safely are left as they are and
  counted in otelbpf.propagation.requests). OTEL_TRACES_SAMPLER/_ARG choose what is kept.

Config file:
  --config FILE (or OTEL_EBPF_CONFIG_PATH) reads a YAML file with keys named like OBI's
  (discovery.instrument[] with open_ports / exe_path, routes, otel_traces_export, ebpf, ...);
  `otelbpf config reference` lists every key, `otelbpf config check FILE` validates one.
  Precedence: file < environment < flag. OTEL_EBPF_SAMPLE_RATE (0.25, 25 or 25%) keeps that
  share of new traces unless OTEL_TRACES_SAMPLER is set.

Examples:
  sudo otelbpf run --config /etc/otelbpf.yaml       # settings from a file
  sudo otelbpf run                                  # every process, spans on the terminal
  sudo otelbpf run --exe nginx --port 8080          # only nginx, only port 8080
  sudo otelbpf run --container 3f4e5d6c7b8a         # only this container
  sudo otelbpf run --propagate=headers              # traces continue on the next host
  sudo OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4318 otelbpf run --output json
)";

}  // namespace

int main(int argc, char** argv) {
  auto logger = spdlog::stderr_color_mt("otelbpf");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("%^%l%$ %H:%M:%S.%e %v");

  CLI::App app{kDescription, "otelbpf"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("otelbpf ") + OTELBPF_VERSION);

  otelbpf::config::RunSettings settings;
  CLI::App* run = app.add_subcommand("run", "Capture live traffic and emit spans (needs root)");
  run->footer(kRunFooter);
  otelbpf::config::AddRunFlags(run, &settings);

  CLI::App* version =
      app.add_subcommand("version", "Print the version and the eBPF capabilities used");
  CLI::App* floor = app.add_subcommand(
      "floor",
      "Benchmarking aid: attach empty eBPF programs to the same hooks as `run` until interrupted");
  CLI::App* config = app.add_subcommand("config", "The config file: its keys, or check one");
  config->require_subcommand(1);
  CLI::App* reference = config->add_subcommand(
      "reference", "Print every config key as markdown (docs/config-reference.md)");
  CLI::App* check = config->add_subcommand(
      "check", "Load a config file as `run --config` would, print its warnings and errors");
  std::string check_path;
  check->add_option("FILE", check_path, "The YAML file")->required();

  otelbpf::query::QueryCommands queries(&app);

  CLI11_PARSE(app, argc, argv);

  if (version->parsed()) {
    std::printf("otelbpf %s\n", OTELBPF_VERSION);
    std::printf(
        "hooks: syscall, sched, sock and tcp tracepoints; uprobes on libc's getaddrinfo, "
        "OpenSSL's SSL_read/SSL_write and Go's crypto/tls (no uretprobes in Go); with "
        "--propagate=headers, sockops + sk_msg (no kprobes, no fentry/fexit)\n");
    std::printf("protocols: %s\n", otelbpf::KnownProtocolNames().c_str());
    return 0;
  }
  if (floor->parsed()) return otelbpf::RunFloor();
  if (auto code = queries.RunIfChosen()) return *code;
  if (reference->parsed()) {
    std::fputs(otelbpf::config::ReferenceMarkdown().c_str(), stdout);
    return 0;
  }
  if (check->parsed()) {
    otelbpf::config::RunSettings checked;
    otelbpf::config::ConfigDiagnostics diagnostics;
    otelbpf::config::ApplyConfigFile(check_path, nullptr, &checked, &diagnostics);
    if (diagnostics.ok()) {
      checked.config_path = check_path;
      otelbpf::config::FinalizeRunSettings(&checked, &diagnostics);
    }
    for (const std::string& w : diagnostics.warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
    for (const std::string& e : diagnostics.errors) std::fprintf(stderr, "otelbpf: %s\n", e.c_str());
    if (!diagnostics.ok()) return 2;
    std::printf("config %s: ok\n", check_path.c_str());
    return 0;
  }

  const otelbpf::config::ConfigDiagnostics diagnostics = otelbpf::config::ResolveRunSettings(
      &settings, otelbpf::config::FlagGivenIn(run), otelbpf::config::ProcessEnvironment());
  for (const std::string& e : diagnostics.errors) std::fprintf(stderr, "otelbpf: %s\n", e.c_str());
  if (!diagnostics.ok()) return 2;
  spdlog::set_level(spdlog::level::from_str(otelbpf::config::Lower(settings.log_level)));
  for (const std::string& w : diagnostics.warnings) spdlog::warn("{}", w);
  return otelbpf::RunAgent(settings.agent);
}
