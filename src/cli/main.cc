// otelbpf command line: `otelbpf run`, `otelbpf version`, `otelbpf floor` (benchmarks).
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "agent/agent.h"
#include "agent/floor.h"
#include "http_capture.h"
#include "protocols/selection.h"

namespace {

constexpr const char* kDescription =
    "otelbpf gives any process on this machine OpenTelemetry traces without touching its code.\n"
    "It watches the bytes services send and receive through eBPF tracepoints (no kprobes needed),\n"
    "recognises HTTP/1.x, HTTP/2 and gRPC, DNS, Redis, Memcached, PostgreSQL and MySQL/MariaDB\n"
    "(also inside OpenSSL's TLS, read with uprobes), and turns every request/response into a span.";

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

Protocols:
  Every protocol is followed by default; --protocols (or OTEL_EBPF_PROTOCOLS) narrows them,
  e.g. --protocols http1,postgresql. The kernel recognises each connection from its first
  bytes; --protocol-port redis=6380 names what an unusual port carries. Database spans follow
  the OpenTelemetry database conventions; query literals are replaced by '?', and passwords,
  values and keys never leave the machine. process.command_line is exported with the values
  of secret-looking arguments masked (-a, -pPASSWORD, --token=..., user:PASSWORD@ in URLs).

Service names:
  Each process is named by its own OTEL_SERVICE_NAME (read from its environment) if set,
  else by its executable name. The agent's own OTEL_SERVICE_NAME names no one else.

Traces:
  Spans of one request are linked on this host without touching packets: a server's span
  under the local client's (--stitch-same-host), a call under the request its thread serves.
  Across hosts, --propagate=headers inserts a W3C traceparent into outgoing HTTP/1 requests
  that have none (in the kernel; requests it cannot edit safely are left as they are and
  counted in otelbpf.propagation.requests). OTEL_TRACES_SAMPLER/_ARG choose what is kept.

Examples:
  sudo otelbpf run                                  # every process, spans on the terminal
  sudo otelbpf run --exe nginx --port 8080          # only nginx, only port 8080
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

  otelbpf::AgentOptions options;
  std::string output;
  std::string log_level = "info";
  uint32_t ring_mb = 8;

