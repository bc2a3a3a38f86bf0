#include "store/span_store.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <spdlog/spdlog.h>

#include "store/span_record.h"
#include "store/sqlite_db.h"
#include "store/store_schema.h"

namespace otelbpf::store {
namespace {

// Evicting for size removes this share of the spans at a time (at least one batch), so a full
// store pays for an eviction pass now and then, not on every batch.
constexpr double kEvictShare = 0.05;

uint64_t UnixNowNs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

int TakeWriterLock(const std::string& path) {
  const std::string lock_path = path + ".lock";
  const int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    throw StoreError("cannot create " + lock_path + ": " + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    ::close(fd);
    if (err == EWOULDBLOCK)
      throw StoreError("another otelbpf is writing the store " + path +
                       " (one writer per file): give this one --store OTHER_PATH or --store none");
    throw StoreError("cannot lock " + lock_path + ": " + std::strerror(err));
  }
  return fd;
}

}  // namespace

struct SpanStore::Statements {
  explicit Statements(Database& db)
      : insert_span(db,
                    "INSERT INTO spans (trace_id, span_id, parent_span_id, resource_id, name, kind, "
                    "protocol, start_ns, duration_ns, status, status_message, http_method, "
                    "http_status, target, route, peer_service, peer_address, peer_port, "
                    "local_port, attributes, events, caller_service, callee_service, weight) "
                    "VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,"
                    "?20,?21,?22,?23,?24)"),
        insert_resource(db,
                        "INSERT OR IGNORE INTO resources (fingerprint, service_name, "
                        "service_namespace, pid, executable, container_id, k8s_namespace, k8s_pod, "
                        "attributes) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9)"),
        find_resource(db, "SELECT id FROM resources WHERE fingerprint = ?1"),
        set_caller(db, "UPDATE spans SET caller_service = ?2 WHERE id = ?1"),
        set_callee(db, "UPDATE spans SET callee_service = ?2 WHERE id = ?1"),
        load_bloom(db, "SELECT bloom FROM trace_blooms WHERE block = ?1"),
        save_bloom(db, "INSERT OR REPLACE INTO trace_blooms (block, bloom) VALUES (?1, ?2)"),
        insert_net_event(db,
                         "INSERT INTO net_events (time_ns, kind, resource_id, local_address, "
                         "local_port, peer_address, peer_port, duration_ns, name, result, details) "
                         "VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)") {}
  Statement insert_span;
  Statement insert_resource;
  Statement find_resource;
  Statement set_caller;
  Statement set_callee;
  Statement load_bloom;
  Statement save_bloom;
  Statement insert_net_event;
};

SpanStore::SpanStore(StoreOptions options)
    : options_(std::move(options)),
      sampler_(options_.max_spans_per_second),
      recent_(RecentSpansCapacity(options_.max_spans_per_second)) {
  std::error_code ec;
  const std::filesystem::path dir = std::filesystem::path(options_.path).parent_path();
  if (!dir.empty()) {
    std::filesystem::create_directories(dir, ec);
    if (ec)
      throw StoreError("cannot create the store's directory " + dir.string() + ": " + ec.message());
  }
  lock_fd_ = TakeWriterLock(options_.path);
  try {
    db_ = std::make_unique<Database>(options_.path, Database::Mode::kReadWrite);
    // The store holds what services said: readable by root only, like the agent's own logs.
    ::chmod(options_.path.c_str(), 0600);
    ConfigureConnection(*db_, /*writer=*/true);
    CreateOrMigrate(*db_);
    statements_ = std::make_unique<Statements>(*db_);
  } catch (...) {
    ::close(lock_fd_);
    throw;
  }
  try {
    feed_ = std::make_unique<CommitFeed>(options_.path);
  } catch (const StoreError& e) {
    spdlog::warn("store {}: {}; otelbpf observe -f will poll the file instead", options_.path,
                 e.what());
  }
  queue_.reserve(1024);
  writer_ = std::thread([this] { Run(); });
}

SpanStore::~SpanStore() {
  Shutdown();
  feed_.reset();  // the writer thread, its only user, has stopped
  statements_.reset();
  db_.reset();
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

bool SpanStore::Admit(const Span& span, double* weight) {
  const uint64_t now = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                                 std::chrono::steady_clock::now().time_since_epoch())
                                                 .count());
  switch (sampler_.Admit(span.trace_id, now, weight)) {
    case WriteSampler::Verdict::kKeep:
      return true;
    case WriteSampler::Verdict::kSampledOut:
      sampled_out_.fetch_add(1, std::memory_order_relaxed);
      return false;
    case WriteSampler::Verdict::kOverBudget:
      over_budget_.fetch_add(1, std::memory_order_relaxed);
      return false;
  }
  return false;
}

