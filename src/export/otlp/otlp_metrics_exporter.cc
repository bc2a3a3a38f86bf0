#include "export/otlp/otlp_metrics_exporter.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

#include "export/otlp/grpc_transport.h"
#include "export/otlp/http_transport.h"
#include "export/otlp/metrics_export_response.h"

namespace otelbpf::otlp {
namespace {

constexpr char kMetricsExportMethod[] =
    "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export";

uint64_t NowUnixNano() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

}  // namespace

std::unique_ptr<OtlpTransport> MakeOtlpMetricsTransport(const OtlpMetricsConfig& config) {
  auto timeout = std::min(config.timeout, config.export_timeout);
  if (config.protocol == OtlpProtocol::kGrpc) {
    GrpcTransportOptions options{config.endpoint, config.insecure, config.headers, timeout,
                                 config.compression};
    options.method = kMetricsExportMethod;
    options.describe_response = &DescribeMetricsPartialSuccess;
    return std::make_unique<GrpcTransport>(std::move(options));
  }
  HttpTransportOptions options{config.endpoint, config.headers, timeout, config.compression};
  options.describe_response = &DescribeMetricsPartialSuccess;
  return std::make_unique<HttpTransport>(std::move(options));
}

OtlpMetricsExporter::OtlpMetricsExporter(const OtlpMetricsConfig& config,
                                         std::vector<metrics::MetricProducer*> producers)
    : OtlpMetricsExporter(MakeOtlpMetricsTransport(config), config, std::move(producers)) {}

OtlpMetricsExporter::OtlpMetricsExporter(std::unique_ptr<OtlpTransport> transport,
                                         const OtlpMetricsConfig& config,
                                         std::vector<metrics::MetricProducer*> producers,
                                         RetryPolicy retry)
    : transport_(std::move(transport)),
      producers_(std::move(producers)),
      // Guard against a hand-built config the env parser would have rejected (a zero interval
      // would spin).
      interval_(std::max(config.export_interval, std::chrono::milliseconds(1))),
      export_timeout_(std::max(config.export_timeout, std::chrono::milliseconds(1))),
      temporality_(config.temporality),
      retry_(retry),
      converter_(config.temporality),
      jitter_rng_(std::random_device{}()) {}

OtlpMetricsExporter::~OtlpMetricsExporter() { Shutdown(); }

void OtlpMetricsExporter::Start() {
  std::lock_guard lock(mu_);
  if (started_ || stopping_) return;
  started_ = true;
  thread_ = std::thread([this] { Run(); });
}

void OtlpMetricsExporter::Shutdown() { Shutdown(Clock::time_point::max()); }

void OtlpMetricsExporter::Shutdown(Clock::time_point deadline) {
  std::call_once(shutdown_once_, [this, deadline] {
    bool started;
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
      const auto own_budget = std::min<Clock::duration>(export_timeout_, kShutdownFlushBudget);
      shutdown_deadline_ = std::min(deadline, Clock::now() + own_budget);
      started = started_;
    }
    wake_.notify_all();
    if (started) {
      thread_.join();  // the thread runs the final export
    } else {
      ExportCycle(shutdown_deadline_, CycleKind::kFinal);
    }
  });
}

OtlpMetricsExportStats OtlpMetricsExporter::stats() const {
  auto get = [](const std::atomic<uint64_t>& a) { return a.load(std::memory_order_relaxed); };
  return {get(stats_.collections),     get(stats_.exports),        get(stats_.export_failures),
          get(stats_.export_requests), get(stats_.export_retries), get(stats_.points_exported),
          get(stats_.points_failed)};
}

void OtlpMetricsExporter::Run() {
  std::unique_lock lock(mu_);
  auto next = Clock::now() + interval_;
  while (!stopping_) {
    wake_.wait_until(lock, next, [this] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    ExportCycle(Clock::now() + export_timeout_, CycleKind::kScheduled);
    lock.lock();
    // A fixed cadence, measured from the schedule rather than from when the export ended; an
    // export that overran skips the missed slots instead of bursting to catch up.
    next += interval_;
    auto now = Clock::now();
    if (next <= now) next = now + interval_;
  }
  auto deadline = shutdown_deadline_;
  lock.unlock();
  ExportCycle(deadline, CycleKind::kFinal);
}

void OtlpMetricsExporter::ExportCycle(Clock::time_point deadline, CycleKind kind) {
  snapshot_.clear();
  uint64_t now = NowUnixNano();
  for (auto* producer : producers_) producer->Collect(now, &snapshot_);
  stats_.collections.fetch_add(1, std::memory_order_relaxed);

  bool delta = temporality_ != TemporalityPreference::kCumulative;
  if (delta) converter_.Convert(&snapshot_);
  std::string_view body = encoder_.Encode(snapshot_, temporality_);
  size_t points = encoder_.points();
  bool accepted = points == 0 || Send(body, deadline, kind);
  if (delta) converter_.Commit(accepted);
  if (points != 0) {
    (accepted ? stats_.exports : stats_.export_failures).fetch_add(1, std::memory_order_relaxed);
    (accepted ? stats_.points_exported : stats_.points_failed)
        .fetch_add(points, std::memory_order_relaxed);
  }
  snapshot_.clear();  // do not keep exited processes' resources alive until the next cycle
}

bool OtlpMetricsExporter::Send(std::string_view body, Clock::time_point deadline,
                               CycleKind kind) {
  // The final export of a stop whose shared budget is spent (the span exporter used it up on
  // a collector that does not answer): do not add another request timeout to the stop.
  const bool final = kind == CycleKind::kFinal;
  if (final && Clock::now() >= deadline) return false;
  for (int attempt = 1;; ++attempt) {
    stats_.export_requests.fetch_add(1, std::memory_order_relaxed);
    if (attempt > 1) stats_.export_retries.fetch_add(1, std::memory_order_relaxed);
    ExportResult result = transport_->Send(body);
    if (result.ok) {
      if (failing_) spdlog::info("OTLP metrics export recovered");
      failing_ = false;
      if (!result.message.empty()) spdlog::warn("OTLP metrics export: {}", result.message);
      return true;
    }
    if (!failing_) {
      spdlog::warn("OTLP metrics export failed ({}): {}",
                   final                ? "the last one, at shutdown"
                   : result.retryable ? "will retry"
                                      : "not retryable",
                   result.message);
      failing_ = true;
    }
    if (final || !result.retryable || attempt >= retry_.max_attempts) return false;
    auto delay = result.retry_after_ms > 0 ? std::chrono::milliseconds(result.retry_after_ms)
                                           : JitteredBackoff(retry_, attempt, jitter_rng_);
    if (Clock::now() + delay >= deadline) return false;
    std::unique_lock lock(mu_);
    if (wake_.wait_for(lock, delay, [&] { return stopping_; })) return false;
  }
}

}  // namespace otelbpf::otlp
