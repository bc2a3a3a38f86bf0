#include "agent/agent.h"

#include <malloc.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>

#include <spdlog/spdlog.h>

#include "agent/metrics_outputs.h"
#include "agent/preflight.h"
#include "agent/kubernetes_wiring.h"
#include "agent/store_wiring.h"
#include "capture/connection_tracker.h"
#include "capture/go_probes.h"
#include "capture/library_probes.h"
#include "discovery/container.h"
#include "discovery/process_registry.h"
#include "discovery/process_selector.h"
#include "export/otlp/otlp_config.h"
#include "kubernetes/kubernetes_metadata.h"
#include "export/otlp/otlp_trace_exporter.h"
#include "export/prometheus/prometheus_config.h"
#include "protocols/registry.h"
#include "assembly/span_pipeline.h"
#include "ui/ui_address.h"
#include "ui/ui_server.h"

namespace otelbpf {
namespace {

std::atomic<bool> g_stop{false};

}  // namespace
}  // namespace otelbpf

// mimalloc's, when the agent binary links it (CMakeLists.txt); null in builds without it.
extern "C" void mi_collect(bool force) __attribute__((weak));

namespace otelbpf {
namespace {

// Gives freed heap back to the system after a burst of connections has closed. glibc keeps it
// for reuse until malloc_trim; mimalloc until its own delayed purge, which mi_collect forces.
void ReturnFreedMemory() {
  if (mi_collect)
    mi_collect(true);
  else
    malloc_trim(0);
}

void OnSignal(int) { g_stop.store(true); }

void InstallSignalHandlers() {
  struct sigaction sa = {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);  // a closed stdout or collector socket must not kill the agent
}

uint64_t MonotonicNowNs() {
  timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<uint64_t>(t.tv_sec) * 1000000000ull + t.tv_nsec;
}

// Printed names of the kernel counters, in enum otelbpf_stat order.
constexpr const char* kStatNames[] = {"events_sent",   "ringbuf_full",      "args_map_full",
                                      "conn_map_full", "capture_truncated", "iov_truncated",
                                      "fd_unreadable", "retransmits",       "tls_no_fd",
                                      "go_tls_other_conn", "calls_before_attach"};
static_assert(sizeof(kStatNames) / sizeof(kStatNames[0]) == OTELBPF_STAT_COUNT,
              "every kernel counter needs a name here");

// OTEL_METRICS_EXPORTER (a comma list: otlp, prometheus, none) narrows where metrics go. Unset:
// OTLP when an endpoint is configured, and the Prometheus endpoint unless --prometheus=false.
MetricsOutputOptions MetricsOptionsFrom(const AgentOptions& options,
                                        std::vector<std::string>* warnings) {
  MetricsOutputOptions m;
  m.prometheus_config = prometheus::PrometheusConfigFromEnv(otlp::ProcessEnv, warnings);
  m.prometheus = options.prometheus;
  m.attribute_select = options.attribute_select;
  if (auto v = otlp::ProcessEnv("OTEL_METRICS_EXPORTER"); v && !v->empty()) {
    m.prometheus = m.prometheus && v->find("prometheus") != std::string::npos;
    m.otlp = v->find("otlp") != std::string::npos;
  }
  return m;
}

}  // namespace

int RunAgent(const AgentOptions& options) {
  InstallSignalHandlers();
  const auto started = std::chrono::steady_clock::now();

  // The web UI's address and token are checked before anything is attached: an address other
  // hosts can reach without a token is refused outright (docs/ui.md, "Security").
  std::optional<ui::UiAddress> ui_address;
  {
    std::string error;
    ui_address = ui::ParseUiAddress(
        options.ui.address.empty() ? ui::kDefaultUiAddress : options.ui.address, &error);
    if (ui_address) error = ui::ValidateUiSecurity(*ui_address, options.ui.token);
    if (!error.empty()) {
      spdlog::error("{}", error);
      return 2;
    }
  }

  PreflightResult pre = RunPreflight();
  for (const auto& a : pre.actions) spdlog::info("{}", a);
  if (!pre.errors.empty()) {
    for (const auto& e : pre.errors) spdlog::error("{}", e);
    return 1;
  }

  std::vector<std::string> warnings;
  otlp::OtlpConfig otlp_config = otlp::OtlpConfigFromEnv(otlp::ProcessEnv, &warnings);
  for (const auto& w : warnings) spdlog::warn("{}", w);

  ProcessRegistry processes(ResourceDefaultsFromEnvironment());
  std::unique_ptr<kubernetes::KubernetesMetadata> k8s;
  if (!StartKubernetes(options.kubernetes, &k8s)) return 2;
  if (k8s) {
    processes.SetContainerAttributes(
        [&k8s](std::string_view container_id) -> std::shared_ptr<const Attributes> {
          kubernetes::PodResourcePtr pod = k8s->ForContainer(container_id);
          // The pod resource's attributes, kept alive by the pod resource itself.
          return pod ? std::shared_ptr<const Attributes>(pod, &pod->attributes) : nullptr;
        });
  }
  std::vector<std::string> sampler_warnings;
  const SamplerConfig sampler = SamplerConfigFromEnv(otlp::ProcessEnv, &sampler_warnings);
  for (const auto& w : sampler_warnings) spdlog::warn("{}", w);
  const uint64_t monotonic_to_realtime_ns = MonotonicToRealtimeOffsetNs();
  AssemblyLimits assembly;
  assembly.stitch_same_host = options.stitch_same_host;
  SpanPipeline pipeline(monotonic_to_realtime_ns, sampler, assembly);
  pipeline.EmitProcessesWithOwnTelemetry(options.trace_sdk_processes);
  if (k8s) {
    pipeline.SetPeerServiceLookup(
        [&k8s](std::string_view address) -> std::optional<SpanPipeline::PeerService> {
          const kubernetes::PodResourcePtr pod = k8s->ForPodIp(address);
          if (!pod || pod->service_name.empty()) return std::nullopt;
          return SpanPipeline::PeerService{pod->service_name, pod->service_namespace};
        });
  }
  {
    // Bad patterns are skipped with a message each; the agent runs with the rest.
    std::vector<std::string> route_errors = routes::Validate(options.routes);
    for (const auto& e : route_errors) spdlog::warn("{}", e);
    pipeline.SetRoutes(options.routes);
  }

  std::unique_ptr<otlp::OtlpTraceExporter> exporter;
  if (otlp_config.enabled()) exporter = otlp::MakeOtlpTraceExporter(otlp_config);
  std::unique_ptr<ConsolePrinter> console;
  if (!options.console_disabled && (options.console || !exporter)) {
    console =
        std::make_unique<ConsolePrinter>(options.console.value_or(ConsoleFormat::kText), stdout);
    pipeline.AddSink(console.get());
  }
  bool store_failed = false;
  std::unique_ptr<store::SpanStore> span_store = OpenStore(options.store, &store_failed);
  if (store_failed) return 2;
  if (span_store) pipeline.AddSink(span_store.get());
  // The UI serves from its own threads and reads the store through its own connections:
  // nothing here waits on it.
  std::unique_ptr<ui::UiServer> ui_server;
  if (ui_address) {
    ui::UiServerOptions ui_options;
    ui_options.address = *ui_address;
    ui_options.token = options.ui.token;
    ui_options.store_path = span_store ? span_store->path() : "";
    ui_server = std::make_unique<ui::UiServer>(std::move(ui_options));
    std::string error;
    if (!ui_server->Start(&error)) {
      ui_server.reset();
      if (!options.ui.address.empty()) {  // an address the user asked for must be served
        spdlog::error("web UI: {} (--ui none turns it off)", error);
        return 2;
      }
      spdlog::warn("web UI: {}; running without it (--ui ADDR:PORT moves it, --ui none "
                   "silences this)", error);
    }
  }
  if (exporter) pipeline.AddSink(exporter.get());  // last: it takes each span, no copy

  std::vector<std::string> metric_warnings;
  MetricsOutputOptions metrics_options = MetricsOptionsFrom(options, &metric_warnings);
  if (k8s) metrics_options.kubernetes_stats = [&k8s] { return k8s->stats(); };
  for (const auto& w : metric_warnings) spdlog::warn("{}", w);
  MetricsOutputs metrics(metrics_options, processes.Get(static_cast<uint32_t>(getpid()), "otelbpf"),
                         exporter.get());
  processes.Forget(
      static_cast<uint32_t>(getpid()));  // otelbpf names itself; it never traces itself
  pipeline.AddEverySpanSink(&metrics);  // request metrics count unsampled traces too
  if (span_store) metrics.ObserveStore(span_store.get());

  SpanBuildOptions span_options;
  span_options.monotonic_to_realtime_ns = monotonic_to_realtime_ns;
  ConnectionTracker tracker(
      processes, [&](ExchangeSpan& x, const ConnectionInfo& c) { pipeline.OnExchange(x, c); },
      options.max_connections, span_options);
  tracker.OnRetransmit([&](const ResourcePtr& r, const Endpoint& local, const Endpoint& peer,
                           uint16_t state) {
    metrics.RecordRetransmit(r, local, peer, state);
    if (span_store)
      span_store->RecordNetEvent(RetransmitEventOf(r, local, peer, state, UnixNowNs()));
  });
  tracker.OnResourceRetired([&](const ResourcePtr& r) { metrics.RetireResource(r); });
  tracker.OnTcpConnection([&](const TcpConnectionEvent& e) {
    metrics.RecordTcpConnection(e);
    if (span_store) span_store->RecordNetEvent(NetEventOf(e, monotonic_to_realtime_ns));
  });
  tracker.OnDnsLookup([&](const DnsLookupEvent& e) {
    metrics.RecordDnsLookup(e);
    if (span_store) span_store->RecordNetEvent(NetEventOf(e, monotonic_to_realtime_ns));
  });

  CaptureOptions capture = options.capture;
  const Sampler root_rule(sampler);  // the kernel's injector applies the same rule to new traces
  capture.root_sample_threshold = root_rule.RootRejectionThreshold();
  capture.sampler_parent_based = root_rule.ParentBased();
  capture.pids = options.pids;
  ProcessSelection selection{options.exe_globs, options.container_ids, options.cgroup_paths, {}};
  std::string selector_error;
  auto pod_selectors = KubernetesSelectors(options, &selector_error);
  if (!selector_error.empty()) {
    spdlog::error("{}", selector_error);
    return 2;
  }
  if (!pod_selectors.empty()) {
    if (!k8s) {
      spdlog::error(
          "selecting processes by their pod (k8s_namespace, k8s_pod_labels, --k8s-namespace, "
          "--k8s-pod-label, --k8s-deployment) needs the Kubernetes metadata: run otelbpf in a pod "
          "or give --kubeconfig");
      return 2;
    }
    selection.container_predicate = [&k8s, pod_selectors](
                                        std::string_view container_id) -> std::optional<bool> {
      const kubernetes::PodResourcePtr pod = k8s->ForContainer(container_id);
      if (!pod) return std::nullopt;  // not (yet) known to the pod watch
      return std::any_of(pod_selectors.begin(), pod_selectors.end(),
                         [&pod](const kubernetes::KubernetesSelector& s) { return s.Matches(*pod); });
    };
  }
  ProcessSelector selector(std::move(selection), "/proc", Cgroup2MountOfThisHost());
  capture.select_by_pid = !options.pids.empty() || selector.active();
  // Every exec is reported: --exe selects by it, and a Go program gets its uprobes (goroutines,
  // crypto/tls) at its exec, before its first connection, instead of after it.
  capture.report_exec = true;
  for (uint32_t pid : selector.NewlyMatching()) capture.pids.push_back(pid);
  if (!options.exe_globs.empty()) {
    // Without CAP_SYS_PTRACE, --exe would silently match nothing of other users. (Not probed
    // on PID 1's link: in some containers even root cannot read that one.)
    if (!CanReadOtherUsersExecutables())
      spdlog::warn(
          "cannot read /proc/PID/exe of other users' processes (needs root or CAP_SYS_PTRACE): "
          "--exe will only match processes of otelbpf's own user");
  }

  std::unique_ptr<BpfCapture> bpf;
  try {
    bpf = std::make_unique<BpfCapture>(
        capture, [&](const void* d, size_t n) { tracker.HandleRecord(d, n); });
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return 1;
  }
  LibraryProbes library_probes(*bpf, options.tls);
  tracker.OnProcessExit([&](uint32_t pid) {
    bpf->ForgetProcess(pid);
    library_probes.Forget(pid);
  });
  GoProbes go_probes(*bpf, options.tls);
  tracker.OnGoLineageNeeded([&](uint32_t pid) { go_probes.AttachLineageFor(pid); });
  // Processes already running are described to the kernel at once: Go programs are followed by
  // goroutine from the start, and the others' requests are continued by --propagate=headers
  // from their first one (the kernel continues a request only in a process it knows runs one
  // request per thread). Later processes are described at their first event, or again after
  // an exec (a shell that execs a Go server becomes another program).
  for (const auto& program : processes.RunningPrograms()) {
    if (program.pid == static_cast<uint32_t>(getpid())) continue;
    if (program.go) go_probes.AttachFor(program.pid);
    bpf->MarkDescribed(program.pid, program.go);
  }
  tracker.OnProcessDescribed([&](uint32_t pid) {
    const ResourcePtr resource = processes.Find(pid);
    if (resource && !resource->own_telemetry.empty() && !options.trace_sdk_processes)
      spdlog::info(
          "pid {} exports its own traces ({}): its spans and request metrics are left to it "
          "(--trace-sdk-processes=true emits them too)",
          pid, resource->own_telemetry);
    const bool go = processes.RunsGoroutines(pid);
    if (go) go_probes.AttachFor(pid);
    bpf->MarkDescribed(pid, go);
  });
  tracker.OnAbandon([&](uint32_t pid, int32_t fd, uint64_t generation) {
    bpf->AbandonConnection(pid, fd, generation);
  });
  tracker.SetSwitchTargets(options.capture.enabled_protocols);
  tracker.OnSwitch([&](uint32_t pid, int32_t fd, uint64_t generation, uint8_t protocol) {
    bpf->SwitchConnectionProtocol(pid, fd, generation, protocol);
  });
  tracker.OnProcessExec([&](uint32_t pid) {
    if (selector.active() && selector.Matches(pid)) bpf->SelectPid(pid);
    if (processes.ExecutesGo(pid)) go_probes.AttachFor(pid);
  });

  // getaddrinfo() uprobes on every libc, SSL_read/SSL_write on every OpenSSL. Not fatal: the
  // rest of the capture does not depend on them.
  library_probes.AttachAtStart();
  tracker.OnTlsSeen([&](uint32_t pid) {
    // A Go program's TLS is its own crypto/tls, read by the Go probes when its executable has
    // the symbols; otherwise it is one of the processes whose TLS is not read.
    if (processes.ExecutesGo(pid)) {
      go_probes.AttachFor(pid);  // done at its exec already, unless it was running before us
      if (go_probes.ReadsTlsOf(pid)) return;
    }
    library_probes.OnTlsSeen(pid);
  });

  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                  started)
                .count();
  std::string target = exporter ? "OTLP " + otlp_config.endpoint : std::string();
  if (console) target += std::string(target.empty() ? "" : " and ") + "the console";
  if (span_store)
    target += std::string(target.empty() ? "" : " and ") + "the store " + span_store->path();
  if (target.empty()) target = "nowhere (--output none, no OTLP endpoint)";
  std::string metrics_to = metrics.Destinations();
  const std::string ui_at =
      ui_server ? "; web UI on http://" +
                      ui::FormatUiAddress({ui_address->host, ui_server->port()}) + "/"
                : "";
  spdlog::info(
      "otelbpf is ready: {} hooks attached in {} ms; spans go to {} (sampler {}); metrics to {}{}",
      bpf->AttachedHooks(), ms, target, Describe(sampler), metrics_to.empty() ? "nowhere" : metrics_to,
      ui_at);