void SpanStore::Enqueue(Span&& span, double weight) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!stopping_ && queue_.size() < options_.queue_capacity) {
      queue_.push_back({std::move(span), weight});
      return;
    }
  }
  dropped_queue_full_.fetch_add(1, std::memory_order_relaxed);
}

void SpanStore::RecordNetEvent(NetEvent&& event) {
  const uint64_t now = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                                 std::chrono::steady_clock::now().time_since_epoch())
                                                 .count());
  if (now - net_window_start_ns_ >= 1000000000ull) {
    net_window_start_ns_ = now;
    net_in_window_ = 0;
  }
  if (options_.max_net_events_per_second && net_in_window_ >= options_.max_net_events_per_second) {
    net_dropped_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  ++net_in_window_;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!stopping_ && net_queue_.size() < options_.queue_capacity) {
      net_queue_.push_back(std::move(event));
      return;
    }
  }
  net_dropped_.fetch_add(1, std::memory_order_relaxed);
}

void SpanStore::Consume(const Span& span) {
  double weight;
  if (Admit(span, &weight)) Enqueue(Span(span), weight);  // copied only when kept
}

void SpanStore::ConsumeOwned(Span&& span) {
  double weight;
  if (Admit(span, &weight)) Enqueue(std::move(span), weight);
}

void SpanStore::Flush() {
  std::unique_lock<std::mutex> lock(mu_);
  flush_requested_ = true;
  wake_.notify_one();
  flushed_.wait(lock, [&] {
    return (queue_.empty() && net_queue_.empty() && !writing_) || !writer_.joinable();
  });
}

void SpanStore::SnapshotMetricsFrom(MetricsCollector collect) {
  std::lock_guard<std::mutex> lock(collector_mu_);
  collector_ = std::move(collect);
}

void SpanStore::WriteMetricSnapshot() {
  std::lock_guard<std::mutex> lock(collector_mu_);
  if (!collector_) return;
  const uint64_t now = UnixNowNs();
  const metrics::MetricsSnapshot snapshot = collector_(now);
  try {
    Transaction transaction(*db_);
    const size_t written = metric_points_.Write(
        *db_, snapshot, now, [this](const ResourcePtr& r) { return ResourceRow(r).id; });
    transaction.Commit();
    metric_points_written_.fetch_add(written, std::memory_order_relaxed);
  } catch (const StoreError& e) {
    spdlog::warn("store {}: cannot write a metric snapshot: {}", options_.path, e.what());
    metric_points_.Forget();
    resource_ids_.clear();
    no_resource_row_ = {};
  }
}

void SpanStore::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_one();
  if (writer_.joinable()) writer_.join();
  flushed_.notify_all();
}

void SpanStore::Run() {
  pthread_setname_np(pthread_self(), "otelbpf-store");  // tells it apart in top and perf
  std::vector<Queued> batch;
  std::vector<NetEvent> events;
  batch.reserve(1024);
  int batches_since_bounds = 0;
  auto next_snapshot = std::chrono::steady_clock::now() + options_.metrics_interval;
  for (;;) {
    bool stop;
    {
      std::unique_lock<std::mutex> lock(mu_);
      wake_.wait_for(lock, options_.batch_interval,
                     [&] { return stopping_ || flush_requested_ || queue_.size() >= 4096; });
      batch.swap(queue_);
      events.swap(net_queue_);
      flush_requested_ = false;
      writing_ = !batch.empty() || !events.empty();
      stop = stopping_;
    }
    if (!batch.empty() || !events.empty()) {
      WriteBatch(batch, events);
      batch.clear();
      events.clear();
      {
        std::lock_guard<std::mutex> lock(mu_);
        writing_ = false;
      }
      flushed_.notify_all();
      if (++batches_since_bounds >= options_.bounds_every_batches) {
        batches_since_bounds = 0;
        EnforceBounds();
      }
    } else {
      flushed_.notify_all();
    }
    if (stop) break;
    if (std::chrono::steady_clock::now() >= next_snapshot) {
      next_snapshot += options_.metrics_interval;
      WriteMetricSnapshot();
    }
  }
  WriteMetricSnapshot();  // the final values, so a short run has them too
  EnforceBounds();
}