  CLI::App* run = app.add_subcommand("run", "Capture live traffic and emit spans (needs root)");
  run->footer(kRunFooter);
  run->add_option("--pid", options.pids, "Only watch these process ids (repeatable)")
      ->type_name("PID");
  run->add_option(
         "--exe", options.exe_globs,
         "Only watch processes whose executable path or name matches this glob (repeatable), "
         "e.g. --exe nginx --exe '/usr/bin/python3*'. Processes started later are picked up too.")
      ->type_name("GLOB");
  run->add_option("--container", options.container_ids,
                  "Only watch processes in this container (repeatable): its id or a prefix of at "
                  "least 12 hex digits, as `docker ps`, `crictl ps` or `podman ps` print it "
                  "(docker, containerd, CRI-O, podman)")
      ->type_name("ID");
  run->add_option("--cgroup", options.cgroup_paths,
                  "Only watch processes in this cgroup or below it (repeatable), as "
                  "/proc/PID/cgroup names it (/system.slice/nginx.service) or as a path under the "
                  "cgroup2 mount (/sys/fs/cgroup/system.slice)")
      ->type_name("PATH");
  run->add_option("--port", options.capture.ports,
                  "Only watch connections whose local or peer port is one of these (repeatable)")
      ->type_name("PORT")
      ->check(CLI::Range(1, 65535));
  run->add_option(
         "--output", output,
         "Where to print spans: text (one line each), json (one JSON object per line) or none. "
         "Default: text when no OTLP endpoint is configured, otherwise none")
      ->check(CLI::IsMember({"text", "json", "none"}));
  run->add_option(
         "--capture-bytes", options.capture.capture_bytes,
         "Bytes copied from each send/receive; the rest is counted, not read. Headers beyond this "
         "are not seen")
      ->default_val(OTELBPF_DEFAULT_CAPTURE)
      ->check(CLI::Range(64, OTELBPF_MAX_CAPTURE));
  run->add_option("--ring-buffer-mb", ring_mb,
                  "Kernel-to-user ring buffer size in MiB (power of two); raise it if "
                  "otelbpf.capture.events.lost{reason=ringbuf_full} grows")
      ->default_val(8)
      ->check(CLI::IsMember({1, 2, 4, 8, 16, 32, 64}));
  run->add_option("--max-connections", options.max_connections,
                  "Connections tracked at once; more are counted and skipped")
      ->default_val(65536);
  run->add_option("--prometheus", options.prometheus,
                  "Serve metrics (HTTP RED metrics, tcp.retransmissions, otelbpf.* self-metrics) "
                  "for Prometheus at "
                  "OTEL_EXPORTER_PROMETHEUS_HOST:OTEL_EXPORTER_PROMETHEUS_PORT (127.0.0.1:9464)")
      ->default_val(true);
  std::string propagate = "none";
  run->add_option("--propagate", propagate,
                  "Trace context propagation: none, or headers (insert a W3C traceparent into "
                  "outgoing HTTP/1.x requests that carry none, in the kernel, so the next "
                  "host's agent or SDK continues the trace; see docs/configuration.md)")
      ->default_val("none")
      ->check(CLI::IsMember({"none", "headers"}));
  run->add_option("--stitch-same-host", options.stitch_same_host,
                  "Link a SERVER span to the CLIENT span at the other end of its connection when "
                  "both ends are on this host (no packet is touched)")
      ->default_val(true);
  run->add_option("--tls", options.tls,
                  "Read TLS plaintext inside OpenSSL (libssl) with uprobes, so HTTPS, PostgreSQL "
                  "and Redis over TLS are traced. Each probed call costs a uprobe trap in the "
                  "traced process (docs/performance.md): false to leave TLS traffic alone")
      ->envname("OTEL_EBPF_TLS")
      ->default_val(true);
  run->add_option("--trace-sdk-processes", options.trace_sdk_processes,
                  "Also emit spans (and request metrics) for processes that export their own "
                  "traces: an OpenTelemetry SDK or agent found in their environment "
                  "(OTEL_TRACES_EXPORTER, a -javaagent, NODE_OPTIONS, opentelemetry-instrument) "
                  "or their mapped libraries. Off: they are left to their SDK, and neighbours "
                  "still join their traces through the traceparent they send")
      ->envname("OTEL_EBPF_TRACE_SDK_PROCESSES")
      ->default_val(false);
  std::string protocols = "all";
  run->add_option("--protocols", protocols,
                  "Protocols to follow, comma-separated: all, or some of " +
                      otelbpf::KnownProtocolNames() +
                      ". Others are not even classified in the kernel")
      ->envname("OTEL_EBPF_PROTOCOLS")
      ->default_val("all");
  std::vector<std::string> protocol_ports;
  run->add_option("--protocol-port", protocol_ports,
                  "PROTOCOL=PORT (repeatable): connections on this port are tried as this "
                  "protocol first, and taken as it when their bytes match no protocol, e.g. "
                  "--protocol-port redis=6380")
      ->type_name("PROTOCOL=PORT");
  run->add_option("--log-level", log_level, "debug, info, warn or error")
      ->default_val("info")
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}));

  CLI::App* version =
      app.add_subcommand("version", "Print the version and the eBPF capabilities used");
  CLI::App* floor = app.add_subcommand(
      "floor",
      "Benchmarking aid: attach empty eBPF programs to the same hooks as `run` until interrupted");

  CLI11_PARSE(app, argc, argv);
  spdlog::set_level(spdlog::level::from_str(log_level));

  if (version->parsed()) {
    std::printf("otelbpf %s\n", OTELBPF_VERSION);
    std::printf(
        "hooks: syscall, sched, sock and tcp tracepoints; uprobes on libc's getaddrinfo; with "
        "--propagate=headers, sockops + sk_msg (no kprobes, no fentry/fexit)\n");
    std::printf("protocols: %s\n", otelbpf::KnownProtocolNames().c_str());
    return 0;
  }
  if (floor->parsed()) return otelbpf::RunFloor();

  std::string error;
  const auto mask = otelbpf::ParseProtocolList(protocols, &error);
  if (!mask) {
    std::fprintf(stderr, "otelbpf: --protocols / OTEL_EBPF_PROTOCOLS: %s\n", error.c_str());
    return 2;
  }
  options.capture.enabled_protocols = *mask;
  for (const std::string& text : protocol_ports) {
    const auto hint = otelbpf::ParseProtocolPort(text, &error);
    if (!hint) {
      std::fprintf(stderr, "otelbpf: %s\n", error.c_str());
      return 2;
    }
    options.capture.port_hints.push_back({hint->port, hint->protocol});
  }
  options.capture.ring_buffer_bytes = ring_mb << 20;
  options.capture.propagate_headers = propagate == "headers";
  if (output == "text") options.console = otelbpf::ConsoleFormat::kText;
  if (output == "json") options.console = otelbpf::ConsoleFormat::kJson;
  if (output == "none") options.console_disabled = true;
  return otelbpf::RunAgent(options);
}
