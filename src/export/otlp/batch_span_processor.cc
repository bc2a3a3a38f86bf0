#include "export/otlp/batch_span_processor.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

namespace otelbpf::otlp {
namespace {

// The export thread moves spans out of the ring this many at a time, releasing the mutex in
// between, so the capture thread never waits behind a whole batch (~40 ns per span moved).
constexpr size_t kTakeChunk = 64;

// Queue-full drops are reported at most this often (they also show in stats()).
constexpr std::chrono::seconds kDropLogInterval{10};

}  // namespace

BatchSpanProcessor::BatchSpanProcessor(std::unique_ptr<OtlpTransport> transport, BatchConfig config,
                                       RetryPolicy retry)
    : transport_(std::move(transport)),
      config_([&] {
        // Guard against a hand-built config the env parser would have rejected.
        config.max_queue_size = std::max<size_t>(config.max_queue_size, 1);
        config.max_export_batch_size =
            std::clamp<size_t>(config.max_export_batch_size, 1, config.max_queue_size);
        return config;
      }()),
      retry_(retry),
      ring_(config_.max_queue_size),
      batch_(config_.max_export_batch_size),
      jitter_rng_(std::random_device{}()),
      thread_([this] { Run(); }) {}

BatchSpanProcessor::~BatchSpanProcessor() { Shutdown(); }

template <typename Store>
void BatchSpanProcessor::Enqueue(Store store) {
  bool batch_ready = false;
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    if (count_ == ring_.size()) {
      stats_.spans_dropped_queue_full.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    store(ring_[(head_ + count_) % ring_.size()]);
    ++count_;
    batch_ready = count_ == config_.max_export_batch_size;
  }
  if (batch_ready) wake_.notify_one();
}

void BatchSpanProcessor::Consume(const Span& span) {
  // A copy; the pipeline hands its last sink the span itself (ConsumeOwned) instead.
  Enqueue([&span](Span& slot) { slot = span; });
}

void BatchSpanProcessor::ConsumeOwned(Span&& span) {
  // The slot's previous (exported) span goes back to the caller and is freed outside the lock.
  Enqueue([&span](Span& slot) { std::swap(slot, span); });
}

void BatchSpanProcessor::Shutdown() { Shutdown(Clock::time_point::max()); }

void BatchSpanProcessor::Shutdown(Clock::time_point deadline) {
  std::call_once(shutdown_once_, [this, deadline] {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
      shutdown_deadline_ = std::min(
          deadline,
          Clock::now() + std::min<Clock::duration>(config_.export_timeout, kShutdownFlushBudget));
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
  });
}

OtlpExportStats BatchSpanProcessor::stats() const {
  auto get = [](const std::atomic<uint64_t>& a) { return a.load(std::memory_order_relaxed); };
  return {get(stats_.spans_exported),
          get(stats_.spans_dropped_queue_full),
          get(stats_.spans_dropped_export_failed),
          get(stats_.export_requests),
          get(stats_.export_failures),
          get(stats_.export_retries)};
}

void BatchSpanProcessor::Run() {
  std::unique_lock lock(mu_);
  auto next_export = Clock::now() + config_.schedule_delay;
  while (!stopping_) {
    wake_.wait_until(lock, next_export,
                     [this] { return stopping_ || count_ >= config_.max_export_batch_size; });
    if (stopping_) break;
    lock.unlock();
    size_t n = TakeBatch();
    if (n > 0) ExportBatch(n, Clock::now() + config_.export_timeout);
    LogDropsIfAny();
    next_export = Clock::now() + config_.schedule_delay;
    lock.lock();
  }

  // Shutdown: flush what is queued within the shutdown deadline, one attempt per batch.
  while (count_ > 0 && Clock::now() < shutdown_deadline_) {
    lock.unlock();
    size_t n = TakeBatch();
    ExportBatch(n, shutdown_deadline_, /*single_attempt=*/true);
    lock.lock();
  }
  stats_.spans_dropped_export_failed.fetch_add(count_, std::memory_order_relaxed);
  count_ = 0;
  lock.unlock();
  LogDropsIfAny();
}

size_t BatchSpanProcessor::TakeBatch() {
  size_t taken = 0;
  while (taken < batch_.size()) {
    std::lock_guard lock(mu_);
    size_t chunk = std::min({count_, batch_.size() - taken, kTakeChunk});
    if (chunk == 0) break;
    for (size_t i = 0; i < chunk; ++i) {
      // Swap rather than move: the ring slot gets back the buffers of an already exported span.
      std::swap(batch_[taken++], ring_[head_]);
      head_ = (head_ + 1) % ring_.size();
    }
    count_ -= chunk;
  }
  return taken;
}

void BatchSpanProcessor::ReleaseContents(size_t n) {
  for (size_t i = 0; i < n; ++i) batch_[i] = Span{};
}

void BatchSpanProcessor::ExportBatch(size_t n, Clock::time_point deadline, bool single_attempt) {
  batch_ptrs_.clear();
  for (size_t i = 0; i < n; ++i) batch_ptrs_.push_back(&batch_[i]);
  std::string_view body = encoder_.Encode(batch_ptrs_);  // encoded once, resent on retries
  ReleaseContents(n);

  for (int attempt = 1;; ++attempt) {
    stats_.export_requests.fetch_add(1, std::memory_order_relaxed);
    if (attempt > 1) stats_.export_retries.fetch_add(1, std::memory_order_relaxed);
    ExportResult result = transport_->Send(body);
    if (result.ok) {
      stats_.spans_exported.fetch_add(n, std::memory_order_relaxed);
      if (failing_) spdlog::info("OTLP trace export recovered");
      failing_ = false;
      if (!result.message.empty()) spdlog::warn("OTLP trace export: {}", result.message);
      return;
    }
    stats_.export_failures.fetch_add(1, std::memory_order_relaxed);
    if (!failing_) {
      spdlog::warn("OTLP trace export failed ({}): {}",
                   result.retryable ? "will retry" : "not retryable", result.message);
      failing_ = true;
    }
    if (single_attempt || !result.retryable || attempt >= retry_.max_attempts) break;
    auto delay = result.retry_after_ms > 0 ? std::chrono::milliseconds(result.retry_after_ms)
                                           : JitteredBackoff(retry_, attempt, jitter_rng_);
    if (Clock::now() + delay >= deadline) break;
    // Wait for the backoff, but give up on this batch at once when Shutdown starts: the final
    // flush then sends what is still queued.
    std::unique_lock lock(mu_);
    if (wake_.wait_for(lock, delay, [this] { return stopping_; })) break;
  }
  stats_.spans_dropped_export_failed.fetch_add(n, std::memory_order_relaxed);
}

void BatchSpanProcessor::LogDropsIfAny() {
  uint64_t dropped = stats_.spans_dropped_queue_full.load(std::memory_order_relaxed);
  auto now = Clock::now();
  if (dropped == drops_logged_ || now - last_drop_log_ < kDropLogInterval) return;
  spdlog::warn("OTLP export queue full (OTEL_BSP_MAX_QUEUE_SIZE={}): dropped {} spans",
               config_.max_queue_size, dropped - drops_logged_);
  drops_logged_ = dropped;
  last_drop_log_ = now;
}

}  // namespace otelbpf::otlp
