// BatchSpanProcessor with a scripted in-memory transport: batching, timer, drops, retries,
// shutdown. Timing-dependent checks poll with generous deadlines, never assert durations
// tightly.
#include <gtest/gtest.h>

#include <deque>
#include <functional>
#include <set>

#include "export/otlp/batch_span_processor.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

namespace otelbpf::otlp {
namespace {

using namespace std::chrono_literals;
namespace pb_collector = opentelemetry::proto::collector::trace::v1;

// Records each request (decoded) and answers with scripted results (success once the script
// is exhausted). Optionally blocks inside Send until released.
class FakeTransport : public OtlpTransport {
 public:
  struct Shared {
    std::mutex mu;
    std::condition_variable cv;
    std::vector<pb_collector::ExportTraceServiceRequest> requests;
    std::deque<ExportResult> script;
    std::function<ExportResult()> always;  // when set, answers every request
    bool gate_closed = false;
    int in_send = 0;
  };

  explicit FakeTransport(std::shared_ptr<Shared> shared) : shared_(std::move(shared)) {}

  ExportResult Send(std::string_view body) override {
    std::unique_lock lock(shared_->mu);
    pb_collector::ExportTraceServiceRequest request;
    EXPECT_TRUE(request.ParseFromString(std::string(body)));
    shared_->requests.push_back(std::move(request));
    ++shared_->in_send;
    shared_->cv.notify_all();
    shared_->cv.wait(lock, [&] { return !shared_->gate_closed; });
    --shared_->in_send;
    if (shared_->always) return shared_->always();
    if (shared_->script.empty()) return ExportResult::Success();
    ExportResult r = shared_->script.front();
    shared_->script.pop_front();
    return r;
  }

 private:
  std::shared_ptr<Shared> shared_;
};

struct Fixture {
  std::shared_ptr<FakeTransport::Shared> shared = std::make_shared<FakeTransport::Shared>();
  std::unique_ptr<BatchSpanProcessor> processor;

  void Start(BatchConfig config, RetryPolicy retry = {1, 1ms, 5ms}) {
    processor = std::make_unique<BatchSpanProcessor>(std::make_unique<FakeTransport>(shared),
                                                     config, retry);
  }

  std::vector<size_t> BatchSizes() {
    std::lock_guard lock(shared->mu);
    std::vector<size_t> sizes;
    for (const auto& r : shared->requests) {
      size_t n = 0;
      for (const auto& rs : r.resource_spans()) {
        for (const auto& ss : rs.scope_spans()) n += static_cast<size_t>(ss.spans_size());
      }
      sizes.push_back(n);
    }
    return sizes;
  }

  size_t RequestCount() {
    std::lock_guard lock(shared->mu);
    return shared->requests.size();
  }

  void SetGate(bool closed) {
    std::lock_guard lock(shared->mu);
    shared->gate_closed = closed;
    shared->cv.notify_all();
  }

