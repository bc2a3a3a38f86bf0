#include "agent/metrics_outputs.h"

#include <time.h>

#include <array>
#include <map>

#include <spdlog/spdlog.h>

#include "export/otlp/otlp_config.h"
#include "export/otlp/otlp_metrics_config.h"
#include "protocols/registry.h"

namespace otelbpf {
namespace {

using metrics::MetricDescriptor;
using metrics::MetricKind;

// Kernel counters that are losses, by the reason the self-metric reports.
struct LossReason {
  otelbpf_stat stat;
  const char* reason;
};
constexpr LossReason kLossReasons[] = {
    {OTELBPF_STAT_RINGBUF_FULL, "ringbuf_full"},
    {OTELBPF_STAT_ARGS_MAP_FULL, "args_map_full"},
    {OTELBPF_STAT_CONN_MAP_FULL, "conn_map_full"},
    // TLS plaintext whose SSL object has no known socket (memory BIOs, e.g. Python asyncio).
    {OTELBPF_STAT_TLS_NO_FD, "tls_no_socket"},
    // A Go crypto/tls call on a Conn that wraps something other than a *net.TCPConn: its
    // socket cannot be proven, so its plaintext is not read.
    {OTELBPF_STAT_GO_TLS_OTHER_CONN, "tls_unknown_go_conn"},
};

// Names of the traceparent injector's outcomes, in enum otelbpf_propagation_outcome order.
constexpr const char* kPropagationOutcomes[] = {"injected",       "already_present", "not_http",
                                                "headers_split",  "body_unknown",    "pipelined",
                                                "no_room"};
static_assert(sizeof(kPropagationOutcomes) / sizeof(kPropagationOutcomes[0]) == OTELBPF_PROP_COUNT,
              "every injector outcome needs a name here");

// The probe behind each event type, for otelbpf.capture.probe.events (types in
// bpf/include/http_capture.h; several types can share a probe).
const char* ProbeOfEventType(uint32_t type) {
  switch (type) {
    case OTELBPF_EV_CONN_OPEN:
      return "connection_open";
    case OTELBPF_EV_DATA:
      return "syscall_data";
    case OTELBPF_EV_CONN_CLOSE:
      return "connection_close";
    case OTELBPF_EV_PROCESS_EXIT:
      return "process_exit";
    case OTELBPF_EV_PROCESS_EXEC:
      return "process_exec";
    case OTELBPF_EV_TCP_RETRANSMIT:
      return "tcp_retransmit";
    case OTELBPF_EV_TCP_CONN_UP:
    case OTELBPF_EV_TCP_CONN_FAILED:
    case OTELBPF_EV_TCP_CONN_DOWN:
      return "tcp_state";
    case OTELBPF_EV_DNS_LOOKUP:
      return "getaddrinfo";
    case OTELBPF_EV_PROCESS_SNAPSHOT:  // taken when a process's first connection is announced
      return "process_snapshot";
    case OTELBPF_EV_TRACE_CONTEXT:  // --propagate=headers
      return "trace_context";
    case OTELBPF_EV_TLS_SEEN:  // a connection's syscalls carry TLS records
      return "tls_records";
    case OTELBPF_EV_GO_SPAWN:  // a Go goroutine started by another one moves bytes
      return "go_spawn";
    default:
      return nullptr;
  }
}

}  // namespace

uint64_t UnixNowNs() {
  timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  return static_cast<uint64_t>(t.tv_sec) * 1000000000ull + t.tv_nsec;
}

namespace {
// Series of an exited process stay this long, so every scraper and exporter on an ordinary
// schedule (Prometheus 1 min, OTLP 60 s) reports its final values before they go.
metrics::SpanMetricsOptions SpanMetricsWithRetention() {
  metrics::SpanMetricsOptions o;
  o.forgotten_retention_ns = 120ull * 1000000000ull;
  return o;
}
}  // namespace

MetricsOutputs::MetricsOutputs(const MetricsOutputOptions& options, ResourcePtr self_resource,
                               const otlp::BatchSpanProcessor* span_exporter)
    : http_(SpanMetricsWithRetention()),
      db_(SpanMetricsWithRetention()),
      rpc_(SpanMetricsWithRetention()),
      self_(std::move(self_resource), UnixNowNs()) {
  RegisterSelfMetrics(span_exporter, options.kubernetes_stats);
  producers_ = {&http_, &db_, &rpc_, &tcp_, &tcp_connections_, &dns_lookups_, &self_};
  attribute_select_ = options.attribute_select;
  if (!attribute_select_.empty()) {
    for (metrics::MetricProducer*& producer : producers_) {
      selecting_.push_back(
          std::make_unique<metrics::SelectingProducer>(producer, &attribute_select_));
      producer = selecting_.back().get();
    }
  }
  const std::vector<metrics::MetricProducer*>& producers = producers_;

  if (options.prometheus) {
    try {
      prometheus_ =
          std::make_unique<prometheus::PrometheusServer>(options.prometheus_config, producers);
    } catch (const std::exception& e) {
      // Capture is the main job: a taken metrics port must not stop it.
      spdlog::warn(
          "Prometheus endpoint disabled: {} (set OTEL_EXPORTER_PROMETHEUS_PORT, or "
          "--prometheus=false)",
          e.what());
    }
  }
  if (options.otlp) {
    std::vector<std::string> warnings;
    otlp::OtlpMetricsConfig config = otlp::OtlpMetricsConfigFromEnv(otlp::ProcessEnv, &warnings);
    for (const auto& w : warnings) spdlog::warn("{}", w);
    if (config.enabled()) {
      otlp_ = std::make_unique<otlp::OtlpMetricsExporter>(config, producers);
      otlp_->Start();
    }
  }
}

MetricsOutputs::~MetricsOutputs() {
  if (store_) store_->SnapshotMetricsFrom(nullptr);  // waits for a collection in progress
  Shutdown();
}

void MetricsOutputs::Shutdown() { Shutdown(std::chrono::steady_clock::time_point::max()); }

void MetricsOutputs::Shutdown(std::chrono::steady_clock::time_point deadline) {
  // OTLP first: its final export reports the last values; then stop answering scrapes.
  if (otlp_) otlp_->Shutdown(deadline);
  if (prometheus_) prometheus_->Stop();
}

std::string MetricsOutputs::Destinations() const {
  std::string out;
  if (prometheus_) out += "Prometheus http://" + prometheus_->address() + "/metrics";
  if (otlp_) out += std::string(out.empty() ? "" : " and ") + "OTLP";
  return out;
}

void MetricsOutputs::Consume(const Span& span) {
  switch (span.family) {
    case SemanticFamily::kHttp:
      http_.Record(span);
      break;
    case SemanticFamily::kDb:
      db_.Record(span);
      break;
    case SemanticFamily::kRpc:
      rpc_.Record(span);
      break;
    default:
      // DNS lookups are measured from getaddrinfo events (RecordDnsLookup), not spans; the
      // other families have no metrics yet.
      break;
  }
}

void MetricsOutputs::RetireResource(const ResourcePtr& r) {
  http_.ForgetResource(r.get());
  db_.ForgetResource(r.get());
  rpc_.ForgetResource(r.get());
  const uint64_t now = UnixNowNs();
  tcp_connections_.RetireResource(r, now);
  dns_lookups_.RetireResource(r, now);
}

void MetricsOutputs::RecordRetransmit(const ResourcePtr& r, const Endpoint& local,
                                      const Endpoint& peer, uint16_t state) {
  tcp_.Record(r, local, peer, state, UnixNowNs());
}

CaptureCounters MetricsOutputs::PublishKernelStats(const BpfCapture& bpf) {
  CaptureCounters c = bpf.ReadCounters();
  for (int i = 0; i < OTELBPF_STAT_COUNT; ++i)
    stats_.kernel[i].store(c.values[i], std::memory_order_relaxed);
  for (int t = 0; t < OTELBPF_EVENT_TYPE_LIMIT; ++t)
    for (int lost = 0; lost < 2; ++lost)
      stats_.events_by_type[t][lost].store(c.by_type[t][lost], std::memory_order_relaxed);
  for (int o = 0; o < OTELBPF_PROP_COUNT; ++o)
    stats_.propagation[o].store(c.propagation[o], std::memory_order_relaxed);
  stats_.ringbuf_used = bpf.RingBufferUsedBytes();
  stats_.ringbuf_size = bpf.RingBufferSizeBytes();
  return c;
}

void MetricsOutputs::PublishUserStats(const ConnectionTracker& tracker, size_t processes,
                                      const SpanPipeline& pipeline) {
  const uint64_t spans = pipeline.spans();
  const AssemblyStats& a = pipeline.assembly_stats();
  stats_.linked_same_host = a.linked_same_host;
  stats_.linked_in_process = a.linked_in_process;
  stats_.linked_propagated = a.linked_propagated;
  stats_.joined_remote = a.joined_remote;
  stats_.new_traces = a.new_traces;
  stats_.ambiguous_in_process = a.ambiguous_in_process;
  stats_.released_early = a.released_early;
  stats_.sampled_out = a.sampled_out;
  stats_.spans_left_to_sdk = pipeline.spans_left_to_sdk();
  stats_.ignored_spans = a.ignored;
  const routes::RouteCounters r = pipeline.route_counters();
  stats_.ignored_measurements = r.ignored_measurements;
  stats_.route_templates_overflowed = r.templates_overflowed;
  const TrackerStats& t = tracker.stats();
  stats_.records = t.records;
  stats_.malformed = t.malformed_records;
  stats_.orphan_data = t.orphan_data;
  for (int p = 0; p < OTELBPF_PROTO_COUNT; ++p)
    stats_.exchanges_by_protocol[p] = t.exchanges_by_protocol[p];
  stats_.connections_abandoned = t.connections_abandoned;
  stats_.connections_switched = t.connections_switched;
  stats_.tls_connections = t.tls_connections;
  stats_.spans = spans;
  stats_.connections_tracked = tracker.connection_count();
  stats_.connections_rejected = t.connections_rejected;
  stats_.retransmits_unattributed = t.retransmits_unattributed;
  stats_.tcp_lifecycle_unattributed = t.tcp_lifecycle_unattributed;
  stats_.go_calls_unlinked = t.go_calls_unlinked;
  stats_.go_calls_by_started_goroutines = t.go_calls_by_started_goroutines;
  stats_.processes = processes;
}

namespace {

// The ParserCounters fields, as the `event` attribute of otelbpf.protocol.events names them.
constexpr std::pair<const char*, uint64_t ParserCounters::*> kParserEvents[] = {
    {"parse_error", &ParserCounters::parse_errors},
    {"unmatched_response", &ParserCounters::unmatched_responses},
    {"dropped_request", &ParserCounters::dropped_requests},
    {"unknown_statement", &ParserCounters::unknown_statements},
    {"unknown_header_field", &ParserCounters::unknown_header_fields}};
static_assert(std::size(kParserEvents) == std::extent_v<decltype(SelfStats::parser_events), 1>);

}  // namespace

void MetricsOutputs::PublishParserCounters(const ConnectionTracker& tracker) {
  const auto counters = tracker.ProtocolCounters();
  for (size_t p = 0; p < counters.size(); ++p) {
    for (size_t e = 0; e < std::size(kParserEvents); ++e)
      stats_.parser_events[p][e] = counters[p].*kParserEvents[e].second;
  }
}

void MetricsOutputs::RegisterSelfMetrics(
    const otlp::BatchSpanProcessor* span_exporter,
    std::function<kubernetes::KubernetesStats()> kubernetes_stats) {
  auto load = [](const std::atomic<uint64_t>& a) {
    return static_cast<int64_t>(a.load(std::memory_order_relaxed));
  };
  SelfStats& s = stats_;

  self_.RegisterInt({"otelbpf.capture.events", "Events the kernel side delivered to user space",
                     "{event}", MetricKind::kCounter},
                    [&s, load] { return load(s.kernel[OTELBPF_STAT_EVENTS_SENT]); });
  self_.Register({"otelbpf.capture.events.lost", "Events or syscalls lost in the kernel, by reason",
                  "{event}", MetricKind::kCounter},
                 [&s, load](std::vector<metrics::CallbackPoint>* out) {
                   for (const LossReason& l : kLossReasons)
                     out->push_back({{{"reason", std::string(l.reason)}}, load(s.kernel[l.stat])});
                 });
  self_.Register({"otelbpf.propagation.requests",
                  "Outgoing HTTP/1 request starts the traceparent injector looked at "
                  "(--propagate=headers), by what it did: injected, already_present, not_http, "
                  "headers_split, no_room; body_unknown and pipelined count connections it "
                  "stopped following",
                  "{request}", MetricKind::kCounter},
                 [&s, load](std::vector<metrics::CallbackPoint>* out) {
                   for (int o = 0; o < OTELBPF_PROP_COUNT; ++o)
                     out->push_back({{{"outcome", std::string(kPropagationOutcomes[o])}},
                                     load(s.propagation[o])});
                 });
  self_.Register({"otelbpf.capture.probe.events",
                  "Events per probe, delivered (outcome=sent) or lost to a full ring buffer",
                  "{event}", MetricKind::kCounter},
                 [&s, load](std::vector<metrics::CallbackPoint>* out) {
                   // Probes shared by several event types report their sum.
                   std::map<std::string, std::array<int64_t, 2>> by_probe;
                   for (uint32_t t = 0; t < OTELBPF_EVENT_TYPE_LIMIT; ++t) {
                     if (const char* probe = ProbeOfEventType(t)) {
                       by_probe[probe][0] += load(s.events_by_type[t][0]);
                       by_probe[probe][1] += load(s.events_by_type[t][1]);
                     }
                   }
                   for (const auto& [probe, n] : by_probe) {
                     out->push_back({{{"probe", probe}, {"outcome", std::string("sent")}}, n[0]});
                     out->push_back({{{"probe", probe}, {"outcome", std::string("lost")}}, n[1]});
                   }
                 });
  self_.RegisterInt(
      {"otelbpf.capture.records.invalid", "Ring-buffer records rejected by validation or orphaned",
       "{record}", MetricKind::kCounter},
      [&s, load] { return load(s.malformed) + load(s.orphan_data); });
  self_.RegisterInt(
      {"otelbpf.capture.truncated", "Payloads longer than --capture-bytes (counted, not lost)",
       "{event}", MetricKind::kCounter},
      [&s, load] { return load(s.kernel[OTELBPF_STAT_CAPTURE_TRUNCATED]); });
  self_.Register({"otelbpf.exchanges", "Request/response exchanges completed, by protocol",
                  "{exchange}", MetricKind::kCounter},
                 [&s, load](std::vector<metrics::CallbackPoint>* out) {
                   for (const Protocol* p : RegisteredProtocols())
                     out->push_back({{{"protocol", std::string(p->name)}},
                                     load(s.exchanges_by_protocol[p->id])});
                 });
  self_.Register({"otelbpf.protocol.events",
                  "What protocol parsers could not turn into spans: bytes skipped to find a "
                  "message (parse_error), responses with no request seen (unmatched_response: "
                  "e.g. a read already blocked when otelbpf started), requests forgotten "
                  "unanswered (dropped_request), statements prepared before otelbpf watched "
                  "(unknown_statement)",
                  "{event}", MetricKind::kCounter},
                 [&s, load](std::vector<metrics::CallbackPoint>* out) {
                   for (const Protocol* p : RegisteredProtocols()) {
                     for (size_t e = 0; e < std::size(kParserEvents); ++e)
                       out->push_back({{{"protocol", std::string(p->name)},
                                        {"event", std::string(kParserEvents[e].first)}},
                                       load(s.parser_events[p->id][e])});
                   }
                 });
  self_.RegisterInt({"otelbpf.connections.abandoned",
                     "Connections the kernel announced whose bytes their protocol's parser then "
                     "rejected (the kernel stops copying them)",
                     "{connection}", MetricKind::kCounter},
                    [&s, load] { return load(s.connections_abandoned); });
  self_.RegisterInt({"otelbpf.connections.switched",
                     "Connections whose bytes switched protocol mid-stream and were followed "
                     "(HTTP/1.1 upgraded to h2c)",
                     "{connection}", MetricKind::kCounter},
                    [&s, load] { return load(s.connections_switched); });
  self_.RegisterInt({"otelbpf.tls.connections",
                     "Connections whose syscalls turned out to carry TLS records (their plaintext "
                     "is read in the TLS library, or not at all: otelbpf.tls.unreadable_processes)",
                     "{connection}", MetricKind::kCounter},
                    [&s, load] { return load(s.tls_connections); });
  self_.RegisterInt({"otelbpf.tls.unreadable_processes",
                     "Processes seen speaking TLS through a library otelbpf does not read "
                     "(statically linked OpenSSL, Go crypto/tls, GnuTLS, ...): not traced",
                     "{process}", MetricKind::kCounter},
                    [&s, load] { return load(s.tls_unreadable_processes); });
  self_.RegisterInt(
      {"otelbpf.spans.created", "Spans created from exchanges", "{span}", MetricKind::kCounter},
      [&s, load] { return load(s.spans); });
  self_.RegisterInt({"otelbpf.connections.tracked", "Connections tracked now", "{connection}",
                     MetricKind::kUpDownCounter},
                    [&s, load] { return load(s.connections_tracked); });
  self_.RegisterInt(
      {"otelbpf.connections.rejected", "Connections not tracked: --max-connections reached",
       "{connection}", MetricKind::kCounter},
      [&s, load] { return load(s.connections_rejected); });
  self_.RegisterInt({"otelbpf.processes.instrumented", "Processes with HTTP traffic seen, now",
                     "{process}", MetricKind::kUpDownCounter},
                    [&s, load] { return load(s.processes); });
  self_.RegisterDouble(
      {"otelbpf.ringbuffer.fill", "Fraction of the kernel ring buffer awaiting user space", "1",
       MetricKind::kGauge},
      [&s] {
        const double size = static_cast<double>(s.ringbuf_size.load(std::memory_order_relaxed));
        return size > 0 ? static_cast<double>(s.ringbuf_used.load(std::memory_order_relaxed)) / size
                        : 0.0;
      });
  self_.RegisterInt({"otelbpf.tcp.retransmissions.unattributed",
                     "Retransmissions on sockets whose owner was never seen (no process to name)",
                     "{segment}", MetricKind::kCounter},
                    [&s, load] { return load(s.retransmits_unattributed); });
  self_.RegisterInt(
      {"otelbpf.metrics.overflow", "Measurements sent to an overflow series (cardinality limit)",
       "{measurement}", MetricKind::kCounter},
      [this] {
        return static_cast<int64_t>(http_.overflow_measurements() + db_.overflow_measurements() +
                                    rpc_.overflow_measurements() +
                                    tcp_.overflowed() + tcp_connections_.overflowed() +
                                    dns_lookups_.names_overflowed());
      });
  self_.RegisterInt({"otelbpf.go.started_goroutine_calls",
                     "CLIENT spans of Go programs made by a goroutine that a serving goroutine "
                     "started (or its descendants): offered to the request it was serving then",
                     "{span}", MetricKind::kCounter},
                    [&s, load] { return load(s.go_calls_by_started_goroutines); });
  self_.Register({"otelbpf.trace_assembly.spans",
                  "What trace assembly made of spans: parent found (same_host, in_process, "
                  "propagated, remote), trace started, left unlinked as ambiguous, released early at the "
                  "memory cap, sampled out, a Go program's call left without an in-process parent",
                  "{span}", MetricKind::kCounter},
                 [&s, load](std::vector<metrics::CallbackPoint>* out) {
                   const std::pair<const char*, const std::atomic<uint64_t>*> outcomes[] = {
                       {"linked_same_host", &s.linked_same_host},
                       {"linked_in_process", &s.linked_in_process},
                       {"linked_propagated", &s.linked_propagated},
                       {"joined_remote", &s.joined_remote},
                       {"new_trace", &s.new_traces},
                       {"ambiguous_in_process", &s.ambiguous_in_process},
                       {"released_early", &s.released_early},
                       {"sampled_out", &s.sampled_out},
                       {"unlinked_go_call", &s.go_calls_unlinked}};
                   for (const auto& [outcome, value] : outcomes)
                     out->push_back({{{"outcome", std::string(outcome)}}, load(*value)});
                 });
  self_.RegisterInt({"otelbpf.spans.left_to_sdk",
                     "Spans not emitted, nor counted in request metrics, because their process "
                     "exports its own traces (an OpenTelemetry SDK or agent; "
                     "--trace-sdk-processes=true emits them too)",
                     "{span}", MetricKind::kCounter},
                    [&s, load] { return load(s.spans_left_to_sdk); });
  self_.Register({"otelbpf.routes.ignored",
                  "Requests whose path matched routes.ignored_patterns, by the signal they were "
                  "left out of: traces (spans of sampled traces not exported: the matching span "
                  "and the spans linked below it) or metrics (measurements not recorded)",
                  "{request}", MetricKind::kCounter},
                 [&s, load](std::vector<metrics::CallbackPoint>* out) {
                   out->push_back({{{"signal", std::string("traces")}}, load(s.ignored_spans)});
                   out->push_back(
                       {{{"signal", std::string("metrics")}}, load(s.ignored_measurements)});
                 });
  self_.RegisterInt({"otelbpf.routes.overflow",
                     "Requests whose unmatched path template was replaced by /{overflow}: their "
                     "service already had routes.max_templates_per_service distinct templates",
                     "{request}", MetricKind::kCounter},
                    [&s, load] { return load(s.route_templates_overflowed); });
  self_.RegisterInt({"otelbpf.tcp.connections.unattributed",
                     "TCP connection closes not counted: their process had already exited",
                     "{connection}", MetricKind::kCounter},
                    [&s, load] { return load(s.tcp_lifecycle_unattributed); });

  if (kubernetes_stats) {
    self_.Register(
        {"otelbpf.kubernetes.watch",
         "The Kubernetes pod watch, by event: lists, relists (410 Gone), reconnects, errors, "
         "watch events and bookmarks applied, objects that could not be read, pods dropped at "
         "the cache limit, owner (ReplicaSet, Job) lookups and their failures",
         "{event}", MetricKind::kCounter},
        [kubernetes_stats](std::vector<metrics::CallbackPoint>* out) {
          const kubernetes::KubernetesStats st = kubernetes_stats();
          const std::pair<const char*, uint64_t> events[] = {
              {"list", st.lists},           {"relist", st.relists},
              {"reconnect", st.reconnects}, {"error", st.watch_errors},
              {"event", st.events},         {"bookmark", st.bookmarks},
              {"bad_object", st.bad_objects}, {"pod_dropped", st.pods_dropped},
              {"owner_lookup", st.owner_lookups},
              {"owner_lookup_failure", st.owner_lookup_failures}};
          for (const auto& [event, value] : events)
            out->push_back({{{"event", std::string(event)}}, static_cast<int64_t>(value)});
        });
    self_.RegisterInt({"otelbpf.kubernetes.pods", "Pods of this node known to otelbpf", "{pod}",
                       MetricKind::kGauge},
                      [kubernetes_stats] { return static_cast<int64_t>(kubernetes_stats().pods); });
  }
  if (span_exporter) {
    self_.Register({"otelbpf.spans.exported", "Spans handed to the OTLP trace exporter, by outcome",
                    "{span}", MetricKind::kCounter},
                   [span_exporter](std::vector<metrics::CallbackPoint>* out) {
                     otlp::OtlpExportStats st = span_exporter->stats();
                     out->push_back({{{"outcome", std::string("exported")}},
                                     static_cast<int64_t>(st.spans_exported)});
                     out->push_back({{{"outcome", std::string("dropped_queue_full")}},
                                     static_cast<int64_t>(st.spans_dropped_queue_full)});
                     out->push_back({{{"outcome", std::string("dropped_export_failed")}},
                                     static_cast<int64_t>(st.spans_dropped_export_failed)});
                   });
    self_.RegisterInt(
        {"otelbpf.export.errors", "Failed OTLP trace export requests", "{request}",
         MetricKind::kCounter},
        [span_exporter] { return static_cast<int64_t>(span_exporter->stats().export_failures); });
  }
}

void MetricsOutputs::ObserveStore(store::SpanStore* store) {
  store_ = store;
  store->SnapshotMetricsFrom([this](uint64_t now_unix_nano) {
    metrics::MetricsSnapshot snapshot;
    for (metrics::MetricProducer* producer : producers_) producer->Collect(now_unix_nano, &snapshot);
    return snapshot;
  });
  self_.Register({"otelbpf.store.spans",
                  "Spans handed to the embedded store, by outcome: written, sampled_out (whole "
                  "traces left out above --store-max-spans-per-second), over_budget (a burst cut "
                  "off within one second), dropped_queue_full (the writer fell behind), "
                  "dropped_write_failed (the file could not be written)",
                  "{span}", MetricKind::kCounter},
                 [store](std::vector<metrics::CallbackPoint>* out) {
                   const store::StoreStats st = store->stats();
                   const std::pair<const char*, uint64_t> outcomes[] = {
                       {"written", st.written},
                       {"sampled_out", st.sampled_out},
                       {"over_budget", st.over_budget},
                       {"dropped_queue_full", st.dropped_queue_full},
                       {"dropped_write_failed", st.dropped_write_failed}};
                   for (const auto& [outcome, value] : outcomes)
                     out->push_back({{{"outcome", std::string(outcome)}},
                                     static_cast<int64_t>(value)});
                 });
  self_.Register({"otelbpf.store.evicted",
                  "Spans removed from the embedded store to keep it within its bounds, by reason: "
                  "age (--store-retention) or size (--store-max-mb)",
                  "{span}", MetricKind::kCounter},
                 [store](std::vector<metrics::CallbackPoint>* out) {
                   const store::StoreStats st = store->stats();
                   out->push_back({{{"reason", std::string("age")}},
                                   static_cast<int64_t>(st.evicted_age)});
                   out->push_back({{{"reason", std::string("size")}},
                                   static_cast<int64_t>(st.evicted_size)});
                 });
  self_.Register({"otelbpf.store.net_events",
                  "TCP connection, retransmission and DNS lookup events handed to the embedded "
                  "store, by outcome: written, dropped (beyond its per-second cap, a full queue "
                  "or a failed write)",
                  "{event}", MetricKind::kCounter},
                 [store](std::vector<metrics::CallbackPoint>* out) {
                   const store::StoreStats st = store->stats();
                   out->push_back({{{"outcome", std::string("written")}},
                                   static_cast<int64_t>(st.net_events_written)});
                   out->push_back({{{"outcome", std::string("dropped")}},
                                   static_cast<int64_t>(st.net_events_dropped)});
                 });
  self_.RegisterInt({"otelbpf.store.size", "Bytes of the store's pages in use (not its WAL)", "By",
                     MetricKind::kGauge},
                    [store] { return static_cast<int64_t>(store->stats().bytes); });
}

}  // namespace otelbpf
