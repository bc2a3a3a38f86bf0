// The embedded store: schema and migrations, bounds (size and age), the writer lock, reads
// while the writer writes, and a store left by a writer killed mid-batch.
#include <signal.h>
#include <sys/wait.h>

#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "store/net_event_query.h"
#include "store/span_query.h"
#include "store/span_store.h"
#include "store/sqlite_db.h"
#include "store/store_schema.h"
#include "store_test_support.h"

namespace otelbpf::store {
namespace {

using testing::MakeHttpSpan;
using testing::MakeResource;
using testing::TempStoreDir;

constexpr uint64_t kSecond = 1000000000ull;

uint64_t Now() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

StoreOptions OptionsFor(const std::string& path) {
  StoreOptions o;
  o.path = path;
  o.batch_interval = std::chrono::milliseconds(20);
  o.bounds_every_batches = 1;
  o.max_spans_per_second = 0;  // these tests write bursts: every span must be kept
  return o;
}

int64_t CountSpans(const std::string& path) {
  auto db = OpenForReading(path);
  return db->QueryInt("SELECT COUNT(*) FROM spans").value_or(-1);
}

TEST(StoreTest, WritesSpansAndTheirResourceOnce) {
  TempStoreDir dir;
  auto nginx = MakeResource("nginx", 10);
  {
    SpanStore store(OptionsFor(dir.File()));
    for (uint8_t i = 1; i <= 5; ++i)
      store.Consume(MakeHttpSpan(nginx, SpanKind::kServer, i, i, 0, Now(), 1000, "GET", "/a", 200));
    store.Flush();
    EXPECT_EQ(store.stats().written, 5u);
  }
  auto db = OpenForReading(dir.File());
  EXPECT_EQ(db->QueryInt("SELECT COUNT(*) FROM spans"), 5);
  EXPECT_EQ(db->QueryInt("SELECT COUNT(*) FROM resources"), 1);
  const auto spans = QuerySpans(*db, SpanFilter{});
  ASSERT_EQ(spans.size(), 5u);
  EXPECT_EQ(spans[0].resource.service_name, "nginx");
  EXPECT_EQ(spans[0].resource.pid, 10);
  EXPECT_EQ(spans[0].http_status, 200);
  EXPECT_EQ(spans[0].target, "/a");
  EXPECT_EQ(spans[0].peer_address, "10.0.0.9");
  EXPECT_EQ(spans[0].local_port, 8080);
  EXPECT_EQ(spans[4].trace_id[15], 5);
}

TEST(StoreTest, ShutdownWritesWhatIsQueued) {
  TempStoreDir dir;
  auto r = MakeResource("svc", 1);
  StoreOptions o = OptionsFor(dir.File());
  o.batch_interval = std::chrono::seconds(60);  // only Shutdown can write them
  SpanStore store(o);
  for (uint8_t i = 1; i <= 3; ++i)
    store.Consume(MakeHttpSpan(r, SpanKind::kClient, i, i, 0, Now(), 10, "GET", "/", 200));
  store.Shutdown();
  EXPECT_EQ(CountSpans(dir.File()), 3);
}

TEST(StoreTest, QueueFullDropsAreCounted) {
  TempStoreDir dir;
  auto r = MakeResource("svc", 1);
  StoreOptions o = OptionsFor(dir.File());
  o.queue_capacity = 4;
  o.batch_interval = std::chrono::seconds(60);
  SpanStore store(o);
  for (uint8_t i = 1; i <= 10; ++i)
    store.Consume(MakeHttpSpan(r, SpanKind::kClient, i, i, 0, Now(), 10, "GET", "/", 200));
  store.Shutdown();
  EXPECT_EQ(store.stats().dropped_queue_full, 6u);
  EXPECT_EQ(store.stats().written, 4u);
  EXPECT_EQ(CountSpans(dir.File()), 4);
}

TEST(StoreTest, RetentionEvictsOldSpansAndTheirResources) {
  TempStoreDir dir;
  StoreOptions o = OptionsFor(dir.File());
  o.retention = std::chrono::seconds(3600);
  SpanStore store(o);
  const uint64_t now = Now();
  store.Consume(MakeHttpSpan(MakeResource("old", 1), SpanKind::kServer, 1, 1, 0,
                             now - 7200 * kSecond, 10, "GET", "/", 200));
  store.Consume(MakeHttpSpan(MakeResource("new", 2), SpanKind::kServer, 2, 2, 0, now, 10, "GET",
                             "/", 200));
  store.Flush();
  store.Shutdown();  // a last bounds pass
  EXPECT_EQ(store.stats().evicted_age, 1u);
  auto db = OpenForReading(dir.File());
  const auto spans = QuerySpans(*db, SpanFilter{});
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0].resource.service_name, "new");
  EXPECT_EQ(db->QueryInt("SELECT COUNT(*) FROM resources"), 1);  // "old" went with its span
}

