// User-space pipeline cost, without the kernel: ring-buffer records of a typical curl -> nginx
// exchange (both processes observed, as `otelbpf run` does by default) are built once, exactly
// as bpf/http_capture.bpf.c lays them out, and replayed through the agent's own code:
//
//   BM_Track        ConnectionTracker::HandleRecord -> HTTP/1 stitching (exchanges counted)
//   BM_TrackSpan    + http1::BuildSpan + W3C ids (SpanPipeline, as the agent wires it)
//   BM_TrackSpanOtlp + copy into a 512-span batch + OTLP protobuf encoding of each full batch
//                   (what BatchSpanProcessor's two threads do, here on one core)
//   BM_TrackSpanBsp + the real BatchSpanProcessor with a discarding transport (two threads:
//                   capture here, encoding on its export thread; real time, drops counted)
//
// Arg = exchanges per connection: 100 (keep-alive) or 1 (a connection per request: open and
// close records too). items_per_second = exchanges per second on one core (the SERVER and the
// CLIENT exchange of one request count as two). Target: 1 M exchanges/s per core.
#include <benchmark/benchmark.h>

#include <arpa/inet.h>
#include <sys/socket.h>

#include <atomic>
#include <cstring>
#include <string>
#include <vector>

#include "capture/connection_tracker.h"
#include "discovery/process_registry.h"
#include "export/otlp/batch_span_processor.h"
#include "export/otlp/trace_encoder.h"
#include "http_capture.h"
#include "metrics/http_metrics.h"
#include "assembly/span_pipeline.h"
#include "replay_records.h"

namespace otelbpf {
namespace {

using namespace bench;  // NOLINT: the records of replay_records.h

struct Recording {
  std::vector<Record> records;
  size_t exchanges = 0;  // exchanges the records should produce
  size_t bytes = 0;
};


// 100 connections' worth of records in the order the kernel would emit them.
Recording Record_(size_t exchanges_per_connection) {
  Recording rec;
  const std::string response = Response();
  const size_t connections = exchanges_per_connection >= 100 ? 1 : 100;
  uint64_t t = 1'000'000'000;
  uint64_t gen = 1;
  for (size_t c = 0; c < connections; ++c) {
    const uint64_t client_gen = gen++, server_gen = gen++;
    const uint16_t client_port = static_cast<uint16_t>(kCurlPort + c);
    rec.records.push_back(OpenRecord(kCurlPid, kCurlFd, client_gen, OTELBPF_ROLE_CLIENT, client_port, kNginxPort,
                                     "curl", t));
    rec.records.push_back(OpenRecord(kNginxPid, kNginxFd, server_gen, OTELBPF_ROLE_SERVER, kNginxPort, client_port,
                                     "nginx", t += 5000));
    for (size_t i = 0; i < exchanges_per_connection; ++i) {
      rec.records.push_back(DataRecord(kCurlPid, kCurlFd, client_gen, OTELBPF_DIR_SEND, kRequest, t += 10000));
      rec.records.push_back(DataRecord(kNginxPid, kNginxFd, server_gen, OTELBPF_DIR_RECV, kRequest, t += 8000));
      rec.records.push_back(DataRecord(kNginxPid, kNginxFd, server_gen, OTELBPF_DIR_SEND, response, t += 60000));
      rec.records.push_back(DataRecord(kCurlPid, kCurlFd, client_gen, OTELBPF_DIR_RECV, response, t += 9000));
      rec.exchanges += 2;
    }
    rec.records.push_back(CloseRecord(kCurlPid, kCurlFd, client_gen, t += 3000));
    rec.records.push_back(CloseRecord(kNginxPid, kNginxFd, server_gen, t += 3000));
  }
  for (const auto& r : rec.records) rec.bytes += r.size();
  return rec;
}

const Recording& Get(size_t exchanges_per_connection) {
  static const Recording keep_alive = Record_(100);
  static const Recording per_request = Record_(1);
  return exchanges_per_connection >= 100 ? keep_alive : per_request;
}

ResourceDefaults Defaults() {
  ResourceDefaults d;
  d.host_name = "bench-host";
  return d;
}

void Replay(benchmark::State& state, ConnectionTracker& tracker, const Recording& rec, const size_t& exchanges) {
  const size_t before = exchanges;
  for (const auto& r : rec.records) tracker.HandleRecord(r.data(), r.size());
  if (exchanges - before != rec.exchanges) state.SkipWithError("replay produced the wrong number of exchanges");
}

void Finish(benchmark::State& state, const Recording& rec) {
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * rec.exchanges));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * rec.bytes));
  state.counters["records/exchange"] = static_cast<double>(rec.records.size()) / rec.exchanges;
}

// (a) records -> connection tracking -> HTTP/1 stitching and span building (the protocol seam).
void BM_Track(benchmark::State& state) {
  const Recording& rec = Get(state.range(0));
  ProcessRegistry processes(Defaults(), "/nonexistent-proc");
  size_t exchanges = 0;
  uint64_t sink = 0;
  ConnectionTracker tracker(
      processes,
      [&](ExchangeSpan& x, const ConnectionInfo& c) {
        ++exchanges;
        sink += x.span.name.size() + c.peer.port;
      },
      65536);
  for (auto _ : state) Replay(state, tracker, rec, exchanges);
  benchmark::DoNotOptimize(sink);
  Finish(state, rec);
}

class CountingSink : public SpanSink {
 public:
  void Consume(const Span& span) override { bytes_ += span.attributes.size() + span.name.size(); }
  void Shutdown() override {}
  uint64_t bytes_ = 0;
};