const SpanStore::KnownResource& SpanStore::ResourceRow(const ResourcePtr& resource) {
  static const Resource kNoResource;
  if (resource) {
    auto it = resource_ids_.find(resource.get());
    if (it != resource_ids_.end() && it->second.resource.lock() == resource) return it->second;
  } else if (no_resource_row_.id != 0) {
    return no_resource_row_;
  }
  const StoredResource row = ToStoredResource(resource ? *resource : kNoResource);
  Statement& insert = statements_->insert_resource;
  insert.Reset();
  insert.Bind(1, row.fingerprint);
  insert.Bind(2, row.service_name);
  insert.BindOptional(3, row.service_namespace);
  if (row.pid) insert.Bind(4, row.pid); else insert.BindNull(4);
  insert.BindOptional(5, row.executable);
  insert.BindOptional(6, row.container_id);
  insert.BindOptional(7, row.k8s_namespace);
  insert.BindOptional(8, row.k8s_pod);
  insert.Bind(9, row.attributes_json);
  insert.Step();
  Statement& find = statements_->find_resource;
  find.Reset();
  find.Bind(1, row.fingerprint);
  if (!find.Step()) throw StoreError("a resource row vanished while being written");
  KnownResource known{resource, find.Int(0), row.service_name};
  if (!resource) return no_resource_row_ = std::move(known);
  return resource_ids_[resource.get()] = std::move(known);
}

void SpanStore::AddToBloom(int64_t row_id, const TraceId& trace) {
  const int64_t block = BlockOfRow(row_id);
  if (block != bloom_block_) {
    SaveBloom();
    bloom_block_ = block;
    // A block another run of the agent began (restart mid-block) keeps its trace ids.
    Statement& load = statements_->load_bloom;
    load.Reset();
    load.Bind(1, block);
    bloom_ = load.Step() ? TraceBloom(load.Blob(0)) : TraceBloom();
  }
  bloom_.Add(trace);
  bloom_dirty_ = true;
}

void SpanStore::SaveBloom() {
  if (!bloom_dirty_) return;
  Statement& save = statements_->save_bloom;
  save.Reset();
  save.Bind(1, bloom_block_);
  save.BindBlob(2, bloom_.bytes().data(), bloom_.bytes().size());
  save.Step();
  bloom_dirty_ = false;
}

void SpanStore::WriteNetEvents(std::vector<NetEvent>& events) {
  Statement& insert = statements_->insert_net_event;
  for (const NetEvent& e : events) {
    insert.Reset();
    insert.Bind(1, static_cast<int64_t>(e.time_ns));
    insert.Bind(2, e.kind);
    if (e.resource) insert.Bind(3, ResourceRow(e.resource).id); else insert.BindNull(3);
    insert.BindOptional(4, e.local_address);
    if (e.local_port) insert.Bind(5, e.local_port); else insert.BindNull(5);
    insert.BindOptional(6, e.peer_address);
    if (e.peer_port) insert.Bind(7, e.peer_port); else insert.BindNull(7);
    insert.Bind(8, static_cast<int64_t>(e.duration_ns));
    insert.BindOptional(9, e.name);
    insert.Bind(10, e.result);
    insert.BindOptional(11, e.details_json);
    insert.Step();
  }
}

