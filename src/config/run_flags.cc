#include "config/run_flags.h"

#include "config/value_parsers.h"
#include "http_capture.h"
#include "protocols/selection.h"

namespace otelbpf::config {

void AddRunFlags(CLI::App* run, RunSettings* s) {
  AgentOptions& options = s->agent;
  run->add_option("--config", s->config_path,
                  "YAML config file (keys named like OBI's; `otelbpf config reference` lists "
                  "them). Environment variables and flags override it")
      ->envname("OTEL_EBPF_CONFIG_PATH")
      ->type_name("FILE");
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
  run->add_option("--trace-sdk-processes", options.trace_sdk_processes,
                  "Also emit spans (and request metrics) for processes that export their own "
                  "traces: an OpenTelemetry SDK or agent found in their environment "
                  "(OTEL_TRACES_EXPORTER, a -javaagent, NODE_OPTIONS, opentelemetry-instrument) "
                  "or their mapped libraries. Off: they are left to their SDK, and neighbours "
                  "still join their traces through the traceparent they send")
      ->envname("OTEL_EBPF_TRACE_SDK_PROCESSES")
      ->default_val(false);
  run->add_option("--kubernetes", options.kubernetes.mode,
                  "Kubernetes metadata (k8s.* attributes, service.name by the OpenTelemetry "
                  "rules) from the API server for processes in pods: auto (when otelbpf runs in a "
                  "pod, or --kubeconfig is given), true or false")
      ->envname("OTEL_EBPF_KUBERNETES")
      ->default_val("auto")
      ->check(CLI::IsMember({"auto", "true", "false"}));
  run->add_option("--k8s-node", options.kubernetes.node,
                  "The node whose pods are watched (default: NODE_NAME, which the DaemonSet sets "
                  "from spec.nodeName, else the host name)")
      ->type_name("NAME");
  run->add_option("--kubeconfig", options.kubernetes.kubeconfig,
                  "Kubeconfig file to reach the API server from outside a pod (default: the "
                  "service account in a pod, else KUBECONFIG)")
      ->type_name("FILE");
  run->add_option("--store", options.store.path,
                  "The embedded store that `otelbpf observe|stats|map|trace` read: a SQLite file "
                  "(default /var/lib/otelbpf/otelbpf.db), or none")
      ->envname("OTEL_EBPF_STORE")
      ->type_name("PATH|none");
  run->add_option("--store-max-mb", options.store.max_mb,
                  "Size bound of the store: the oldest spans are evicted beyond it")
      ->envname("OTEL_EBPF_STORE_MAX_MB")
      ->default_val(256)
      ->check(CLI::Range(1, 1000000));
  run->add_option("--store-max-spans-per-second", options.store.max_spans_per_second,
                  "Beyond this rate the store keeps a share of whole traces (weighted, so "
                  "`otelbpf stats` still estimates real rates); writing costs ~11 us a span. "
                  "0: every span")
      ->envname("OTEL_EBPF_STORE_MAX_SPANS_PER_SECOND")
      ->default_val(2000)
      ->check(CLI::Range(0, 10000000));
  run->add_option_function<std::string>(
         "--store-retention",
         [&options](const std::string& text) {
           std::string error;
           const auto d = ParseDuration(text, &error);
           if (!d) throw CLI::ValidationError("--store-retention", error);
           options.store.retention = *d;
         },
         "Spans older than this are evicted from the store (default 24h)")
      ->envname("OTEL_EBPF_STORE_RETENTION")
      ->type_name("DURATION");
  run->add_option("--ui", options.ui.address,
                  "The web UI (service map, RED, spans, traces, DNS, TCP) on ADDR:PORT (default "
                  "127.0.0.1:9465; a busy default port is only a warning), or none. An address "
                  "other hosts can reach needs --ui-token")
      ->envname("OTEL_EBPF_UI")
      ->type_name("ADDR:PORT|none");
  run->add_option("--ui-token", options.ui.token,
                  "The token the web UI asks for on every request (Authorization: Bearer TOKEN, "
                  "or ?token=TOKEN once, which sets a cookie); required off loopback. Prefer the "
                  "environment variable: a flag is visible to every user in ps")
      ->envname("OTEL_EBPF_UI_TOKEN")
      ->type_name("TOKEN");
  run->add_option("--k8s-context", options.kubernetes.context,
                  "The kubeconfig context to use (default: its current-context)")
      ->type_name("NAME");
  run->add_option("--k8s-namespace", options.kubernetes.namespaces,
                  "Only watch processes in pods of this namespace (repeatable; a glob). With the "
                  "other --k8s-* selectors, all must match")
      ->type_name("NAMESPACE");
  run->add_option("--k8s-pod-label", options.kubernetes.pod_labels,
                  "Only watch processes in pods with this label (repeatable, all must match), "
                  "e.g. --k8s-pod-label app=checkout; the value may be a glob")
      ->type_name("KEY=VALUE");
  run->add_option("--k8s-deployment", options.kubernetes.deployments,
                  "Only watch processes in pods of this Deployment (repeatable; NAME or "
                  "NAMESPACE/NAME, globs)")
      ->type_name("NAME");
  run->add_option("--k8s-well-known-labels", options.kubernetes.well_known_labels,
                  "Let the app.kubernetes.io/instance and /name labels name services (the "
                  "OpenTelemetry rules make this opt-in; the resource.opentelemetry.io/service.name "
                  "annotation and workload owners are always used)")
      ->default_val(false);
  run->add_option("--port", options.capture.ports,
                  "Only watch connections whose local or peer port is one of these (repeatable)")
      ->type_name("PORT")
      ->check(CLI::Range(1, 65535));
  run->add_option(
         "--output", s->output,
         "Where to print spans: text (one line each), json (one JSON object per line) or none. "
         "Default: text when no OTLP endpoint is configured, otherwise none")
      ->check(CLI::IsMember({"text", "json", "none"}));
  run->add_option(
         "--capture-bytes", options.capture.capture_bytes,
         "Bytes copied from each send/receive; the rest is counted, not read. Headers beyond this "
         "are not seen")
      ->default_val(OTELBPF_DEFAULT_CAPTURE)
      ->check(CLI::Range(64, OTELBPF_MAX_CAPTURE));
  run->add_option("--ring-buffer-mb", s->ring_mb,
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
  run->add_option("--propagate", s->propagate,
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
                  "Read TLS plaintext inside OpenSSL (libssl) and Go's crypto/tls with uprobes, so "
                  "HTTPS, PostgreSQL and Redis over TLS are traced. Each probed call costs a "
                  "uprobe trap in the traced process (docs/performance.md): false to leave TLS "
                  "traffic alone")
      ->envname("OTEL_EBPF_TLS")
      ->default_val(true);
  run->add_option("--protocols", s->protocols,
                  "Protocols to follow, comma-separated: all, or some of " +
                      KnownProtocolNames() + ". Others are not even classified in the kernel")
      ->envname("OTEL_EBPF_PROTOCOLS")
      ->default_val("all");
  run->add_option("--protocol-port", s->protocol_ports,
                  "PROTOCOL=PORT (repeatable): connections on this port are tried as this "
                  "protocol first, and taken as it when their bytes match no protocol, e.g. "
                  "--protocol-port redis=6380")
      ->type_name("PROTOCOL=PORT");
  run->add_option("--log-level", s->log_level, "debug, info, warn or error")
      ->envname("OTEL_EBPF_LOG_LEVEL")
      ->default_val("info")
      ->transform(CLI::IsMember({"debug", "info", "warn", "error"}, CLI::ignore_case));
}

FlagGiven FlagGivenIn(const CLI::App* run) {
  return [run](std::string_view flag) {
    const CLI::Option* option = run->get_option_no_throw(std::string(flag));
    return option != nullptr && option->count() > 0;
  };
}

}  // namespace otelbpf::config