// Replays the recording through the tracker into the agent's SpanPipeline, with whatever sinks
// `attach` adds. The assembly hold is 0 so each pass's spans leave at the pass's Tick, as they
// would in the agent's steady state (hold-time memory is bench/memory.sh's business).
uint64_t MonotonicNowNs() {
  timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<uint64_t>(t.tv_sec) * 1000000000ull + static_cast<uint64_t>(t.tv_nsec);
}

template <typename Attach>
void ReplayThroughPipeline(benchmark::State& state, Attach attach) {
  const Recording& rec = Get(state.range(0));
  ProcessRegistry processes(Defaults(), "/nonexistent-proc");
  AssemblyLimits limits;
  limits.hold_ns = 0;
  limits.root_grace_ns = 0;
  SpanPipeline pipeline(MonotonicToRealtimeOffsetNs(), SamplerConfig{}, limits);
  attach(pipeline);
  size_t exchanges = 0;
  ConnectionTracker tracker(
      processes,
      [&](ExchangeSpan& x, const ConnectionInfo& c) {
        ++exchanges;
        pipeline.OnExchange(x, c);
      },
      65536);
  for (auto _ : state) {
    Replay(state, tracker, rec, exchanges);
    pipeline.Tick(MonotonicNowNs());
  }
  pipeline.Flush();
  Finish(state, rec);
}

// (b) + BuildSpan, ids and trace assembly (the agent's SpanPipeline).
void BM_TrackSpan(benchmark::State& state) {
  CountingSink sink;
  ReplayThroughPipeline(state, [&](SpanPipeline& p) { p.AddSink(&sink); });
  benchmark::DoNotOptimize(sink.bytes_);
}

// Feeds every span to the HTTP RED metrics, as the agent's MetricsOutputs does.
class MetricsSink : public SpanSink {
 public:
  void Consume(const Span& span) override { metrics_.Record(span); }
  void Shutdown() override {}

 private:
  metrics::HttpMetrics metrics_;
};

// (b') + the HTTP RED metrics (what "metrics on" adds per exchange).
void BM_TrackSpanMetrics(benchmark::State& state) {
  CountingSink sink;
  MetricsSink metrics;
  ReplayThroughPipeline(state, [&](SpanPipeline& p) {
    p.AddSink(&sink);
    p.AddEverySpanSink(&metrics);
  });
  benchmark::DoNotOptimize(sink.bytes_);
}

// Batches spans as BatchSpanProcessor does (the pipeline's last sink: each span swapped into
// a slot) and encodes each full batch; all on this thread, so the figure is the whole
// user-space cost per core.
class EncodingSink : public SpanSink {
 public:
  explicit EncodingSink(size_t batch) : slots_(batch) { ptrs_.reserve(batch); }
  void Consume(const Span& span) override {
    Span copy = span;
    ConsumeOwned(std::move(copy));
  }
  void ConsumeOwned(Span&& span) override {
    std::swap(slots_[count_++], span);
    if (count_ == slots_.size()) Flush();
  }
  void Flush() {
    ptrs_.clear();
    for (size_t i = 0; i < count_; ++i) ptrs_.push_back(&slots_[i]);
    encoded_bytes_ += encoder_.Encode(ptrs_).size();
    ++batches_;
    count_ = 0;
  }
  void Shutdown() override {}
  uint64_t encoded_bytes_ = 0, batches_ = 0;
  size_t count_ = 0;

 private:
  std::vector<Span> slots_;
  std::vector<const Span*> ptrs_;
  otlp::TraceRequestEncoder encoder_;
};

// (c) + OTLP encoding in batches of 512.
void BM_TrackSpanOtlp(benchmark::State& state) {
  EncodingSink sink(512);
  ReplayThroughPipeline(state, [&](SpanPipeline& p) { p.AddSink(&sink); });
  const double spans = static_cast<double>(sink.batches_) * 512;
  state.counters["otlp_bytes/span"] = spans > 0 ? sink.encoded_bytes_ / spans : 0;
}

class DiscardTransport : public otlp::OtlpTransport {
 public:
  otlp::ExportResult Send(std::string_view body) override {
    bytes_.fetch_add(body.size(), std::memory_order_relaxed);
    return otlp::ExportResult::Success();
  }
  std::atomic<uint64_t> bytes_{0};
};

// (d) the real BatchSpanProcessor (default OTEL_BSP_* limits: queue 2048, batch 512) with a
// transport that discards; its export thread runs on the other core. Real time.
void BM_TrackSpanBsp(benchmark::State& state) {
  otlp::BatchConfig config;
  auto bsp = std::make_unique<otlp::BatchSpanProcessor>(std::make_unique<DiscardTransport>(), config);
  ReplayThroughPipeline(state, [&](SpanPipeline& p) { p.AddSink(bsp.get()); });
  bsp->Shutdown();
  const auto s = bsp->stats();
  const double offered = static_cast<double>(s.spans_exported + s.spans_dropped_queue_full);
  state.counters["dropped_fraction"] = offered > 0 ? s.spans_dropped_queue_full / offered : 0;
}

BENCHMARK(BM_Track)->Arg(100)->Arg(1)->ArgName("exchanges_per_conn");
BENCHMARK(BM_TrackSpan)->Arg(100)->Arg(1)->ArgName("exchanges_per_conn");
BENCHMARK(BM_TrackSpanMetrics)->Arg(100)->Arg(1)->ArgName("exchanges_per_conn");
BENCHMARK(BM_TrackSpanOtlp)->Arg(100)->Arg(1)->ArgName("exchanges_per_conn");
BENCHMARK(BM_TrackSpanBsp)->Arg(100)->ArgName("exchanges_per_conn")->UseRealTime();

}  // namespace
}  // namespace otelbpf

BENCHMARK_MAIN();
