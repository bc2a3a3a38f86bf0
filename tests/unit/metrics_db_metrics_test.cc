#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "export/prometheus/prometheus_naming.h"
#include "export/prometheus/prometheus_text.h"
#include "metrics/db_metrics.h"
#include "metrics/series_key_values.h"
#include "protocols/common/db_span.h"

namespace otelbpf::metrics {
namespace {

constexpr uint64_t kStart = 1700000000000000000ull;
constexpr const char* kDuration = "db.client.operation.duration";
// What must never reach a metric: it stands for a literal the statement carried.
constexpr const char* kSecret = "hunter2-s3cret";

ResourcePtr MakeResource(const std::string& service) {
  auto r = std::make_shared<Resource>();
  r->attributes = {{"service.name", service}};
  return r;
}

ConnectionInfo ClientConnection(const ResourcePtr& resource) {
  ConnectionInfo c;
  c.role = ConnectionRole::kClient;
  c.local = {"10.0.0.7", 51000};
  c.peer = {"10.0.0.5", 5432};
  c.resource = resource;
  return c;
}

// A call as a PostgreSQL matcher would fill it, with the raw statement in db.query.text.
DbCall SelectCall(uint64_t duration_ns) {
  DbCall call;
  call.system = "postgresql";
  call.namespace_name = "shop";
  call.operation = "SELECT";
  call.collection = "users";
  call.query_text = std::string("SELECT * FROM users WHERE password = '") + kSecret + "'";
  call.query_summary = "SELECT users";
  call.returned_rows = 3;
  call.start_ns = 1000;
  call.end_ns = 1000 + duration_ns;
  return call;
}

// The span the real builder makes of `call` on the client connection of `resource`.
Span DbClientSpan(const ResourcePtr& resource, const DbCall& call) {
  SpanBuildOptions options;
  options.monotonic_to_realtime_ns = kStart - 1000;  // the call starts at kStart
  return BuildDbSpan(call, ClientConnection(resource), options);
}

Span SelectSpan(const ResourcePtr& resource, uint64_t duration_ns = 2'000'000) {
  return DbClientSpan(resource, SelectCall(duration_ns));
}

// A span made by hand, for what no builder makes (other families, odd values).
Span HandMadeSpan(const ResourcePtr& resource, SemanticFamily family, SpanKind kind) {
  Span s;
  s.family = family;
  s.kind = kind;
  s.resource = resource;
  s.start_time_unix_nano = kStart;
  s.end_time_unix_nano = kStart + 1'000'000;
  s.attributes = {{"db.system.name", std::string("redis")},
                  {"db.operation.name", std::string("GET")},
                  {"http.request.method", std::string("GET")}};
  return s;
}

MetricsSnapshot CollectAll(DbMetrics& m, uint64_t now = kStart + 1'000'000'000) {
  MetricsSnapshot out;
  m.Collect(now, &out);
  return out;
}

std::string Describe(const Attributes& attributes) {
  std::string out;
  for (const auto& a : attributes) {
    out += a.key.str() + "=";
    std::visit(
        [&](const auto& v) {
          if constexpr (std::is_same_v<std::decay_t<decltype(v)>, std::string>) {
            out += v;
          } else {
            out += std::to_string(v);
          }
        },
        a.value);
    out += ";";
  }
  return out;
}

const HistogramValue& Hist(const DataPoint& p) { return std::get<HistogramValue>(p.value); }

// The one metric of the one resource in `snap`.
const MetricData& OnlyMetric(const MetricsSnapshot& snap) {
  EXPECT_EQ(snap.size(), 1u);
  EXPECT_EQ(snap.at(0).metrics.size(), 1u);
  return snap.at(0).metrics.at(0);
}

TEST(MetricsDbMetricsTest, ClientSpanFeedsTheDurationHistogram) {
  DbMetrics metrics;
  const ResourcePtr app = MakeResource("app");
  metrics.Record(SelectSpan(app, 5'000'000));  // exactly 0.005 s: le="0.005"
  const MetricsSnapshot snap = CollectAll(metrics);
  ASSERT_EQ(snap.size(), 1u);
  EXPECT_EQ(snap[0].resource, app);
  const MetricData& md = OnlyMetric(snap);
  EXPECT_EQ(md.name, kDuration);
  EXPECT_EQ(md.description, "Duration of database client operations.");
  EXPECT_EQ(md.unit, "s");
  EXPECT_EQ(md.kind, MetricKind::kHistogram);
  ASSERT_EQ(md.points.size(), 1u);
  const DataPoint& p = md.points[0];
  // The semconv attributes only: no query text or summary, no rows, no peer, no client side.
  EXPECT_EQ(Describe(p.attributes),
            "db.system.name=postgresql;db.namespace=shop;db.operation.name=SELECT;"
            "db.collection.name=users;server.address=10.0.0.5;server.port=5432;");
  EXPECT_EQ(p.start_time_unix_nano, kStart);
  EXPECT_EQ(p.time_unix_nano, kStart + 1'000'000'000);
  const HistogramValue& h = Hist(p);
  EXPECT_EQ(h.bounds, (std::vector<double>{0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10}));
  ASSERT_EQ(h.bucket_counts.size(), 10u);
  EXPECT_EQ(h.count, 1u);
  EXPECT_EQ(h.bucket_counts[1], 1u);  // (0.001, 0.005]
  EXPECT_DOUBLE_EQ(h.sum, 0.005);
}

TEST(MetricsDbMetricsTest, QueryTextAndItsSecretsNeverReachAMetric) {
  DbMetrics metrics;
  DbCall call = SelectCall(1000);
  call.collection = "";  // nothing certain: the query text must still not stand in for it
  call.status_code = "28P01";
  call.error_type = "28P01";
  metrics.Record(DbClientSpan(MakeResource("app"), call));
  const MetricsSnapshot snap = CollectAll(metrics);
  const MetricData& md = OnlyMetric(snap);
  for (const DataPoint& p : md.points) {
    EXPECT_EQ(FindAttribute(p.attributes, "db.query.text"), nullptr);
    EXPECT_EQ(FindAttribute(p.attributes, "db.query.summary"), nullptr);
    for (const Attribute& a : p.attributes) {
      const auto* s = std::get_if<std::string>(&a.value);
      if (s == nullptr) continue;
      EXPECT_EQ(s->find(kSecret), std::string::npos) << a.key;
      EXPECT_EQ(s->find("password"), std::string::npos) << a.key;
    }
  }
  // And not in the exposition either.
  EXPECT_EQ(prometheus::FormatPrometheusText(snap).find(kSecret), std::string::npos);
}

TEST(MetricsDbMetricsTest, FailedOperationCarriesStatusCodeAndErrorType) {
  DbMetrics metrics;
  DbCall call = SelectCall(1'000'000);
  call.status_code = "42P01";
  call.error_type = "42P01";
  metrics.Record(DbClientSpan(MakeResource("app"), call));
  DbCall closed = SelectCall(1'000'000);
  closed.error_type = "connection_reset";
  metrics.Record(DbClientSpan(MakeResource("app2"), closed));
  const MetricsSnapshot snap = CollectAll(metrics);
  ASSERT_EQ(snap.size(), 2u);
  std::vector<std::string> described;
  for (const auto& rm : snap)
    described.push_back(Describe(rm.metrics.at(0).points.at(0).attributes));
  std::sort(described.begin(), described.end());
  EXPECT_EQ(described[0],
            "db.system.name=postgresql;db.namespace=shop;db.operation.name=SELECT;"
            "db.collection.name=users;db.response.status_code=42P01;error.type=42P01;"
            "server.address=10.0.0.5;server.port=5432;");
  EXPECT_EQ(described[1],
            "db.system.name=postgresql;db.namespace=shop;db.operation.name=SELECT;"
            "db.collection.name=users;error.type=connection_reset;"
            "server.address=10.0.0.5;server.port=5432;");
}

TEST(MetricsDbMetricsTest, MissingAttributesAreLeftOut) {
  DbMetrics metrics;
  DbCall call;
  call.system = "redis";
  call.operation = "PING";
  call.start_ns = 1000;
  call.end_ns = 1000;  // zero duration
  ConnectionInfo connection;
  connection.role = ConnectionRole::kClient;
  connection.resource = MakeResource("app");
  metrics.Record(BuildDbSpan(call, connection, SpanBuildOptions{}));
  const MetricsSnapshot snap = CollectAll(metrics);
  const DataPoint& p = OnlyMetric(snap).points.at(0);
  EXPECT_EQ(Describe(p.attributes), "db.system.name=redis;db.operation.name=PING;");
  EXPECT_EQ(Hist(p).bucket_counts[0], 1u);
  EXPECT_DOUBLE_EQ(Hist(p).sum, 0);
}

TEST(MetricsDbMetricsTest, BucketsFollowTheSemconvAdvice) {
  DbMetrics metrics;
  const ResourcePtr r = MakeResource("app");
  // A value equal to a bound counts in the bucket it closes; past 10 s is the +Inf bucket.
  for (uint64_t ns : {1'000'000ull, 1'000'001ull, 10'000'000'000ull, 11'000'000'000ull}) {
    metrics.Record(SelectSpan(r, ns));
  }
  const MetricsSnapshot snap = CollectAll(metrics);
  const HistogramValue& h = Hist(OnlyMetric(snap).points.at(0));
  EXPECT_EQ(h.bucket_counts, (std::vector<uint64_t>{1, 1, 0, 0, 0, 0, 0, 0, 1, 1}));
  EXPECT_DOUBLE_EQ(h.min, 0.001);
  EXPECT_DOUBLE_EQ(h.max, 11);
  const auto bounds = DbDurationBoundsSeconds();
  EXPECT_EQ(std::vector<double>(bounds.begin(), bounds.end()), h.bounds);
}

TEST(MetricsDbMetricsTest, ServerSpansAndOtherFamiliesFeedNothing) {
  DbMetrics metrics;
  const ResourcePtr db = MakeResource("postgres");
  // The observed process is the database: a SERVER span, no metric in the conventions.
  ConnectionInfo server = ClientConnection(db);
  server.role = ConnectionRole::kServer;
  const Span server_span = BuildDbSpan(SelectCall(1000), server, SpanBuildOptions{});
  ASSERT_EQ(server_span.kind, SpanKind::kServer);
  metrics.Record(server_span);
  metrics.Record(HandMadeSpan(db, SemanticFamily::kDb, SpanKind::kInternal));
  metrics.Record(HandMadeSpan(db, SemanticFamily::kHttp, SpanKind::kClient));
  metrics.Record(HandMadeSpan(db, SemanticFamily::kNone, SpanKind::kClient));
  metrics.Record(HandMadeSpan(db, SemanticFamily::kDns, SpanKind::kClient));
  EXPECT_EQ(metrics.series_count(), 0u);
  EXPECT_EQ(metrics.resource_count(), 0u);
  EXPECT_TRUE(CollectAll(metrics).empty());
  // The same hand-made span as a database CLIENT span does count.
  metrics.Record(HandMadeSpan(db, SemanticFamily::kDb, SpanKind::kClient));
  EXPECT_EQ(Describe(OnlyMetric(CollectAll(metrics)).points.at(0).attributes),
            "db.system.name=redis;db.operation.name=GET;");
}

TEST(MetricsDbMetricsTest, SameAttributesShareASeriesAndResourcesStayApart) {
  DbMetrics metrics;
  const ResourcePtr a = MakeResource("a");
  const ResourcePtr b = MakeResource("b");
  metrics.Record(SelectSpan(a));
  DbCall other_text = SelectCall(3'000'000);
  other_text.query_text = "SELECT id FROM users";  // another text, same series
  other_text.query_summary = "SELECT users (2)";
  metrics.Record(DbClientSpan(a, other_text));
  DbCall insert = SelectCall(1'000'000);
  insert.operation = "INSERT";
  metrics.Record(DbClientSpan(a, insert));
  metrics.Record(SelectSpan(b));
  EXPECT_EQ(metrics.series_count(), 3u);
  EXPECT_EQ(metrics.resource_count(), 2u);
  const MetricsSnapshot snap = CollectAll(metrics);
  ASSERT_EQ(snap.size(), 2u);
  for (const ResourceMetrics& rm : snap) {
    ASSERT_EQ(rm.metrics.size(), 1u);
    const MetricData& d = rm.metrics[0];
    if (rm.resource == a) {
      ASSERT_EQ(d.points.size(), 2u);
      EXPECT_EQ(Hist(d.points[0]).count, 2u);  // creation order: SELECT first
      EXPECT_DOUBLE_EQ(Hist(d.points[0]).sum, 0.005);
      EXPECT_EQ(Hist(d.points[1]).count, 1u);
      EXPECT_EQ(std::get<std::string>(*FindAttribute(d.points[1].attributes, "db.operation.name")),
                "INSERT");
    } else {
      ASSERT_EQ(rm.resource, b);
      ASSERT_EQ(d.points.size(), 1u);
      EXPECT_EQ(Hist(d.points[0]).count, 1u);
    }
  }
}

TEST(MetricsDbMetricsTest, CumulativeAcrossCollections) {
  DbMetrics metrics;
  const ResourcePtr r = MakeResource("a");
  metrics.Record(SelectSpan(r));
  CollectAll(metrics);
  metrics.Record(SelectSpan(r));
  const MetricsSnapshot snap = CollectAll(metrics, kStart + 2'000'000'000);
  const DataPoint& p = OnlyMetric(snap).points.at(0);
  EXPECT_EQ(Hist(p).count, 2u);
  EXPECT_EQ(p.start_time_unix_nano, kStart);
  EXPECT_EQ(p.time_unix_nano, kStart + 2'000'000'000);
}

TEST(MetricsDbMetricsTest, CardinalityLimitSendsNewSeriesToOneOverflowSeries) {
  DbMetrics metrics;  // default limit 2000, like the HTTP metrics
  const ResourcePtr r = MakeResource("orm");
  for (int i = 0; i < 2001; ++i) {
    DbCall call = SelectCall(1000);
    call.collection = "table" + std::to_string(i);
    metrics.Record(DbClientSpan(r, call));
  }
  EXPECT_EQ(metrics.overflow_measurements(), 1u);
  DbCall late = SelectCall(1000);
  late.collection = "late";
  metrics.Record(DbClientSpan(r, late));
  metrics.Record(SelectSpan(r));  // "users": not among the 2000, also overflow
  DbCall first = SelectCall(1000);
  first.collection = "table0";
  metrics.Record(DbClientSpan(r, first));  // an existing series still records normally
  EXPECT_EQ(metrics.overflow_measurements(), 3u);
  EXPECT_EQ(metrics.series_count(), 2001u);  // 2000 + overflow

  const MetricsSnapshot snap = CollectAll(metrics);
  const MetricData& md = OnlyMetric(snap);
  ASSERT_EQ(md.points.size(), 2001u);
  const DataPoint& overflow = md.points.back();
  EXPECT_EQ(Describe(overflow.attributes), "otel.metric.overflow=1;");
  EXPECT_EQ(std::get<bool>(overflow.attributes[0].value), true);
  EXPECT_EQ(Hist(overflow).count, 3u);
  EXPECT_EQ(Hist(md.points[0]).count, 2u);  // table0
}

TEST(MetricsDbMetricsTest, CardinalityLimitIsConfigurable) {
  DbMetrics metrics(DbMetricsOptions{.max_series_per_metric = 2});
  const ResourcePtr r = MakeResource("a");
  for (const char* op : {"SELECT", "INSERT", "UPDATE", "DELETE"}) {
    DbCall call = SelectCall(1000);
    call.operation = op;
    metrics.Record(DbClientSpan(r, call));
  }
  EXPECT_EQ(metrics.series_count(), 3u);
  EXPECT_EQ(metrics.overflow_measurements(), 2u);
}

TEST(MetricsDbMetricsTest, LongValuesAreCutAtAUtf8Boundary) {
  DbMetrics metrics;
  std::string name(kMaxSeriesValueBytes - 1, 'n');
  name += "\xC3\xA9tail";  // a 2-byte character straddling the limit
  DbCall call = SelectCall(1000);
  call.namespace_name = name;
  metrics.Record(DbClientSpan(MakeResource("c"), call));
  const MetricsSnapshot snap = CollectAll(metrics);
  const AttributeValue* ns =
      FindAttribute(OnlyMetric(snap).points.at(0).attributes, "db.namespace");
  ASSERT_NE(ns, nullptr);
  EXPECT_EQ(std::get<std::string>(*ns), std::string(kMaxSeriesValueBytes - 1, 'n'));
}

TEST(MetricsDbMetricsTest, ForgottenResourceIsReportedOnceMoreThenDropped) {
  DbMetrics metrics;
  ResourcePtr gone = MakeResource("gone");
  const ResourcePtr stays = MakeResource("stays");
  metrics.Record(SelectSpan(gone));
  metrics.Record(SelectSpan(stays));
  metrics.ForgetResource(gone.get());
  metrics.Record(SelectSpan(gone));  // a late span before the collection still counts
  const Resource* gone_address = gone.get();
  gone.reset();  // the agent let go: DbMetrics keeps it alive until it is reported

  const MetricsSnapshot first = CollectAll(metrics);
  ASSERT_EQ(first.size(), 2u);
  bool saw_gone = false;
  for (const auto& rm : first) {
    if (rm.resource.get() == gone_address) {
      saw_gone = true;
      EXPECT_EQ(Hist(rm.metrics.at(0).points.at(0)).count, 2u);
    }
  }
  EXPECT_TRUE(saw_gone);
  EXPECT_EQ(metrics.resource_count(), 1u);
  const MetricsSnapshot second = CollectAll(metrics);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].resource, stays);
  metrics.ForgetResource(nullptr);  // unknown resources are ignored
}

TEST(MetricsDbMetricsTest, ForgottenResourceRetentionKeepsItForEveryExporter) {
  DbMetrics metrics(DbMetricsOptions{.forgotten_retention_ns = 60'000'000'000});
  const ResourcePtr r = MakeResource("gone");
  metrics.Record(SelectSpan(r));
  metrics.ForgetResource(r.get());
  EXPECT_EQ(CollectAll(metrics, kStart).size(), 1u);
  EXPECT_EQ(CollectAll(metrics, kStart + 30'000'000'000).size(), 1u);  // another exporter
  EXPECT_EQ(CollectAll(metrics, kStart + 60'000'000'000).size(), 1u);  // last report
  EXPECT_EQ(CollectAll(metrics, kStart + 61'000'000'000).size(), 0u);
  EXPECT_EQ(metrics.resource_count(), 0u);
}

TEST(MetricsDbMetricsTest, TooManyResourcesAreDroppedAndCounted) {
  DbMetrics metrics(DbMetricsOptions{.max_resources = 1});
  metrics.Record(SelectSpan(MakeResource("a")));
  metrics.Record(SelectSpan(MakeResource("b")));
  EXPECT_EQ(metrics.resource_count(), 1u);
  EXPECT_EQ(metrics.dropped_measurements(), 1u);
}

TEST(MetricsDbMetricsTest, PrometheusExpositionNamesTheMetricInSeconds) {
  EXPECT_EQ(prometheus::PrometheusMetricName(kDuration, "s", MetricKind::kHistogram),
            "db_client_operation_duration_seconds");
  DbMetrics metrics;
  metrics.Record(SelectSpan(MakeResource("app"), 5'000'000));
  const std::string text = prometheus::FormatPrometheusText(CollectAll(metrics));
  EXPECT_NE(text.find("# TYPE db_client_operation_duration_seconds histogram\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("db_client_operation_duration_seconds_bucket{"), std::string::npos);
  EXPECT_NE(text.find("db_system_name=\"postgresql\""), std::string::npos);
  EXPECT_NE(text.find("le=\"0.005\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("le=\"0.001\"} 0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("db_client_operation_duration_seconds_count{"), std::string::npos);
}

// Record on one thread while another collects and a third forgets the resource being recorded
// into (its series are dropped and re-created over and over). Meant for the sanitized build.
TEST(MetricsDbMetricsTest, RecordWhileCollectingAndForgettingSmoke) {
  DbMetrics metrics(DbMetricsOptions{.max_series_per_metric = 50});
  std::vector<ResourcePtr> resources;
  for (int i = 0; i < 7; ++i) resources.push_back(MakeResource("svc" + std::to_string(i)));
  const ResourcePtr churning = resources[6];
  std::vector<Span> spans;  // built up front: the builder is not what this measures
  for (int op = 0; op < 100; ++op) {
    DbCall call = SelectCall(static_cast<uint64_t>(op) * 1000);
    call.operation = "OP" + std::to_string(op);
    for (const ResourcePtr& r : resources) spans.push_back(DbClientSpan(r, call));
  }
  constexpr int kSpans = 20000;
  std::atomic<bool> done{false};
  std::thread collector([&] {
    uint64_t now = kStart;
    while (!done.load()) {
      MetricsSnapshot snap;
      metrics.Collect(++now, &snap);
    }
  });
  std::thread forgetter([&] {
    while (!done.load()) {
      metrics.ForgetResource(churning.get());
      std::this_thread::yield();
    }
  });
  uint64_t kept = 0;
  for (int i = 0; i < kSpans; ++i) {
    const Span& span = spans[static_cast<size_t>(i) % spans.size()];
    if (span.resource != churning) ++kept;
    metrics.Record(span);
  }
  done = true;
  collector.join();
  forgetter.join();
  uint64_t total = 0;
  for (const auto& rm : CollectAll(metrics)) {
    if (rm.resource == churning) continue;
    for (const auto& p : rm.metrics.at(0).points) total += Hist(p).count;
  }
  EXPECT_EQ(total, kept);  // nothing lost or double-counted
}

}  // namespace
}  // namespace otelbpf::metrics
