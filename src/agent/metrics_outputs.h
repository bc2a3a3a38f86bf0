// Everything metrics in `otelbpf run`: the producers (HTTP, database and RPC RED metrics, TCP
// retransmissions, otelbpf's self-metrics) and where they go (Prometheus endpoint, OTLP metrics).
//
// Threads: Record* and PublishSelfStats are called on the capture thread; exporters collect on
// their own threads. Self-metrics are read from atomics the capture thread publishes once a
// second, so exporter threads never touch capture-thread state.
#pragma once

#include <functional>

#include "kubernetes/kubernetes_metadata.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "capture/bpf_capture.h"
#include "capture/connection_tracker.h"
#include "export/otlp/batch_span_processor.h"
#include "export/otlp/otlp_metrics_exporter.h"
#include "export/prometheus/prometheus_server.h"
#include "store/span_store.h"
#include "trace/span_sink.h"
#include "metrics/attribute_selection.h"
#include "metrics/callback_metrics.h"
#include "metrics/db_metrics.h"
#include "metrics/dns_lookup_metrics.h"
#include "metrics/http_metrics.h"
#include "metrics/rpc_metrics.h"
#include "metrics/tcp_connection_metrics.h"
#include "metrics/tcp_retransmit_metrics.h"
#include "assembly/span_pipeline.h"

namespace otelbpf {

uint64_t UnixNowNs();

struct MetricsOutputOptions {
  bool prometheus = true;  // --prometheus / OTEL_METRICS_EXPORTER
  prometheus::PrometheusConfig prometheus_config;
  bool otlp = true;  // when an OTLP metrics endpoint is configured
  // The Kubernetes pod watch's counters (kubernetes/kubernetes_metadata.h), when it runs;
  // called from the exporters' threads.
  std::function<kubernetes::KubernetesStats()> kubernetes_stats;
  // attributes.select, applied to every producer before any output sees its points.
  metrics::AttributeSelections attribute_select;
};

// Counters the capture thread copies out once a second for the self-metrics.
struct SelfStats {
  std::atomic<uint64_t> kernel[OTELBPF_STAT_COUNT] = {};
  std::atomic<uint64_t> events_by_type[OTELBPF_EVENT_TYPE_LIMIT][2] = {};  // sent, lost
  std::atomic<uint64_t> propagation[OTELBPF_PROP_COUNT] = {};  // --propagate=headers outcomes
  std::atomic<uint64_t> records{0}, malformed{0}, orphan_data{0}, spans{0};
  std::atomic<uint64_t> exchanges_by_protocol[OTELBPF_PROTO_COUNT] = {};
  // ParserCounters by protocol: parse_error, unmatched_response, dropped_request,
  // unknown_statement (the order of kParserEvents in metrics_outputs.cc).
  std::atomic<uint64_t> parser_events[OTELBPF_PROTO_COUNT][5] = {};
  std::atomic<uint64_t> connections_abandoned{0};  // their parser found another protocol
  std::atomic<uint64_t> connections_switched{0};   // upgraded to another protocol (h2c)
  std::atomic<uint64_t> connections_tracked{0}, connections_rejected{0}, processes{0};
  std::atomic<uint64_t> ringbuf_used{0}, ringbuf_size{0};
  std::atomic<uint64_t> retransmits_unattributed{0};
  std::atomic<uint64_t> tcp_lifecycle_unattributed{0};
  std::atomic<uint64_t> go_calls_unlinked{0};
  std::atomic<uint64_t> go_calls_by_started_goroutines{0};
  std::atomic<uint64_t> tls_connections{0}, tls_unreadable_processes{0};
  // Trace assembly (assembly/trace_assembler.h), by what became of each span.
  std::atomic<uint64_t> linked_same_host{0}, linked_in_process{0}, linked_propagated{0},
      joined_remote{0},
      new_traces{0}, ambiguous_in_process{0}, released_early{0}, sampled_out{0};
  std::atomic<uint64_t> spans_left_to_sdk{0};  // processes that export their own traces
  // Routes (routes/route_decorator.h): spans not exported and measurements not recorded because
  // their path matched routes.ignored_patterns; unmatched values past the per-service cap.
  std::atomic<uint64_t> ignored_spans{0}, ignored_measurements{0}, route_templates_overflowed{0};
};

class MetricsOutputs : public SpanSink {
 public:
  // `self_resource` names otelbpf itself. `span_exporter` may be null (no OTLP traces).
  MetricsOutputs(const MetricsOutputOptions& options, ResourcePtr self_resource,
                 const otlp::BatchSpanProcessor* span_exporter);
  ~MetricsOutputs() override;

  // SpanSink: a span feeds the RED metrics of its semantic family, so no producer has to
  // inspect every span to find its own.
  void Consume(const Span& span) override;
  void Shutdown() override;
  // The same, giving up on the final OTLP export at `deadline` (a stop budget shared with the
  // span exporter).
  void Shutdown(std::chrono::steady_clock::time_point deadline);
  // Self-metrics of the embedded store (otelbpf.store.*), read from its counters, and the
  // store's metric snapshots, collected from every producer here; `store` must outlive the
  // exporters.
  void ObserveStore(store::SpanStore* store);

  void RecordRetransmit(const ResourcePtr& r, const Endpoint& local, const Endpoint& peer,
                        uint16_t state);
  void RecordTcpConnection(const TcpConnectionEvent& e) {
    tcp_connections_.Record(e, UnixNowNs());
  }
  void RecordDnsLookup(const DnsLookupEvent& e) { dns_lookups_.Record(e, UnixNowNs()); }
  void RetireResource(const ResourcePtr& r);
  // User-space counters: a few atomic stores, called after every ring-buffer drain so the
  // self-metrics agree with the exporter's live counts.
  void PublishUserStats(const ConnectionTracker& tracker, size_t processes,
                        const SpanPipeline& pipeline);
  // The parsers' counters (ConnectionTracker::ProtocolCounters): walks every connection, so
  // once a second and at stop, not per batch of records.
  void PublishParserCounters(const ConnectionTracker& tracker);
  // Processes seen speaking TLS through a library otelbpf does not read (LibraryProbes).
  void PublishTlsUnreadable(uint64_t processes) { stats_.tls_unreadable_processes = processes; }
  // Kernel counters and ring fill cost syscalls: called once a second, and at stop. Returns the
  // counters it read, so the caller need not read them again.
  CaptureCounters PublishKernelStats(const BpfCapture& bpf);

  // Where metrics go, for the start-up line ("" when nowhere).
  std::string Destinations() const;

 private:
  void RegisterSelfMetrics(const otlp::BatchSpanProcessor* span_exporter,
                           std::function<kubernetes::KubernetesStats()> kubernetes_stats);

  metrics::HttpMetrics http_;
  metrics::DbMetrics db_;
  metrics::RpcMetrics rpc_;
  metrics::TcpRetransmitMetrics tcp_;
  metrics::TcpConnectionMetrics tcp_connections_;
  metrics::DnsLookupMetrics dns_lookups_;
  metrics::CallbackMetrics self_;
  SelfStats stats_;
  metrics::AttributeSelections attribute_select_;
  std::vector<std::unique_ptr<metrics::SelectingProducer>> selecting_;  // with attribute_select_
  std::vector<metrics::MetricProducer*> producers_;  // every one above, as the outputs see them
  store::SpanStore* store_ = nullptr;  // collects snapshots from producers_ until we go
  std::unique_ptr<prometheus::PrometheusServer> prometheus_;
  std::unique_ptr<otlp::OtlpMetricsExporter> otlp_;
};

}  // namespace otelbpf
