// The OTLP span sink: queues spans from the capture thread and exports them in batches from
// its own thread, as the OpenTelemetry BatchSpanProcessor does (OTEL_BSP_* settings).
//
// Capture side (ConsumeOwned, what the agent uses): swaps the span into a fixed ring of
// `max_queue_size` slots under a mutex held only for that swap; no I/O, no copy. The slot it
// gets back is empty: the export thread frees each span's storage once encoded, so an idle
// queue holds no attributes. (Consume copies the span into the slot.) When the ring is full
// the span is dropped and counted.
//
// Export side (one thread): exports a batch of at most `max_export_batch_size` spans when that
// many are queued or `schedule_delay` has passed, whichever is first. Retryable failures are
// retried with jittered exponential backoff (or the server's Retry-After), at most
// RetryPolicy::max_attempts times and never past `export_timeout` for the batch; then the batch
// is dropped and counted. While a batch is in flight new spans wait in the ring, so memory
// never grows beyond the queue.
//
// Shutdown: stops intake, exports what is queued (one attempt per batch) within
// min(`export_timeout`, kShutdownFlushBudget) or until the caller's deadline, joins the thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "export/otlp/otlp_config.h"
#include "export/otlp/otlp_transport.h"
#include "export/otlp/retry_policy.h"
#include "export/otlp/trace_encoder.h"
#include "trace/span_sink.h"

namespace otelbpf::otlp {

// Self-metrics. Every span handed to Consume ends up in exactly one of spans_exported,
// spans_dropped_queue_full or spans_dropped_export_failed (except spans offered after
// Shutdown, which are ignored).
struct OtlpExportStats {
  uint64_t spans_exported = 0;
  uint64_t spans_dropped_queue_full = 0;     // ring full when the span arrived
  uint64_t spans_dropped_export_failed = 0;  // batch failed for good, or unsent at shutdown
  uint64_t export_requests = 0;              // Send calls, retries included
  uint64_t export_failures = 0;              // Send calls that failed, retryable or not
  uint64_t export_retries = 0;               // Send calls that repeated a failed one
};

class BatchSpanProcessor final : public SpanSink {
 public:
  BatchSpanProcessor(std::unique_ptr<OtlpTransport> transport, BatchConfig config,
                     RetryPolicy retry = {});
  ~BatchSpanProcessor() override;  // calls Shutdown()
  BatchSpanProcessor(const BatchSpanProcessor&) = delete;
  BatchSpanProcessor& operator=(const BatchSpanProcessor&) = delete;

  void Consume(const Span& span) override;
  // Swaps the span into its slot: no copy.
  void ConsumeOwned(Span&& span) override;
  void Shutdown() override;  // idempotent
  // The same, giving up at `deadline` at the latest (a stop budget shared with other outputs).
  void Shutdown(std::chrono::steady_clock::time_point deadline);

  // A consistent-enough snapshot (each counter is read atomically on its own).
  OtlpExportStats stats() const;

 private:
  // Puts one span into the next free slot with `store(slot)` under the lock, or counts it
  // dropped when the queue is full.
  template <typename Store>
  void Enqueue(Store store);
  using Clock = std::chrono::steady_clock;

  void Run();
  // Moves up to one batch from the ring into batch_; returns how many. Takes mu_ itself.
  size_t TakeBatch();
  // Frees what batch_[0..n) own once they are encoded, here, where encoding just read them:
  // the capture thread gets these slots back by swapping (ConsumeOwned) and freed them there,
  // long after they left its cache (7 % of the agent's CPU under load).
  void ReleaseContents(size_t n);
  // Encodes batch_[0..n) and sends it, retrying as allowed until `deadline`.
  void ExportBatch(size_t n, Clock::time_point deadline, bool single_attempt = false);
  void LogDropsIfAny();

  const std::unique_ptr<OtlpTransport> transport_;
  const BatchConfig config_;
  const RetryPolicy retry_;

  // Ring buffer of spans waiting for export, guarded by mu_.
  std::mutex mu_;
  std::condition_variable wake_;
  std::vector<Span> ring_;
  size_t head_ = 0;   // oldest queued span
  size_t count_ = 0;  // queued spans
  bool stopping_ = false;
  Clock::time_point shutdown_deadline_;

  // Export thread only.
  std::vector<Span> batch_;
  std::vector<const Span*> batch_ptrs_;
  TraceRequestEncoder encoder_;
  std::minstd_rand jitter_rng_;
  bool failing_ = false;  // last batch failed: log only transitions, not every failure
  uint64_t drops_logged_ = 0;
  Clock::time_point last_drop_log_;

  struct AtomicStats {
    std::atomic<uint64_t> spans_exported{0};
    std::atomic<uint64_t> spans_dropped_queue_full{0};
    std::atomic<uint64_t> spans_dropped_export_failed{0};
    std::atomic<uint64_t> export_requests{0};
    std::atomic<uint64_t> export_failures{0};
    std::atomic<uint64_t> export_retries{0};
  } stats_;

  std::once_flag shutdown_once_;
  std::thread thread_;  // last: starts after every member above is initialised
};

}  // namespace otelbpf::otlp