void SpanStore::WriteBatch(std::vector<Queued>& batch, std::vector<NetEvent>& events) {
  try {
    Transaction transaction(*db_);
    WriteNetEvents(events);
    Statement& insert = statements_->insert_span;
    std::vector<RowUpdate> updates;
    int64_t last_row = 0;
    for (const Queued& queued : batch) {
      const Span& span = queued.span;
      const StoredSpan row = ToStoredSpan(span);
      const KnownResource& resource = ResourceRow(span.resource);
      const int64_t resource_id = resource.id;
      const RecentSpans::Links links = recent_.Find(span, resource.service, &updates);
      insert.Reset();
      insert.BindBlob(1, row.trace_id.data(), row.trace_id.size());
      insert.BindBlob(2, row.span_id.data(), row.span_id.size());
      if (row.parent_span_id != SpanId{})
        insert.BindBlob(3, row.parent_span_id.data(), row.parent_span_id.size());
      else
        insert.BindNull(3);
      insert.Bind(4, resource_id);
      insert.Bind(5, row.name);
      insert.Bind(6, static_cast<int64_t>(row.kind));
      insert.Bind(7, row.protocol);
      insert.Bind(8, static_cast<int64_t>(row.start_ns));
      insert.Bind(9, static_cast<int64_t>(row.duration_ns));
      insert.Bind(10, static_cast<int64_t>(row.status));
      insert.BindOptional(11, row.status_message);
      insert.BindOptional(12, row.http_method);
      if (row.http_status) insert.Bind(13, row.http_status); else insert.BindNull(13);
      insert.BindOptional(14, row.target);
      insert.BindOptional(15, row.route);
      insert.BindOptional(16, row.peer_service);
      insert.BindOptional(17, row.peer_address);
      if (row.peer_port) insert.Bind(18, row.peer_port); else insert.BindNull(18);
      if (row.local_port) insert.Bind(19, row.local_port); else insert.BindNull(19);
      insert.Bind(20, row.attributes_json);
      insert.BindOptional(21, row.events_json);
      insert.BindOptional(22, links.caller);
      insert.BindOptional(23, links.callee);
      insert.Bind(24, queued.weight);
      insert.Step();
      const int64_t row_id = db_->LastInsertId();
      last_row = row_id;
      AddToBloom(row_id, span.trace_id);
      recent_.Remember(span, resource.service, row_id,
                       !links.caller.empty() || !links.callee.empty());
    }
    for (const RowUpdate& u : updates) {
      Statement& update = u.caller ? statements_->set_caller : statements_->set_callee;
      update.Reset();
      update.Bind(1, u.row_id);
      update.Bind(2, u.service);
      update.Step();
    }
    SaveBloom();
    transaction.Commit();
    if (feed_ && last_row) feed_->Publish(last_row);
    written_.fetch_add(batch.size(), std::memory_order_relaxed);
    net_written_.fetch_add(events.size(), std::memory_order_relaxed);
    batches_.fetch_add(1, std::memory_order_relaxed);
  } catch (const StoreError& e) {
    // A full disk, a file removed under us: this batch is lost (counted), the next is tried.
    net_dropped_.fetch_add(events.size(), std::memory_order_relaxed);
    if (dropped_write_failed_.fetch_add(batch.size(), std::memory_order_relaxed) == 0)
      spdlog::warn("store {}: cannot write spans ({}); they are counted in "
                   "otelbpf.store.spans{{outcome=dropped_write_failed}}",
                   options_.path, e.what());
    // The rollback may have taken new resource rows and the block's filter with it.
    resource_ids_.clear();
    no_resource_row_ = {};
    bloom_block_ = -1;
    bloom_dirty_ = false;
    recent_ = RecentSpans(RecentSpansCapacity(options_.max_spans_per_second));
  }
}