TEST(StoreTest, SizeBoundEvictsOldestFirstAndHoldsTheBound) {
  TempStoreDir dir;
  StoreOptions o = OptionsFor(dir.File());
  o.max_bytes = 512 * 1024;
  SpanStore store(o);
  auto r = MakeResource("svc", 1);
  const uint64_t now = Now();
  const std::string long_path = "/" + std::string(400, 'p');
  for (int batch = 0; batch < 20; ++batch) {
    for (int i = 0; i < 200; ++i) {
      Span s = MakeHttpSpan(r, SpanKind::kServer, static_cast<uint8_t>(batch), 1, 0,
                            now + static_cast<uint64_t>(batch * 200 + i), 10, "GET", long_path,
                            200);
      s.trace_id[0] = static_cast<uint8_t>(i);
      store.Consume(s);
    }
    store.Flush();
  }
  store.Shutdown();
  const StoreStats st = store.stats();
  EXPECT_EQ(st.written, 4000u);
  EXPECT_GT(st.evicted_size, 0u);
  EXPECT_LE(st.bytes, o.max_bytes);
  auto db = OpenForReading(dir.File());
  const int64_t pages = *db->QueryInt("PRAGMA page_count") - *db->QueryInt("PRAGMA freelist_count");
  EXPECT_LE(static_cast<uint64_t>(pages * *db->QueryInt("PRAGMA page_size")), o.max_bytes);
  // What is left is the newest: the last span written survives, the first does not.
  const auto newest = QuerySpans(*db, SpanFilter{.last = 1});
  ASSERT_EQ(newest.size(), 1u);
  EXPECT_EQ(newest[0].start_ns, now + 3999);
  EXPECT_GT(*db->QueryInt("SELECT MIN(start_ns) FROM spans"), static_cast<int64_t>(now));
}

TEST(StoreTest, OneWriterPerFile) {
  TempStoreDir dir;
  SpanStore first(OptionsFor(dir.File()));
  try {
    SpanStore second(OptionsFor(dir.File()));
    FAIL() << "a second writer opened the same store";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("another otelbpf is writing"), std::string::npos)
        << e.what();
  }
}

TEST(StoreTest, RefusesAStoreFromANewerOtelbpf) {
  TempStoreDir dir;
  {
    Database db(dir.File(), Database::Mode::kReadWrite);
    db.Execute("PRAGMA user_version=" + std::to_string(kSchemaVersion + 1));
  }
  EXPECT_THROW(SpanStore store(OptionsFor(dir.File())), StoreError);
  EXPECT_THROW(OpenForReading(dir.File()), StoreError);
}

TEST(StoreTest, ReadersRefuseWhatIsNotAStore) {
  TempStoreDir dir;
  EXPECT_THROW(OpenForReading(dir.File("missing.db")), StoreError);
  { Database empty(dir.File("empty.db"), Database::Mode::kReadWrite); }
  EXPECT_THROW(OpenForReading(dir.File("empty.db")), StoreError);
}

TEST(StoreTest, ReadsWhileTheWriterWritesSeeWholeBatches) {
  TempStoreDir dir;
  StoreOptions o = OptionsFor(dir.File());
  o.batch_interval = std::chrono::seconds(60);  // batches are cut by Flush only
  SpanStore store(o);
  auto r = MakeResource("svc", 1);
  constexpr int kBatch = 50;
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int b = 0; b < 40; ++b) {
      for (int i = 0; i < kBatch; ++i)
        store.Consume(MakeHttpSpan(r, SpanKind::kServer, static_cast<uint8_t>(b), 1, 0, Now(), 10,
                                   "GET", "/", 200));
      store.Flush();  // each Flush commits exactly the 50 queued: whole batches only
    }
    done = true;
  });
  auto db = OpenForReading(dir.File());
  int reads = 0;
  while (!done) {
    const int64_t n = db->QueryInt("SELECT COUNT(*) FROM spans").value_or(-1);
    EXPECT_EQ(n % kBatch, 0) << "a reader saw half a batch";
    ++reads;
  }
  writer.join();
  EXPECT_GT(reads, 0);
  EXPECT_EQ(db->QueryInt("SELECT COUNT(*) FROM spans"), 40 * kBatch);
}

