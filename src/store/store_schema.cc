#include "store/store_schema.h"

#include <string>
#include <vector>

namespace otelbpf::store {
namespace {

// migrations[v] takes a file from version v to v + 1. Version 0 is an empty file. Append only:
// a released migration never changes, a new schema version adds one entry.
const std::vector<const char*>& Migrations() {
  static const std::vector<const char*> migrations = {
      // 0 -> 1: spans and their resources (one row per distinct process resource), network
      // events, metric snapshots.
      R"sql(
CREATE TABLE resources (
  id                INTEGER PRIMARY KEY,
  fingerprint       TEXT NOT NULL UNIQUE,  -- the attributes as JSON: equal resources share a row
  service_name      TEXT NOT NULL,
  service_namespace TEXT,
  pid               INTEGER,
  executable        TEXT,                  -- process.executable.name
  container_id      TEXT,
  k8s_namespace     TEXT,
  k8s_pod           TEXT,
  attributes        TEXT NOT NULL          -- JSON object
);
CREATE TABLE spans (
  id              INTEGER PRIMARY KEY,     -- insertion order: eviction removes the lowest ids
  trace_id        BLOB NOT NULL,           -- 16 bytes
  span_id         BLOB NOT NULL,           -- 8 bytes
  parent_span_id  BLOB,                    -- 8 bytes; NULL for a root span
  resource_id     INTEGER NOT NULL,        -- resources.id
  name            TEXT NOT NULL,
  kind            INTEGER NOT NULL,        -- OTLP SpanKind: 2 SERVER, 3 CLIENT
  protocol        TEXT NOT NULL,           -- http, grpc, dns, postgresql, mysql, redis, ...
  start_ns        INTEGER NOT NULL,        -- Unix nanoseconds
  duration_ns     INTEGER NOT NULL,
  status          INTEGER NOT NULL,        -- OTLP StatusCode: 0 unset, 1 ok, 2 error
  status_message  TEXT,
  http_method     TEXT,
  http_status     INTEGER,
  target          TEXT,   -- url.path, db.query.summary, dns.question.name, rpc.method
  route           TEXT,   -- http.route or url.template
  peer_service    TEXT,   -- service.peer.name (the other end, when known)
  caller_service  TEXT,   -- SERVER span: the service of the local CLIENT span it is stitched under
  callee_service  TEXT,   -- CLIENT span: the service of the local SERVER span that answered it
  weight          REAL NOT NULL DEFAULT 1, -- spans this one stands for (store sampling under load)
  peer_address    TEXT,   -- the other end's address: client of a SERVER span, server of a CLIENT span
  peer_port       INTEGER,
  local_port      INTEGER, -- a SERVER span's listening port
  attributes      TEXT NOT NULL,           -- JSON object, every span attribute
  events          TEXT                     -- JSON array of span events, NULL when none
);
CREATE INDEX spans_by_start ON spans(start_ns);
CREATE INDEX spans_by_resource ON spans(resource_id, start_ns);
-- No index on trace_id (random keys: a page written per span): a Bloom filter of the trace
-- ids of each block of 8192 span rows (block = id / 8192) finds the blocks to scan.
CREATE TABLE trace_blooms (
  block INTEGER PRIMARY KEY,
  bloom BLOB NOT NULL
);
-- What the kernel saw besides requests (store/net_event.h).
CREATE TABLE net_events (
  id             INTEGER PRIMARY KEY,
  time_ns        INTEGER NOT NULL,  -- Unix nanoseconds
  kind           TEXT NOT NULL,     -- tcp_up, tcp_failed, tcp_down, tcp_retransmit, dns_lookup
  resource_id    INTEGER,           -- resources.id; NULL when the process is unknown
  local_address  TEXT,
  local_port     INTEGER,
  peer_address   TEXT,
  peer_port      INTEGER,
  duration_ns    INTEGER,
  name           TEXT,              -- dns_lookup: the name
  result         INTEGER,           -- tcp_failed: errno; dns_lookup: getaddrinfo's return
  details        TEXT               -- JSON
);
CREATE INDEX net_events_by_time ON net_events(time_ns);
-- The agent's metrics, every minute, the points that changed (store/metric_points.h).
CREATE TABLE metric_points (
  id           INTEGER PRIMARY KEY,
  time_ns      INTEGER NOT NULL,  -- Unix nanoseconds: collected
  start_ns     INTEGER NOT NULL,  -- the series' start (cumulative values count from it)
  resource_id  INTEGER NOT NULL,  -- resources.id (otelbpf's own for its self-metrics)
  name         TEXT NOT NULL,
  unit         TEXT,
  kind         INTEGER NOT NULL,  -- 0 counter, 1 up-down counter, 2 gauge, 3 histogram
  attributes   TEXT NOT NULL,     -- JSON object
  value        REAL NOT NULL,     -- counters, gauges: the value; histograms: the sum
  count        INTEGER,           -- histograms: observations
  buckets      TEXT               -- histograms: {"bounds":[..],"counts":[..]}
);
CREATE INDEX metric_points_by_time ON metric_points(time_ns);
)sql",
  };
  return migrations;
}

int UserVersion(Database& db) {
  return static_cast<int>(db.QueryInt("PRAGMA user_version").value_or(0));
}

}  // namespace

void ConfigureConnection(Database& db, bool writer) {
  if (writer) {
    // 16 KiB pages (set before the file's first table and before WAL, or it has no effect):
    // a quarter of the page writes of SQLite's 4 KiB default for the same rows, and each span
    // row (~600 bytes) shares its page with more neighbours.
    db.Execute("PRAGMA page_size=16384");
    db.Execute("PRAGMA journal_mode=WAL");
    // NORMAL in WAL mode: a crash of otelbpf (kill -9) loses nothing committed; only a power
    // loss may lose the last batches. FULL would fsync every batch.
    db.Execute("PRAGMA synchronous=NORMAL");
    // The WAL file is truncated back to this after a checkpoint (bytes).
    db.Execute("PRAGMA journal_size_limit=16777216");
    // With SQLite's 2 MiB default cache the writer read pages back on every batch (pread was
    // ~17 % of its CPU at 200k spans, measured while a trace-id index still existed;
    // docs/performance.md). 8 MiB holds the hot leaves of both indexes and the last blocks.
    // It is also the largest part of the store's memory (test_store measures the agent's RSS).
    db.Execute("PRAGMA cache_size=-8192");  // KiB
  }
  db.Execute("PRAGMA foreign_keys=OFF");
}

void CreateOrMigrate(Database& db) {
  const int version = UserVersion(db);
  if (version > kSchemaVersion)
    throw StoreError("the store " + db.path() + " has schema version " + std::to_string(version) +
                     ", written by a newer otelbpf (this one knows version " +
                     std::to_string(kSchemaVersion) + "): use another --store file");
  const auto& migrations = Migrations();
  for (int v = version; v < kSchemaVersion; ++v) {
    Transaction t(db);
    db.Execute(migrations[static_cast<size_t>(v)]);
    db.Execute("PRAGMA user_version=" + std::to_string(v + 1));
    t.Commit();
  }
}

void CheckReadable(Database& db) {
  const int version = UserVersion(db);
  if (version == kSchemaVersion) return;
  if (version == 0)
    throw StoreError(db.path() + " is not an otelbpf store (or is empty): `otelbpf run` creates " +
                     "it; --store PATH names another one");
  if (version < kSchemaVersion)
    throw StoreError("the store " + db.path() + " has schema version " + std::to_string(version) +
                     " (older): start `otelbpf run` once with this --store to migrate it");
  throw StoreError("the store " + db.path() + " has schema version " + std::to_string(version) +
                   ", written by a newer otelbpf: use that otelbpf to read it");
}

}  // namespace otelbpf::store