void SpanStore::EnforceBounds() {
  try {
    if (options_.retention.count() > 0) {
      const uint64_t retention_ns =
          static_cast<uint64_t>(options_.retention.count()) * 1000000000ull;
      const uint64_t now = UnixNowNs();
      if (now > retention_ns) {
        Statement old(*db_, "DELETE FROM spans WHERE start_ns < ?1");
        old.Bind(1, static_cast<int64_t>(now - retention_ns));
        old.Step();
        evicted_age_.fetch_add(static_cast<uint64_t>(db_->Changes()), std::memory_order_relaxed);
        for (const char* sql : {"DELETE FROM net_events WHERE time_ns < ?1",
                                "DELETE FROM metric_points WHERE time_ns < ?1"}) {
          Statement older(*db_, sql);
          older.Bind(1, static_cast<int64_t>(now - retention_ns));
          older.Step();
        }
      }
    }
    const int64_t page_size = db_->QueryInt("PRAGMA page_size").value_or(4096);
    auto used_bytes = [&] {
      const int64_t pages = db_->QueryInt("PRAGMA page_count").value_or(0) -
                            db_->QueryInt("PRAGMA freelist_count").value_or(0);
      return static_cast<uint64_t>(pages * page_size);
    };
    uint64_t used = used_bytes();
    // Deleting frees pages for reuse (the file does not shrink, it stops growing): evict the
    // oldest share (lowest row ids: insertion order) of each table until the pages in use fit.
    auto evict_oldest_share = [&](const std::string& table) -> int64_t {
      const int64_t rows = db_->QueryInt("SELECT COUNT(*) FROM " + table).value_or(0);
      if (rows == 0) return 0;
      Statement oldest(*db_, "DELETE FROM " + table + " WHERE id < (SELECT MIN(id) FROM " +
                                 table + ") + ?1");
      oldest.Bind(1, std::max<int64_t>(1, static_cast<int64_t>(rows * kEvictShare)));
      oldest.Step();
      return db_->Changes();
    };
    while (used > options_.max_bytes) {
      const int64_t spans = evict_oldest_share("spans");
      evicted_size_.fetch_add(static_cast<uint64_t>(spans), std::memory_order_relaxed);
      const int64_t others = evict_oldest_share("net_events") + evict_oldest_share("metric_points");
      if (spans == 0 && others == 0) break;  // nothing left to evict
      used = used_bytes();
    }
    // Resources no span refers to any more (processes long gone), and the filters of blocks
    // whose rows are all gone (all of them when no span is left: row ids may start over).
    db_->Execute(
        "DELETE FROM resources WHERE NOT EXISTS "
        "(SELECT 1 FROM spans WHERE spans.resource_id = resources.id) AND NOT EXISTS "
        "(SELECT 1 FROM net_events WHERE net_events.resource_id = resources.id) AND NOT EXISTS "
        "(SELECT 1 FROM metric_points WHERE metric_points.resource_id = resources.id)");
    if (db_->Changes() > 0) {
      resource_ids_.clear();
      no_resource_row_ = {};
      metric_points_.Forget();  // its keys hold resource row ids
    }
    db_->Execute("DELETE FROM trace_blooms WHERE block < IFNULL((SELECT MIN(id) FROM spans) / " +
                 std::to_string(kRowsPerBlock) + ", (SELECT MAX(block) + 1 FROM trace_blooms))");
    bytes_.store(used, std::memory_order_relaxed);
  } catch (const StoreError& e) {
    spdlog::warn("store {}: eviction failed: {}", options_.path, e.what());
  }
}

StoreStats SpanStore::stats() const {
  StoreStats s;
  s.written = written_.load(std::memory_order_relaxed);
  s.dropped_queue_full = dropped_queue_full_.load(std::memory_order_relaxed);
  s.sampled_out = sampled_out_.load(std::memory_order_relaxed);
  s.over_budget = over_budget_.load(std::memory_order_relaxed);
  s.dropped_write_failed = dropped_write_failed_.load(std::memory_order_relaxed);
  s.net_events_written = net_written_.load(std::memory_order_relaxed);
  s.net_events_dropped = net_dropped_.load(std::memory_order_relaxed);
  s.metric_points_written = metric_points_written_.load(std::memory_order_relaxed);
  s.evicted_age = evicted_age_.load(std::memory_order_relaxed);
  s.evicted_size = evicted_size_.load(std::memory_order_relaxed);
  s.bytes = bytes_.load(std::memory_order_relaxed);
  s.batches = batches_.load(std::memory_order_relaxed);
  return s;
}

}  // namespace otelbpf::store