  uint64_t reported_losses = 0;
  size_t connections_at_last_trim = 0;
  auto last_housekeeping = std::chrono::steady_clock::now();
  auto last_library_scan = last_housekeeping;
  while (!g_stop.load()) {
    int n = bpf->Poll(options.poll_interval_ms);
    if (n < 0) {
      spdlog::error("reading the ring buffer failed: {}", n);
      break;
    }
    pipeline.Tick(MonotonicNowNs());  // assembled spans leave after a short hold
    if (console) console->Flush();
    if (n > 0) metrics.PublishUserStats(tracker, processes.size(), pipeline);
    auto now = std::chrono::steady_clock::now();
    if (now - last_housekeeping >= std::chrono::seconds(1)) {
      last_housekeeping = now;
      bpf->PurgeForgottenProcesses();
      bpf->ReleaseGivenUpSockets();
      // Children a selected program forked (they exec nothing), processes new since the last
      // look.
      for (uint32_t pid : selector.NewlyMatching()) bpf->SelectPid(pid);
      const size_t rested = tracker.Expire(MonotonicNowNs());
      if (now - last_library_scan >= std::chrono::seconds(5)) {
        last_library_scan = now;
        library_probes.AttachNew();
      }
      const CaptureCounters c = metrics.PublishKernelStats(*bpf);
      // Also when no record came: assembly releases spans on its own clock (Tick).
      metrics.PublishUserStats(tracker, processes.size(), pipeline);
      metrics.PublishParserCounters(tracker);
      metrics.PublishTlsUnreadable(library_probes.unreadable_tls_processes());
      // After a burst of connections has closed, or many went idle and rested, give the freed
      // heap back (measured with glibc: 64.8 -> 15.0 MiB after 20k connections closed). Cheap,
      // and only after big drops.
      const size_t connections = tracker.connection_count();
      if (connections + 1000 < connections_at_last_trim || rested >= 1000) ReturnFreedMemory();
      if (connections + 1000 < connections_at_last_trim || connections > connections_at_last_trim)
        connections_at_last_trim = connections;
      uint64_t losses = c.values[OTELBPF_STAT_RINGBUF_FULL] + c.values[OTELBPF_STAT_ARGS_MAP_FULL];
      if (losses > reported_losses) {
        spdlog::warn(
            "lost {} capture events so far (ring buffer or argument map full); consider "
            "--ring-buffer-mb",
            losses);
        reported_losses = losses;
      }
    }
  }