  bool WaitUntilInSend(std::chrono::milliseconds timeout = 5s) {
    std::unique_lock lock(shared->mu);
    return shared->cv.wait_for(lock, timeout, [&] { return shared->in_send > 0; });
  }
};

bool WaitFor(const std::function<bool()>& condition, std::chrono::milliseconds timeout = 5s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(1ms);
  }
  return condition();
}

Span MakeSpan(int i, int attribute_count = 2) {
  static const ResourcePtr resource =
      std::make_shared<Resource>(Resource{{{"service.name", std::string("svc")}}});
  Span s;
  s.trace_id.fill(1);
  s.span_id.fill(static_cast<uint8_t>(i + 1));
  s.name = "span-" + std::to_string(i);
  s.kind = SpanKind::kServer;
  s.start_time_unix_nano = 1;
  s.end_time_unix_nano = 2;
  for (int a = 0; a < attribute_count; ++a) {
    s.attributes.push_back({"attr." + std::to_string(a), std::string(a * 7, 'v')});
  }
  s.resource = resource;
  return s;
}

BatchConfig Config(size_t queue, size_t batch, std::chrono::milliseconds delay = 1h,
                   std::chrono::milliseconds export_timeout = 5s) {
  return BatchConfig{delay, queue, batch, export_timeout};
}

TEST(OtlpBatchSpanProcessorTest, FullBatchesGoOutWithoutWaitingForTheTimer) {
  Fixture f;
  f.Start(Config(100, 10));
  for (int i = 0; i < 25; ++i) f.processor->Consume(MakeSpan(i));
  ASSERT_TRUE(WaitFor([&] { return f.RequestCount() == 2; }));
  EXPECT_EQ(f.BatchSizes(), (std::vector<size_t>{10, 10}));
  f.processor->Shutdown();  // flushes the last 5
  EXPECT_EQ(f.BatchSizes(), (std::vector<size_t>{10, 10, 5}));
  auto s = f.processor->stats();
  EXPECT_EQ(s.spans_exported, 25u);
  EXPECT_EQ(s.export_requests, 3u);
  EXPECT_EQ(s.export_failures, 0u);
  EXPECT_EQ(s.spans_dropped_queue_full + s.spans_dropped_export_failed, 0u);
}

TEST(OtlpBatchSpanProcessorTest, ScheduleDelayExportsAPartialBatch) {
  Fixture f;
  f.Start(Config(100, 50, /*delay=*/20ms));
  // Far fewer spans than a batch: only the timer can send them. (On a loaded machine the
  // timer may fire between two Consume calls, so count spans, not requests.)
  for (int i = 0; i < 3; ++i) f.processor->Consume(MakeSpan(i));
  ASSERT_TRUE(WaitFor([&] { return f.processor->stats().spans_exported == 3; }));
  size_t requests_before = f.RequestCount();
  f.processor->Consume(MakeSpan(3));
  ASSERT_TRUE(WaitFor([&] { return f.processor->stats().spans_exported == 4; }));
  EXPECT_EQ(f.RequestCount(), requests_before + 1);
}

TEST(OtlpBatchSpanProcessorTest, SpansCopiedOrHandedOverArriveIntactAcrossRingWrapAround) {
  Fixture f;
  f.Start(Config(16, 4, /*delay=*/5ms));
  std::set<std::string> expected;
  for (int round = 0; round < 4; ++round) {
    for (int i = round * 12; i < (round + 1) * 12; ++i) {
      // Varying sizes exercise slot reuse (capacity kept, contents replaced); every other span
      // is handed over (the pipeline's last sink takes its spans) instead of copied.
      if (i % 2)
        f.processor->ConsumeOwned(MakeSpan(i, (i * 5) % 9));
      else
        f.processor->Consume(MakeSpan(i, (i * 5) % 9));
      expected.insert("span-" + std::to_string(i));
    }
    size_t want = expected.size();
    ASSERT_TRUE(WaitFor([&] { return f.processor->stats().spans_exported == want; }));
  }
  f.processor->Shutdown();
  std::set<std::string> seen;
  std::lock_guard lock(f.shared->mu);
  for (const auto& r : f.shared->requests) {
    for (const auto& span : r.resource_spans(0).scope_spans(0).spans()) {
      int i = std::stoi(span.name().substr(5));
      Span original = MakeSpan(i, (i * 5) % 9);
      ASSERT_EQ(span.attributes_size(), static_cast<int>(original.attributes.size()));
      for (int a = 0; a < span.attributes_size(); ++a) {
        EXPECT_EQ(span.attributes(a).key(), original.attributes[a].key);
        EXPECT_EQ(span.attributes(a).value().string_value(),
                  std::get<std::string>(original.attributes[a].value));
      }
      EXPECT_TRUE(seen.insert(span.name()).second) << "exported twice: " << span.name();
    }
  }
  EXPECT_EQ(seen, expected);
  EXPECT_EQ(f.processor->stats().spans_dropped_queue_full, 0u);
}

TEST(OtlpBatchSpanProcessorTest, FullQueueDropsAndCounts) {
  Fixture f;
  f.SetGate(true);  // the first export hangs until released
  f.Start(Config(/*queue=*/10, /*batch=*/5));
  for (int i = 0; i < 5; ++i) f.processor->Consume(MakeSpan(i));
  ASSERT_TRUE(f.WaitUntilInSend());  // those 5 left the queue and are in flight
  for (int i = 5; i < 25; ++i) f.processor->Consume(MakeSpan(i));  // 10 fit, 10 dropped
  EXPECT_EQ(f.processor->stats().spans_dropped_queue_full, 10u);
  f.SetGate(false);
  f.processor->Shutdown();
  auto s = f.processor->stats();
  EXPECT_EQ(s.spans_exported, 15u);
  EXPECT_EQ(s.spans_dropped_queue_full, 10u);
  EXPECT_EQ(s.spans_dropped_export_failed, 0u);
}

TEST(OtlpBatchSpanProcessorTest, RetryableFailuresAreRetriedThenSucceed) {
  Fixture f;
  f.shared->script = {ExportResult::Failure(true, "503"), ExportResult::Failure(true, "reset")};
  f.Start(Config(100, 4), RetryPolicy{5, 1ms, 4ms});
  for (int i = 0; i < 4; ++i) f.processor->Consume(MakeSpan(i));
  ASSERT_TRUE(WaitFor([&] { return f.processor->stats().spans_exported == 4; }));
  auto s = f.processor->stats();
  EXPECT_EQ(s.export_requests, 3u);
  EXPECT_EQ(s.export_failures, 2u);
  EXPECT_EQ(s.export_retries, 2u);
  EXPECT_EQ(s.spans_dropped_export_failed, 0u);
  // Every attempt carried the same batch.
  EXPECT_EQ(f.BatchSizes(), (std::vector<size_t>{4, 4, 4}));
}

TEST(OtlpBatchSpanProcessorTest, NonRetryableFailureDropsTheBatch) {
  Fixture f;
  f.shared->script = {ExportResult::Failure(false, "HTTP 400")};
  f.Start(Config(100, 3), RetryPolicy{5, 1ms, 4ms});
  for (int i = 0; i < 6; ++i) f.processor->Consume(MakeSpan(i));
  ASSERT_TRUE(WaitFor([&] { return f.RequestCount() == 2; }));
  f.processor->Shutdown();
  auto s = f.processor->stats();
  EXPECT_EQ(s.export_requests, 2u);
  EXPECT_EQ(s.export_failures, 1u);
  EXPECT_EQ(s.export_retries, 0u);
  EXPECT_EQ(s.spans_dropped_export_failed, 3u);
  EXPECT_EQ(s.spans_exported, 3u);
}

TEST(OtlpBatchSpanProcessorTest, GivesUpAfterMaxAttempts) {
  Fixture f;
  f.shared->always = [] { return ExportResult::Failure(true, "UNAVAILABLE"); };
  f.Start(Config(100, 2), RetryPolicy{3, 1ms, 2ms});
  f.processor->Consume(MakeSpan(0));
  f.processor->Consume(MakeSpan(1));
  ASSERT_TRUE(WaitFor([&] { return f.processor->stats().spans_dropped_export_failed == 2; }));
  auto s = f.processor->stats();
  EXPECT_EQ(s.export_requests, 3u);
  EXPECT_EQ(s.export_retries, 2u);
  EXPECT_EQ(s.export_failures, 3u);
  EXPECT_EQ(s.spans_exported, 0u);
}

TEST(OtlpBatchSpanProcessorTest, RetryAfterBeyondTheExportTimeoutGivesUp) {
  Fixture f;
  f.shared->script = {ExportResult::Failure(true, "429", /*retry_after_ms=*/60'000)};
  f.Start(Config(100, 1, 1h, /*export_timeout=*/200ms), RetryPolicy{5, 1ms, 2ms});
  f.processor->Consume(MakeSpan(0));
  ASSERT_TRUE(WaitFor([&] { return f.processor->stats().spans_dropped_export_failed == 1; }));
  EXPECT_EQ(f.processor->stats().export_requests, 1u);
}

TEST(OtlpBatchSpanProcessorTest, RetryAfterIsHonoured) {
  Fixture f;
  f.shared->script = {ExportResult::Failure(true, "429", /*retry_after_ms=*/30)};
  f.Start(Config(100, 1), RetryPolicy{5, 1ms, 2ms});
  auto start = std::chrono::steady_clock::now();
  f.processor->Consume(MakeSpan(0));
  ASSERT_TRUE(WaitFor([&] { return f.processor->stats().spans_exported == 1; }));
  EXPECT_GE(std::chrono::steady_clock::now() - start, 30ms);
  EXPECT_EQ(f.processor->stats().export_retries, 1u);
}

TEST(OtlpBatchSpanProcessorTest, ShutdownFlushesEverythingInBatches) {
  Fixture f;
  f.SetGate(true);
  f.Start(Config(100, 4));
  for (int i = 0; i < 4; ++i) f.processor->Consume(MakeSpan(i));
  ASSERT_TRUE(f.WaitUntilInSend());
  for (int i = 4; i < 14; ++i) f.processor->Consume(MakeSpan(i));
  f.SetGate(false);
  f.processor->Shutdown();
  auto sizes = f.BatchSizes();
  size_t total = 0;
  for (size_t n : sizes) {
    EXPECT_LE(n, 4u);
    total += n;
  }
  EXPECT_EQ(total, 14u);
  EXPECT_EQ(f.processor->stats().spans_exported, 14u);
}

TEST(OtlpBatchSpanProcessorTest, ShutdownIsBoundedByTheExportTimeout) {
  Fixture f;
  f.shared->always = [] { return ExportResult::Failure(true, "UNAVAILABLE"); };
  f.Start(Config(100, 10, 1h, /*export_timeout=*/100ms), RetryPolicy{100, 20ms, 20ms});
  for (int i = 0; i < 25; ++i) f.processor->Consume(MakeSpan(i));
  auto start = std::chrono::steady_clock::now();
  f.processor->Shutdown();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);  // loose: ~0.1-0.2 s expected
  auto s = f.processor->stats();
  EXPECT_EQ(s.spans_exported, 0u);
  EXPECT_EQ(s.spans_dropped_export_failed, 25u);  // every span accounted for
}

TEST(OtlpBatchSpanProcessorTest, ShutdownStopsAtTheCallersDeadline) {
  // The agent gives all its outputs one stop budget: when it is already spent, nothing more is
  // sent, and what was queued is counted as failed rather than silently lost.
  Fixture f;
  f.Start(Config(100, 100));  // no batch fills, no timer fires: all 25 wait in the queue
  for (int i = 0; i < 25; ++i) f.processor->Consume(MakeSpan(i));
  f.processor->Shutdown(std::chrono::steady_clock::now() - 1ms);
  EXPECT_EQ(f.RequestCount(), 0u);
  auto s = f.processor->stats();
  EXPECT_EQ(s.spans_exported, 0u);
  EXPECT_EQ(s.spans_dropped_export_failed, 25u);
}

TEST(OtlpBatchSpanProcessorTest, ConsumeAfterShutdownIsIgnoredAndShutdownIsIdempotent) {
  Fixture f;
  f.Start(Config(100, 10));
  f.processor->Shutdown();
  f.processor->Consume(MakeSpan(0));
  f.processor->Shutdown();
  EXPECT_EQ(f.RequestCount(), 0u);
  auto s = f.processor->stats();
  EXPECT_EQ(s.spans_exported + s.spans_dropped_queue_full + s.spans_dropped_export_failed, 0u);
}

}  // namespace
}  // namespace otelbpf::otlp
