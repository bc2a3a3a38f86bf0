#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>

#include "metrics/http_metrics.h"

namespace otelbpf::metrics {
namespace {

constexpr uint64_t kStart = 1700000000000000000ull;

ResourcePtr MakeResource(const std::string& service) {
  auto r = std::make_shared<Resource>();
  r->attributes = {{"service.name", service}};
  return r;
}

// A span as http1::BuildSpan makes it (stable HTTP semconv), with the noise metrics must ignore.
Span ServerSpan(const ResourcePtr& resource, int64_t status, uint64_t duration_ns) {
  Span s;
  s.kind = SpanKind::kServer;
  s.resource = resource;
  s.start_time_unix_nano = kStart;
  s.end_time_unix_nano = kStart + duration_ns;
  s.attributes = {{"http.request.method", std::string("GET")},
                  {"url.scheme", std::string("http")},
                  {"url.path", std::string("/users/42")},
                  {"server.address", std::string("example.com")},
                  {"server.port", int64_t{8080}},
                  {"client.address", std::string("10.0.0.7")},
                  {"network.peer.address", std::string("10.0.0.7")},
                  {"network.peer.port", int64_t{51000}},
                  {"network.protocol.version", std::string("1.1")},
                  {"user_agent.original", std::string("curl/8")},
                  {"http.request.body.size", int64_t{12}},
                  {"http.response.status_code", status},
                  {"http.response.body.size", int64_t{600}}};
  return s;
}

Span ClientSpan(const ResourcePtr& resource, const std::string& host, int64_t status) {
  Span s;
  s.kind = SpanKind::kClient;
  s.resource = resource;
  s.start_time_unix_nano = kStart;
  s.end_time_unix_nano = kStart + 30'000'000;  // 30 ms
  s.attributes = {{"http.request.method", std::string("POST")},
                  {"url.scheme", std::string("http")},
                  {"url.full", std::string("http://" + host + "/x")},
                  {"server.address", host},
                  {"server.port", int64_t{80}},
                  {"network.peer.address", std::string("10.0.0.9")},
                  {"network.protocol.version", std::string("1.1")},
                  {"http.response.status_code", status}};
  if (status >= 400) s.attributes.push_back({"error.type", std::to_string(status)});
  return s;
}

MetricsSnapshot CollectAll(HttpMetrics& m, uint64_t now = kStart + 1'000'000'000) {
  MetricsSnapshot out;
  m.Collect(now, &out);
  return out;
}

const MetricData* FindMetric(const ResourceMetrics& rm, const std::string& name) {
  for (const auto& md : rm.metrics) {
    if (md.name == name) return &md;
  }
  return nullptr;
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

TEST(MetricsHttpMetricsTest, ServerSpanFeedsTheThreeServerHistograms) {
  HttpMetrics metrics;
  const ResourcePtr nginx = MakeResource("nginx");
  metrics.Record(ServerSpan(nginx, 200, 5'000'000));  // exactly 0.005 s: le="0.005"
  const MetricsSnapshot snap = CollectAll(metrics);
  ASSERT_EQ(snap.size(), 1u);
  EXPECT_EQ(snap[0].resource, nginx);
  ASSERT_EQ(snap[0].metrics.size(), 3u);

  const MetricData* duration = FindMetric(snap[0], "http.server.request.duration");
  ASSERT_NE(duration, nullptr);
  EXPECT_EQ(duration->unit, "s");
  EXPECT_EQ(duration->kind, MetricKind::kHistogram);
  ASSERT_EQ(duration->points.size(), 1u);
  const DataPoint& p = duration->points[0];
  // No server.address/port on server metrics, no path, no peer: bounded by design.
  EXPECT_EQ(Describe(p.attributes),
            "http.request.method=GET;http.response.status_code=200;url.scheme=http;"
            "network.protocol.version=1.1;");
  EXPECT_EQ(p.start_time_unix_nano, kStart);
  EXPECT_EQ(p.time_unix_nano, kStart + 1'000'000'000);
  EXPECT_EQ(Hist(p).count, 1u);
  EXPECT_EQ(Hist(p).bucket_counts[0], 1u);  // bucket (-inf, 0.005]: the advice has no 0 bound
  EXPECT_EQ(Hist(p).bounds.front(), 0.005);
  EXPECT_DOUBLE_EQ(Hist(p).sum, 0.005);

  const MetricData* req = FindMetric(snap[0], "http.server.request.body.size");
  const MetricData* resp = FindMetric(snap[0], "http.server.response.body.size");
  ASSERT_NE(req, nullptr);
  ASSERT_NE(resp, nullptr);
  EXPECT_EQ(req->unit, "By");
  EXPECT_EQ(resp->unit, "By");
  EXPECT_DOUBLE_EQ(Hist(req->points[0]).sum, 12);
  EXPECT_EQ(Hist(req->points[0]).bucket_counts[3], 1u);  // (10, 25]
  EXPECT_DOUBLE_EQ(Hist(resp->points[0]).sum, 600);
  EXPECT_EQ(Hist(resp->points[0]).bounds.size(), 15u);
  EXPECT_EQ(FindMetric(snap[0], "http.client.request.duration"), nullptr);
}

TEST(MetricsHttpMetricsTest, ClientSpanCarriesServerAddressAndErrorType) {
  HttpMetrics metrics;
  metrics.Record(ClientSpan(MakeResource("curl"), "api.example.com", 503));
  const MetricsSnapshot snap = CollectAll(metrics);
  ASSERT_EQ(snap.size(), 1u);
  const MetricData* duration = FindMetric(snap[0], "http.client.request.duration");
  ASSERT_NE(duration, nullptr);
  EXPECT_EQ(Describe(duration->points[0].attributes),
            "http.request.method=POST;http.response.status_code=503;url.scheme=http;"
            "network.protocol.version=1.1;error.type=503;server.address=api.example.com;"
            "server.port=80;");
  EXPECT_NE(FindMetric(snap[0], "http.client.request.body.size"), nullptr);
  EXPECT_NE(FindMetric(snap[0], "http.client.response.body.size"), nullptr);
  EXPECT_EQ(FindMetric(snap[0], "http.server.request.duration"), nullptr);
  // No body-size attributes on the span: the exchange had no body, a 0-byte measurement.
  const MetricData* req = FindMetric(snap[0], "http.client.request.body.size");
  EXPECT_EQ(Hist(req->points[0]).bucket_counts[0], 1u);
}

TEST(MetricsHttpMetricsTest, ExchangeWithoutResponseHasErrorTypeAndNoStatus) {
  HttpMetrics metrics;
  Span s = ServerSpan(MakeResource("py"), 200, 1000);
  s.attributes.erase(s.attributes.begin() + 11);  // http.response.status_code
  s.attributes.push_back({"error.type", std::string("closed_before_response")});
  s.attributes.push_back({"http.route", std::string("/users/{id}")});
  metrics.Record(s);
  const MetricsSnapshot snap = CollectAll(metrics);
  EXPECT_EQ(Describe(snap[0].metrics[0].points[0].attributes),
            "http.request.method=GET;http.route=/users/{id};url.scheme=http;"
            "network.protocol.version=1.1;error.type=closed_before_response;");
}

TEST(MetricsHttpMetricsTest, SameAttributesShareASeriesAndResourcesStayApart) {
  HttpMetrics metrics;
  const ResourcePtr a = MakeResource("a");
  const ResourcePtr b = MakeResource("b");
  metrics.Record(ServerSpan(a, 200, 1'000'000));
  metrics.Record(ServerSpan(a, 200, 2'000'000));
  metrics.Record(ServerSpan(a, 404, 2'000'000));
  metrics.Record(ServerSpan(b, 200, 2'000'000));
  Span internal = ServerSpan(b, 200, 1);
  internal.kind = SpanKind::kInternal;  // side unknown: no RED metric
  metrics.Record(internal);
  EXPECT_EQ(metrics.series_count(), 3u);
  const MetricsSnapshot snap = CollectAll(metrics);
  ASSERT_EQ(snap.size(), 2u);
  for (const ResourceMetrics& rm : snap) {
    const MetricData* d = FindMetric(rm, "http.server.request.duration");
    ASSERT_NE(d, nullptr);
    if (rm.resource == a) {
      ASSERT_EQ(d->points.size(), 2u);
      EXPECT_EQ(Hist(d->points[0]).count, 2u);  // creation order: 200 first
      EXPECT_EQ(Hist(d->points[1]).count, 1u);
    } else {
      ASSERT_EQ(d->points.size(), 1u);
      EXPECT_EQ(Hist(d->points[0]).count, 1u);
    }
  }
}

TEST(MetricsHttpMetricsTest, CumulativeAcrossCollections) {
  HttpMetrics metrics;
  const ResourcePtr r = MakeResource("a");
  metrics.Record(ServerSpan(r, 200, 1));
  CollectAll(metrics);
  metrics.Record(ServerSpan(r, 200, 1));
  EXPECT_EQ(Hist(CollectAll(metrics)[0].metrics[0].points[0]).count, 2u);
}

TEST(MetricsHttpMetricsTest, CardinalityLimitSendsNewSeriesToOneOverflowSeries) {
  HttpMetrics metrics;  // default limit 2000
  const ResourcePtr server = MakeResource("server");
  const ResourcePtr client = MakeResource("client");
  for (int i = 0; i < 2001; ++i) {
    metrics.Record(ServerSpan(server, 1000 + i, 1));                      // 2001 statuses
    metrics.Record(ClientSpan(client, "peer" + std::to_string(i), 200));  // 2001 peers
  }
  EXPECT_EQ(metrics.overflow_measurements(), 2u);
  metrics.Record(ServerSpan(server, 5000, 1));
  metrics.Record(ServerSpan(server, 1000, 1));  // an existing series still records normally
  EXPECT_EQ(metrics.overflow_measurements(), 3u);
  EXPECT_EQ(metrics.series_count(), 2u * 2001);  // 2000 + overflow, per side

  for (const ResourceMetrics& rm : CollectAll(metrics)) {
    ASSERT_EQ(rm.metrics.size(), 3u);
    for (const MetricData& md : rm.metrics) {
      ASSERT_EQ(md.points.size(), 2001u) << md.name;
      const DataPoint& overflow = md.points.back();
      EXPECT_EQ(Describe(overflow.attributes), "otel.metric.overflow=1;");
      EXPECT_EQ(std::get<bool>(overflow.attributes[0].value), true);
      EXPECT_EQ(Hist(overflow).count, rm.resource == server ? 2u : 1u);
    }
    if (rm.resource == server) {
      EXPECT_EQ(Hist(rm.metrics[0].points[0]).count, 2u);  // status 1000
    }
  }
}

TEST(MetricsHttpMetricsTest, CardinalityLimitIsConfigurable) {
  HttpMetrics metrics(HttpMetricsOptions{.max_series_per_metric = 2});
  const ResourcePtr r = MakeResource("a");
  for (int status : {200, 201, 202, 203}) metrics.Record(ServerSpan(r, status, 1));
  EXPECT_EQ(metrics.series_count(), 3u);
  EXPECT_EQ(metrics.overflow_measurements(), 2u);
}

TEST(MetricsHttpMetricsTest, LongValuesAreCutAtAUtf8Boundary) {
  HttpMetrics metrics;
  std::string host(kMaxKeyValueBytes - 1, 'h');
  host += "\xC3\xA9tail";  // a 2-byte character straddling the limit
  metrics.Record(ClientSpan(MakeResource("c"), host, 200));
  const MetricsSnapshot snap = CollectAll(metrics);
  const Attributes& attrs = snap[0].metrics[0].points[0].attributes;
  const auto& address = std::get<std::string>(attrs[4].value);
  EXPECT_EQ(attrs[4].key, "server.address");
  EXPECT_EQ(address, std::string(kMaxKeyValueBytes - 1, 'h'));
}

TEST(MetricsHttpMetricsTest, ForgottenResourceIsReportedOnceMoreThenDropped) {
  HttpMetrics metrics;
  ResourcePtr gone = MakeResource("gone");
  const ResourcePtr stays = MakeResource("stays");
  metrics.Record(ServerSpan(gone, 200, 1));
  metrics.Record(ServerSpan(stays, 200, 1));
  metrics.ForgetResource(gone.get());
  metrics.Record(ServerSpan(gone, 200, 1));  // a late span before the collection still counts
  const Resource* gone_address = gone.get();
  gone.reset();  // the agent let go: HttpMetrics keeps it alive until it is reported

  MetricsSnapshot first = CollectAll(metrics);
  ASSERT_EQ(first.size(), 2u);
  bool saw_gone = false;
  for (const auto& rm : first) {
    if (rm.resource.get() == gone_address) {
      saw_gone = true;
      EXPECT_EQ(Hist(rm.metrics[0].points[0]).count, 2u);
    }
  }
  EXPECT_TRUE(saw_gone);
  EXPECT_EQ(metrics.resource_count(), 1u);
  const MetricsSnapshot second = CollectAll(metrics);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].resource, stays);
  metrics.ForgetResource(nullptr);  // unknown resources are ignored
}

TEST(MetricsHttpMetricsTest, ForgottenResourceRetentionKeepsItForEveryExporter) {
  HttpMetrics metrics(HttpMetricsOptions{.forgotten_retention_ns = 60'000'000'000});
  const ResourcePtr r = MakeResource("gone");
  metrics.Record(ServerSpan(r, 200, 1));
  metrics.ForgetResource(r.get());
  EXPECT_EQ(CollectAll(metrics, kStart).size(), 1u);
  EXPECT_EQ(CollectAll(metrics, kStart + 30'000'000'000).size(), 1u);  // another exporter
  EXPECT_EQ(CollectAll(metrics, kStart + 60'000'000'000).size(), 1u);  // last report
  EXPECT_EQ(CollectAll(metrics, kStart + 61'000'000'000).size(), 0u);
}

TEST(MetricsHttpMetricsTest, TooManyResourcesAreDroppedAndCounted) {
  HttpMetrics metrics(HttpMetricsOptions{.max_resources = 1});
  metrics.Record(ServerSpan(MakeResource("a"), 200, 1));
  metrics.Record(ServerSpan(MakeResource("b"), 200, 1));
  EXPECT_EQ(metrics.resource_count(), 1u);
  EXPECT_EQ(metrics.dropped_measurements(), 1u);
}

// Record on one thread while another collects and a third forgets the resource being recorded
// into (its series are dropped and re-created over and over). Meant for the sanitized build.
TEST(MetricsHttpMetricsTest, RecordWhileCollectingAndForgettingSmoke) {
  HttpMetrics metrics(HttpMetricsOptions{.max_series_per_metric = 50});
  std::vector<ResourcePtr> resources;
  for (int i = 0; i < 7; ++i) resources.push_back(MakeResource("svc" + std::to_string(i)));
  const ResourcePtr churning = resources[6];
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
  int kept = 0;
  for (int i = 0; i < kSpans; ++i) {
    const ResourcePtr& r = resources[i % resources.size()];
    if (r != churning) ++kept;
    metrics.Record(ServerSpan(r, 200 + i % 100, static_cast<uint64_t>(i) * 1000));
  }
  done = true;
  collector.join();
  forgetter.join();
  uint64_t total = 0;
  for (const auto& rm : CollectAll(metrics)) {
    if (rm.resource == churning) continue;
    for (const auto& p : FindMetric(rm, "http.server.request.duration")->points) {
      total += Hist(p).count;
    }
  }
  EXPECT_EQ(total, static_cast<uint64_t>(kept));  // nothing lost or double-counted
}

}  // namespace
}  // namespace otelbpf::metrics
