// dns.lookup.duration from getaddrinfo() events (metrics/dns_lookup_metrics.h).
#include <gtest/gtest.h>

#include "service_resource.h"

#include <netdb.h>

#include "metrics/dns_lookup_metrics.h"

namespace otelbpf::metrics {
namespace {

constexpr auto MakeResource = testing_support::ServiceResource;

DnsLookupEvent Lookup(const ResourcePtr& r, std::string name, int32_t result = 0,
                      uint64_t duration_ns = 2'000'000) {
  DnsLookupEvent e;
  e.resource = r;
  e.name = std::move(name);
  e.result = result;
  e.start_ns = 1'000'000'000;
  e.end_ns = e.start_ns + duration_ns;
  return e;
}

std::string Attr(const DataPoint& p, const char* key) {
  const AttributeValue* v = FindAttribute(p.attributes, key);
  return v ? std::get<std::string>(*v) : std::string("<absent>");
}

TEST(DnsLookupMetricsTest, DurationByNameAndError) {
  DnsLookupMetrics m;
  auto r = MakeResource("api");
  m.Record(Lookup(r, "db.example.com"), 1);
  m.Record(Lookup(r, "DB.Example.com."), 2);  // same name: case and root dot do not matter
  m.Record(Lookup(r, "gone.example.com", EAI_NONAME), 3);
  MetricsSnapshot snap;
  m.Collect(10, &snap);
  ASSERT_EQ(snap.size(), 1u);
  ASSERT_EQ(snap[0].metrics.size(), 1u);
  const MetricData& md = snap[0].metrics[0];
  EXPECT_EQ(md.name, "dns.lookup.duration");
  EXPECT_EQ(md.unit, "s");
  EXPECT_EQ(md.kind, MetricKind::kHistogram);
  ASSERT_EQ(md.points.size(), 2u);
  for (const auto& p : md.points) {
    const auto& h = std::get<HistogramValue>(p.value);
    if (Attr(p, "dns.question.name") == "db.example.com") {
      EXPECT_EQ(h.count, 2u);
      EXPECT_DOUBLE_EQ(h.sum, 0.004);
      EXPECT_EQ(Attr(p, "error.type"), "<absent>");
    } else {
      EXPECT_EQ(Attr(p, "dns.question.name"), "gone.example.com");
      EXPECT_EQ(Attr(p, "error.type"), "EAI_NONAME");
      EXPECT_EQ(h.count, 1u);
    }
  }
}

TEST(DnsLookupMetricsTest, NumericHostsAndEmptyNamesAreNotLookups) {
  DnsLookupMetrics m;
  auto r = MakeResource("api");
  m.Record(Lookup(r, "127.0.0.1"), 1);
  m.Record(Lookup(r, "::1"), 1);
  m.Record(Lookup(r, ""), 1);
  MetricsSnapshot snap;
  m.Collect(10, &snap);
  EXPECT_TRUE(snap.empty());
}

TEST(DnsLookupMetricsTest, NamesBeyondTheCapGoToOther) {
  DnsLookupMetrics m(/*max_names_per_resource=*/3);
  auto a = MakeResource("a"), b = MakeResource("b");
  for (int i = 0; i < 10; ++i) m.Record(Lookup(a, "host" + std::to_string(i) + ".test"), 1);
  m.Record(Lookup(a, "host0.test"), 1);  // admitted before the cap: keeps its series
  m.Record(Lookup(b, "host9.test"), 1);  // the cap is per resource
  MetricsSnapshot snap;
  m.Collect(10, &snap);
  ASSERT_EQ(snap.size(), 2u);
  const auto& a_points = (snap[0].resource == a ? snap[0] : snap[1]).metrics[0].points;
  ASSERT_EQ(a_points.size(), 4u);
  uint64_t other = 0, host0 = 0;
  for (const auto& p : a_points) {
    const auto count = std::get<HistogramValue>(p.value).count;
    if (Attr(p, "dns.question.name") == kOtherQuestionName) other = count;
    if (Attr(p, "dns.question.name") == "host0.test") host0 = count;
  }
  EXPECT_EQ(other, 7u);
  EXPECT_EQ(host0, 2u);
  EXPECT_EQ(m.names_overflowed(), 7u);
  const auto& b_points = (snap[0].resource == b ? snap[0] : snap[1]).metrics[0].points;
  ASSERT_EQ(b_points.size(), 1u);
  EXPECT_EQ(Attr(b_points[0], "dns.question.name"), "host9.test");
}

TEST(DnsLookupMetricsTest, ErrorTypesUseGlibcNames) {
  EXPECT_EQ(GetaddrinfoErrorType(0), "");
  EXPECT_EQ(GetaddrinfoErrorType(EAI_NONAME), "EAI_NONAME");
  EXPECT_EQ(GetaddrinfoErrorType(EAI_AGAIN), "EAI_AGAIN");
  EXPECT_EQ(GetaddrinfoErrorType(-999), "EAI_-999");
}

}  // namespace
}  // namespace otelbpf::metrics
