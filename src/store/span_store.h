// The embedded store's writer: a SpanSink that queues spans and writes them to a SQLite file
// in batches from its own thread, so capture never waits on the disk. The file stays within
// --store-max-mb and --store-retention: the oldest spans are evicted first. Whatever cannot be
// queued or written is counted (otelbpf.store.spans{outcome}), never lost silently.
//
// One writer per file: an advisory lock on PATH.lock keeps a second agent out. Readers
// (`otelbpf observe`, the UI) open their own read-only connections: WAL lets them read while
// the writer writes, and they never see half a batch.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "metrics/metric_data.h"
#include "store/commit_feed.h"
#include "store/metric_points.h"
#include "store/net_event.h"
#include "store/recent_spans.h"
#include "store/trace_bloom.h"
#include "store/write_sampler.h"
#include "trace/span_sink.h"

namespace otelbpf::store {

class Database;

inline constexpr const char* kDefaultStorePath = "/var/lib/otelbpf/otelbpf.db";

struct StoreOptions {
  std::string path = kDefaultStorePath;
  uint64_t max_bytes = 256ull << 20;                  // --store-max-mb
  std::chrono::seconds retention{std::chrono::hours(24)};  // --store-retention
  // Spans waiting for the writer; more are dropped (counted). Eight thousand is four seconds
  // at the default max_spans_per_second, ~16 MiB at most: room for a slow disk, not a leak.
  size_t queue_capacity = 8192;
  // --store-max-spans-per-second: under more load whole traces are sampled (write_sampler.h).
  uint32_t max_spans_per_second = 2000;
  // Connection and lookup events kept per second at most (a connection-per-request load opens
  // thousands a second); more are dropped and counted.
  uint32_t max_net_events_per_second = 1000;
  // How often the agent's metrics are snapshotted into the store (metric_points.h).
  std::chrono::milliseconds metrics_interval{60000};
  std::chrono::milliseconds batch_interval{200};
  // How often the bounds are enforced (an eviction pass), in batches.
  int bounds_every_batches = 10;
};

struct StoreStats {
  uint64_t written = 0;
  uint64_t dropped_queue_full = 0;
  uint64_t sampled_out = 0;   // traces left out to stay within max_spans_per_second
  uint64_t over_budget = 0;   // a burst cut off within one second
  uint64_t dropped_write_failed = 0;
  uint64_t net_events_written = 0;
  uint64_t net_events_dropped = 0;  // over max_net_events_per_second, or the queue was full
  uint64_t metric_points_written = 0;
  uint64_t evicted_age = 0;
  uint64_t evicted_size = 0;
  uint64_t bytes = 0;  // pages in use × page size, at the last bounds pass
  uint64_t batches = 0;
};

class SpanStore : public SpanSink {
 public:
  // Opens or creates the file (and its directory), takes the writer lock, migrates the schema
  // and starts the writer thread. Throws StoreError with the reason when it cannot.
  explicit SpanStore(StoreOptions options);
  ~SpanStore() override;

  void Consume(const Span& span) override;
  void ConsumeOwned(Span&& span) override;
  // Writes what is queued, then stops the thread.
  void Shutdown() override;
  // A connection or lookup event (capture thread, like Consume). Never blocks.
  void RecordNetEvent(NetEvent&& event);
  // Blocks until everything queued before the call is committed (tests, benchmarks).
  void Flush();
  // Where metric snapshots come from: called on the writer thread every metrics_interval and
  // once at Shutdown. nullptr stops it (and waits for a call in progress).
  using MetricsCollector = std::function<metrics::MetricsSnapshot(uint64_t now_unix_nano)>;
  void SnapshotMetricsFrom(MetricsCollector collect);

  StoreStats stats() const;
  const std::string& path() const { return options_.path; }

 private:
  struct Statements;
  void Run();
  struct Queued {
    Span span;
    double weight;
  };
  void WriteBatch(std::vector<Queued>& batch, std::vector<NetEvent>& events);
  void WriteNetEvents(std::vector<NetEvent>& events);
  void WriteMetricSnapshot();
  struct KnownResource {
    std::weak_ptr<const Resource> resource;
    int64_t id;
    std::string service;
  };
  const KnownResource& ResourceRow(const ResourcePtr& resource);
  void AddToBloom(int64_t row_id, const TraceId& trace);
  void SaveBloom();
  void EnforceBounds();
  // Consume's first step: false when the span is not stored (counted).
  bool Admit(const Span& span, double* weight);
  void Enqueue(Span&& span, double weight);

  const StoreOptions options_;
  int lock_fd_ = -1;
  std::unique_ptr<Database> db_;
  std::unique_ptr<Statements> statements_;

  std::mutex mu_;
  std::condition_variable wake_;
  std::condition_variable flushed_;
  std::vector<Queued> queue_;
  std::vector<NetEvent> net_queue_;
  uint64_t net_window_start_ns_ = 0;  // capture thread only: the per-second cap
  uint32_t net_in_window_ = 0;
  WriteSampler sampler_;  // capture thread only (Consume)
  bool stopping_ = false;
  bool flush_requested_ = false;
  bool writing_ = false;  // guarded by mu_: a batch taken from the queues is being written

  // Writer thread only: resources already in the file, by the Resource object they came from
  // (weak: a resource that is gone is looked up again by fingerprint if it comes back).
  std::unordered_map<const Resource*, KnownResource> resource_ids_;
  KnownResource no_resource_row_;
  // Writer thread only: the Bloom filter of the block being filled (trace_bloom.h) and the
  // spans that may still meet their other end (recent_spans.h).
  int64_t bloom_block_ = -1;
  TraceBloom bloom_;
  bool bloom_dirty_ = false;
  RecentSpans recent_;
  MetricPointWriter metric_points_;
  std::unique_ptr<CommitFeed> feed_;  // null when the socket could not be made (readers poll)
  std::mutex collector_mu_;  // held while collector_ runs, so clearing it waits for the call
  MetricsCollector collector_;

  std::atomic<uint64_t> written_{0}, dropped_queue_full_{0}, sampled_out_{0}, over_budget_{0},
      dropped_write_failed_{0}, net_written_{0}, net_dropped_{0}, metric_points_written_{0},
      evicted_age_{0}, evicted_size_{0}, bytes_{0}, batches_{0};
  std::thread writer_;
};

}  // namespace otelbpf::store
