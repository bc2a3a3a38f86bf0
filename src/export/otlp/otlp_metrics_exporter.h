// The OTLP metrics exporter: a periodic exporting reader over metric producers, as the
// OpenTelemetry SDK's PeriodicExportingMetricReader + OTLP metric exporter pair.
//
//   auto config = otlp::OtlpMetricsConfigFromEnv(otlp::ProcessEnv, &warnings);
//   if (config.enabled()) {
//     auto exporter = std::make_unique<otlp::OtlpMetricsExporter>(
//         config, std::vector<metrics::MetricProducer*>{&red_metrics, &conn_metrics});
//     exporter->Start();
//     ...
//     exporter->Shutdown();   // before the producers go away
//   }
//
// Every export_interval the export thread collects all producers into one snapshot (each
// Collect locks its producer only briefly; the capture thread never waits on export I/O),
// converts counters and histograms to delta when the temporality preference asks for it
// (metrics_delta_converter.h), encodes one ExportMetricsServiceRequest and sends it: HTTP POST
// to the metrics URL, or gRPC MetricsService/Export. Retryable failures are retried with
// jittered exponential backoff (or the server's Retry-After) within export_timeout; then the
// collection is given up. Nothing is lost by that: cumulative values carry over by nature,
// and delta baselines only advance when an export succeeded. A snapshot without points is
// not sent.
//
// A collection that overruns the interval delays the next one rather than queueing more: at
// most one export is in flight, and memory stays at one snapshot.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <random>
#include <string_view>
#include <thread>
#include <vector>

#include "export/otlp/metrics_delta_converter.h"
#include "export/otlp/metrics_encoder.h"
#include "export/otlp/otlp_metrics_config.h"
#include "export/otlp/otlp_transport.h"
#include "export/otlp/retry_policy.h"
#include "metrics/metric_data.h"

namespace otelbpf::otlp {

struct OtlpMetricsExportStats {
  uint64_t collections = 0;      // snapshots taken: periodic ones plus the final one
  uint64_t exports = 0;          // collections the collector accepted
  uint64_t export_failures = 0;  // collections given up (not retryable, out of attempts/time)
  uint64_t export_requests = 0;  // Send calls, retries included
  uint64_t export_retries = 0;   // Send calls that repeated a failed one
  uint64_t points_exported = 0;  // data points in accepted collections
  uint64_t points_failed = 0;    // data points in collections given up
};

// The transport selected by config.protocol, addressed to the metrics URL or gRPC method. The
// per-request timeout is capped at export_timeout, which bounds a whole export.
std::unique_ptr<OtlpTransport> MakeOtlpMetricsTransport(const OtlpMetricsConfig& config);

class OtlpMetricsExporter {
 public:
  // `producers` must stay valid until Shutdown has returned.
  OtlpMetricsExporter(const OtlpMetricsConfig& config,
                      std::vector<metrics::MetricProducer*> producers);
  // With a given transport (tests, or a custom destination).
  OtlpMetricsExporter(std::unique_ptr<OtlpTransport> transport, const OtlpMetricsConfig& config,
                      std::vector<metrics::MetricProducer*> producers, RetryPolicy retry = {});
  ~OtlpMetricsExporter();  // calls Shutdown()
  OtlpMetricsExporter(const OtlpMetricsExporter&) = delete;
  OtlpMetricsExporter& operator=(const OtlpMetricsExporter&) = delete;

  // Starts the export thread; the first collection is one interval later. Idempotent; does
  // nothing after Shutdown.
  void Start();

  // Idempotent. Stops the periodic exports (abandoning the backoff of a failing one), then
  // collects and exports one last time (one attempt, not retried), and joins the thread. Takes
  // at most about two request timeouts (the one in flight, the final one). Without Start, only
  // the final export happens (on the calling thread).
  void Shutdown();
  // The same, giving up at `deadline` at the latest (a stop budget shared with other outputs):
  // the final export is not attempted once it has passed, and its points count as failed.
  void Shutdown(std::chrono::steady_clock::time_point deadline);

  // A consistent-enough snapshot (each counter is read atomically on its own).
  OtlpMetricsExportStats stats() const;

 private:
  using Clock = std::chrono::steady_clock;

  void Run();
  enum class CycleKind {
    kScheduled,  // retried as RetryPolicy allows until the deadline; a Shutdown cuts it short
    kFinal,      // at Shutdown: one attempt, none once the deadline has passed (the orchestrator
                 // waiting on our exit gains nothing from retries against a failing collector)
  };
  // One collection: collect, convert, encode, send.
  void ExportCycle(Clock::time_point deadline, CycleKind kind);
  // Sends `body` until accepted or out of attempts/time; true when accepted.
  bool Send(std::string_view body, Clock::time_point deadline, CycleKind kind);

  const std::unique_ptr<OtlpTransport> transport_;
  const std::vector<metrics::MetricProducer*> producers_;
  const std::chrono::milliseconds interval_;
  const std::chrono::milliseconds export_timeout_;
  const TemporalityPreference temporality_;
  const RetryPolicy retry_;

  std::mutex mu_;
  std::condition_variable wake_;
  bool started_ = false;   // guarded by mu_
  bool stopping_ = false;  // guarded by mu_
  Clock::time_point shutdown_deadline_;

  // Export thread only (or Shutdown's caller when never started).
  metrics::MetricsSnapshot snapshot_;
  DeltaConverter converter_;
  MetricsRequestEncoder encoder_;
  std::minstd_rand jitter_rng_;
  bool failing_ = false;  // log only transitions, not every failure

  struct AtomicStats {
    std::atomic<uint64_t> collections{0};
    std::atomic<uint64_t> exports{0};
    std::atomic<uint64_t> export_failures{0};
    std::atomic<uint64_t> export_requests{0};
    std::atomic<uint64_t> export_retries{0};
    std::atomic<uint64_t> points_exported{0};
    std::atomic<uint64_t> points_failed{0};
  } stats_;

  std::once_flag shutdown_once_;
  std::thread thread_;
};

}  // namespace otelbpf::otlp
