#include "store/span_store.h"

#include <fcntl.h>
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
                    "local_port, attributes, events) VALUES "
                    "(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21)"),
        insert_resource(db,
                        "INSERT OR IGNORE INTO resources (fingerprint, service_name, "
                        "service_namespace, pid, executable, container_id, k8s_namespace, k8s_pod, "
                        "attributes) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9)"),
        find_resource(db, "SELECT id FROM resources WHERE fingerprint = ?1") {}
  Statement insert_span;
  Statement insert_resource;
  Statement find_resource;
};

SpanStore::SpanStore(StoreOptions options) : options_(std::move(options)) {
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
  queue_.reserve(1024);
  writer_ = std::thread([this] { Run(); });
}

SpanStore::~SpanStore() {
  Shutdown();
  statements_.reset();
  db_.reset();
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

void SpanStore::Enqueue(Span&& span) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!stopping_ && queue_.size() < options_.queue_capacity) {
      queue_.push_back(std::move(span));
      ++enqueued_;
      return;
    }
  }
  dropped_queue_full_.fetch_add(1, std::memory_order_relaxed);
}

void SpanStore::Consume(const Span& span) { Enqueue(Span(span)); }
void SpanStore::ConsumeOwned(Span&& span) { Enqueue(std::move(span)); }

void SpanStore::Flush() {
  std::unique_lock<std::mutex> lock(mu_);
  const uint64_t target = enqueued_;
  flush_requested_ = true;
  wake_.notify_one();
  flushed_.wait(lock, [&] { return committed_ >= target || !writer_.joinable(); });
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
  std::vector<Span> batch;
  batch.reserve(1024);
  int batches_since_bounds = 0;
  for (;;) {
    bool stop;
    {
      std::unique_lock<std::mutex> lock(mu_);
      wake_.wait_for(lock, options_.batch_interval,
                     [&] { return stopping_ || flush_requested_ || queue_.size() >= 4096; });
      batch.swap(queue_);
      flush_requested_ = false;
      stop = stopping_;
    }
    if (!batch.empty()) {
      WriteBatch(batch);
      const size_t done = batch.size();
      batch.clear();
      {
        std::lock_guard<std::mutex> lock(mu_);
        committed_ += done;
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
  }
  EnforceBounds();
}

int64_t SpanStore::ResourceId(const ResourcePtr& resource) {
  static const Resource kNoResource;
  const Resource& r = resource ? *resource : kNoResource;
  if (resource) {
    auto it = resource_ids_.find(resource.get());
    if (it != resource_ids_.end() && it->second.resource.lock() == resource) return it->second.id;
  }
  const StoredResource row = ToStoredResource(r);
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
  const int64_t id = find.Int(0);
  if (resource) resource_ids_[resource.get()] = {resource, id};
  return id;
}

void SpanStore::WriteBatch(std::vector<Span>& batch) {
  try {
    Transaction transaction(*db_);
    Statement& insert = statements_->insert_span;
    for (const Span& span : batch) {
      const StoredSpan row = ToStoredSpan(span);
      const int64_t resource_id = ResourceId(span.resource);
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
      insert.Step();
    }
    transaction.Commit();
    written_.fetch_add(batch.size(), std::memory_order_relaxed);
    batches_.fetch_add(1, std::memory_order_relaxed);
  } catch (const StoreError& e) {
    // A full disk, a file removed under us: this batch is lost (counted), the next is tried.
    if (dropped_write_failed_.fetch_add(batch.size(), std::memory_order_relaxed) == 0)
      spdlog::warn("store {}: cannot write spans ({}); they are counted in "
                   "otelbpf.store.spans{{outcome=dropped_write_failed}}",
                   options_.path, e.what());
    resource_ids_.clear();  // the rollback may have taken new resource rows with it
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
    // oldest share until the pages in use fit.
    while (used > options_.max_bytes) {
      const int64_t count = db_->QueryInt("SELECT COUNT(*) FROM spans").value_or(0);
      if (count == 0) break;
      const int64_t evict = std::max<int64_t>(1, static_cast<int64_t>(count * kEvictShare));
      Statement oldest(*db_,
                       "DELETE FROM spans WHERE id < (SELECT MIN(id) FROM spans) + ?1");
      oldest.Bind(1, evict);
      oldest.Step();
      evicted_size_.fetch_add(static_cast<uint64_t>(db_->Changes()), std::memory_order_relaxed);
      used = used_bytes();
    }
    // Resources no span refers to any more (processes long gone).
    db_->Execute(
        "DELETE FROM resources WHERE NOT EXISTS "
        "(SELECT 1 FROM spans WHERE spans.resource_id = resources.id)");
    if (db_->Changes() > 0) resource_ids_.clear();
    bytes_.store(used, std::memory_order_relaxed);
  } catch (const StoreError& e) {
    spdlog::warn("store {}: eviction failed: {}", options_.path, e.what());
  }
}

StoreStats SpanStore::stats() const {
  StoreStats s;
  s.written = written_.load(std::memory_order_relaxed);
  s.dropped_queue_full = dropped_queue_full_.load(std::memory_order_relaxed);
  s.dropped_write_failed = dropped_write_failed_.load(std::memory_order_relaxed);
  s.evicted_age = evicted_age_.load(std::memory_order_relaxed);
  s.evicted_size = evicted_size_.load(std::memory_order_relaxed);
  s.bytes = bytes_.load(std::memory_order_relaxed);
  s.batches = batches_.load(std::memory_order_relaxed);
  return s;
}

}  // namespace otelbpf::store