  spdlog::info("stopping: detaching eBPF programs and flushing exporters");
  ui_server.reset();  // no page is answered from a half-stopped agent
  bpf->Poll(0);  // whatever the kernel queued before we detach
  const CaptureCounters counters = metrics.PublishKernelStats(*bpf);
  bpf.reset();
  tracker.CloseAll(MonotonicNowNs());
  pipeline.Flush();
  if (span_store) span_store->Shutdown();  // writes what is queued: `observe` sees the last spans
  metrics.PublishUserStats(tracker, processes.size(), pipeline);
  metrics.PublishParserCounters(tracker);
  // One flush budget for the whole stop, not one per exporter: the span exporter's final
  // flush, then the metrics' final export (which reports the span exporter's outcome counts),
  // so that a collector that never answers cannot hold SIGTERM past a container's grace period.
  const auto flush_deadline = std::chrono::steady_clock::now() + otlp::kShutdownFlushBudget;
  if (exporter) exporter->Shutdown(flush_deadline);
  metrics.Shutdown(flush_deadline);
  if (console) console->Shutdown();

  const TrackerStats& ts = tracker.stats();
  std::string kernel;
  for (int i = 0; i < OTELBPF_STAT_COUNT; ++i)
    kernel += fmt::format(" {}={}", kStatNames[i], counters.values[i]);
  spdlog::info("kernel:{}", kernel);
  spdlog::info(
      "user space: records={} malformed={} orphan_data={} connections={} rejected={} exchanges={} "
      "spans={} "
      "retransmits={} retransmits_unattributed={} process_snapshots={} wire_contexts={} "
      "wire_contexts_unmatched={} go_calls_unlinked={} go_started_goroutine_calls={} "
      "tls_connections={} "
      "tls_unreadable_processes={}",
      ts.records, ts.malformed_records, ts.orphan_data, ts.connections_opened,
      ts.connections_rejected, ts.exchanges, pipeline.spans(), ts.retransmits,
      ts.retransmits_unattributed, ts.process_snapshots, ts.wire_contexts,
      ts.wire_contexts_unmatched, ts.go_calls_unlinked, ts.go_calls_by_started_goroutines,
      ts.tls_connections,
      library_probes.unreadable_tls_processes());
  std::string parser_events;
  const auto parser_counters = tracker.ProtocolCounters();
  for (const Protocol* p : RegisteredProtocols()) {
    const ParserCounters& c = parser_counters[p->id];
    const uint64_t events = c.parse_errors + c.unmatched_responses + c.dropped_requests +
                            c.unknown_statements + c.unknown_header_fields;
    if (events == 0) continue;
    parser_events += fmt::format(
        " {}: parse_errors={} unmatched_responses={} dropped_requests={} unknown_statements={} "
        "unknown_header_fields={};",
        p->name, c.parse_errors, c.unmatched_responses, c.dropped_requests, c.unknown_statements,
        c.unknown_header_fields);
  }
  if (!parser_events.empty()) spdlog::info("protocols:{}", parser_events);
  const AssemblyStats& as = pipeline.assembly_stats();
  spdlog::info(
      "traces: new={} joined_remote={} linked_in_process={} linked_same_host={} "
      "ambiguous_in_process={} released_early={} sampled_out={} linked_propagated={} "
      "decided_on_arrival={} ignored={}",
      as.new_traces, as.joined_remote, as.linked_in_process, as.linked_same_host,
      as.ambiguous_in_process, as.released_early, as.sampled_out, as.linked_propagated,
      as.decided_on_arrival, as.ignored);
  if (span_store) {
    const store::StoreStats st = span_store->stats();
    spdlog::info(
        "store: written={} sampled_out={} over_budget={} dropped_queue_full={} "
        "dropped_write_failed={} evicted_age={} evicted_size={} net_events_written={} "
        "net_events_dropped={} metric_points_written={}",
        st.written, st.sampled_out, st.over_budget, st.dropped_queue_full,
        st.dropped_write_failed, st.evicted_age, st.evicted_size, st.net_events_written,
        st.net_events_dropped, st.metric_points_written);
  }
  if (exporter) {
    auto s = exporter->stats();
    spdlog::info(
        "otlp: exported={} dropped_queue_full={} dropped_export_failed={} requests={} failures={}",
        s.spans_exported, s.spans_dropped_queue_full, s.spans_dropped_export_failed,
        s.export_requests, s.export_failures);
  }
  return 0;
}

}  // namespace otelbpf