TEST(StoreTest, AWriterKilledMidWayLeavesAReadableStore) {
  TempStoreDir dir;
  const std::string path = dir.File();
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // The writer: commits batches as fast as it can until killed.
    StoreOptions o = OptionsFor(path);
    o.batch_interval = std::chrono::milliseconds(1);
    SpanStore store(o);
    auto r = MakeResource("svc", 1);
    for (uint32_t i = 0;; ++i)
      store.Consume(MakeHttpSpan(r, SpanKind::kServer, static_cast<uint8_t>(i), 1, 0, Now(), 10,
                                 "GET", "/", 200));
  }
  // Let it write for a while, then SIGKILL it: no destructor, no checkpoint, no unlock.
  for (int i = 0; i < 200; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    try {
      if (CountSpans(path) > 1000) break;
    } catch (const StoreError&) {
      // Not created yet.
    }
  }
  kill(child, SIGKILL);
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));
  const int64_t before = CountSpans(path);
  EXPECT_GT(before, 1000);
  {
    auto db = OpenForReading(path);
    Statement check(*db, "PRAGMA integrity_check");
    ASSERT_TRUE(check.Step());
    EXPECT_EQ(check.Text(0), "ok");
  }
  // The next agent takes the store over (the dead writer's lock died with it) and appends.
  SpanStore next(OptionsFor(path));
  next.Consume(MakeHttpSpan(MakeResource("svc", 1), SpanKind::kServer, 1, 1, 0, Now(), 10, "GET",
                            "/", 200));
  next.Flush();
  EXPECT_EQ(CountSpans(path), before + 1);
}

NetEvent MakeNetEvent(const std::string& kind, ResourcePtr resource, uint64_t time_ns,
                      int64_t peer_port) {
  NetEvent e;
  e.kind = kind;
  e.time_ns = time_ns;
  e.local_address = "127.0.0.1";
  e.local_port = 40000;
  e.peer_address = "127.0.0.1";
  e.peer_port = peer_port;
  e.details_json = "{\"role\":\"client\"}";
  e.resource = std::move(resource);
  return e;
}

TEST(StoreTest, NetEventsAreWrittenFilteredAndEvictedByAge) {
  TempStoreDir dir;
  StoreOptions o = OptionsFor(dir.File());
  o.retention = std::chrono::seconds(3600);
  SpanStore store(o);
  const uint64_t now = Now();
  auto curl = MakeResource("curl", 7);
  auto nginx = MakeResource("nginx", 8);
  store.RecordNetEvent(MakeNetEvent("tcp_up", curl, now - 7200 * kSecond, 80));  // too old
  store.RecordNetEvent(MakeNetEvent("tcp_up", curl, now - 2 * kSecond, 80));
  NetEvent failed = MakeNetEvent("tcp_failed", curl, now - kSecond, 81);
  failed.result = 111;
  store.RecordNetEvent(std::move(failed));
  NetEvent lookup = MakeNetEvent("dns_lookup", nginx, now, 0);
  lookup.name = "example.test";
  lookup.duration_ns = 1500000;
  store.RecordNetEvent(std::move(lookup));
  store.Flush();
  store.Shutdown();  // a last bounds pass
  EXPECT_EQ(store.stats().net_events_written, 4u);

  auto db = OpenForReading(dir.File());
  const auto all = QueryNetEvents(*db, NetEventFilter{});
  ASSERT_EQ(all.size(), 3u);  // the two-hour-old one was evicted
  EXPECT_EQ(all[0].kind, "tcp_up");  // oldest first
  EXPECT_EQ(all[0].service, "curl");
  EXPECT_EQ(all[0].pid, 7);
  EXPECT_EQ(all[0].peer_port, 80);
  EXPECT_EQ(all[0].details_json, "{\"role\":\"client\"}");
  EXPECT_EQ(all[1].result, 111);
  EXPECT_EQ(all[2].name, "example.test");
  EXPECT_EQ(all[2].duration_ns, 1500000u);

  NetEventFilter failures;
  failures.kinds = {"tcp_failed"};
  ASSERT_EQ(QueryNetEvents(*db, failures).size(), 1u);
  NetEventFilter of_nginx;
  of_nginx.services = {"nginx"};
  ASSERT_EQ(QueryNetEvents(*db, of_nginx).size(), 1u);
  NetEventFilter newest;
  newest.last = 2;
  const auto two = QueryNetEvents(*db, newest);
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(two[0].kind, "tcp_failed");
  EXPECT_EQ(two[1].kind, "dns_lookup");
  NetEventFilter recent;
  recent.since_ns = now - kSecond / 2;
  ASSERT_EQ(QueryNetEvents(*db, recent).size(), 1u);
}

TEST(StoreTest, NetEventsOverTheRateAreDroppedAndCounted) {
  TempStoreDir dir;
  StoreOptions o = OptionsFor(dir.File());
  o.max_net_events_per_second = 5;
  SpanStore store(o);
  auto curl = MakeResource("curl", 7);
  for (int i = 0; i < 12; ++i) store.RecordNetEvent(MakeNetEvent("tcp_up", curl, Now(), 80));
  store.Flush();
  // Twelve within well under a second: the first five kept, seven dropped. (A slow machine
  // may cross a second boundary and keep up to five more; never fewer than five.)
  const StoreStats st = store.stats();
  EXPECT_EQ(st.net_events_written + st.net_events_dropped, 12u);
  EXPECT_GE(st.net_events_written, 5u);
  EXPECT_LE(st.net_events_written, 10u);
}

}  // namespace
}  // namespace otelbpf::store
