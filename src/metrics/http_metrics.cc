#include "metrics/http_metrics.h"

#include <array>

#include "metrics/histogram.h"

namespace otelbpf::metrics {
namespace {

// Exactly the conventions' advised boundaries (no leading 0 bucket), so that these histograms
// merge with those of services instrumented by an OpenTelemetry SDK.
constexpr std::array<double, 14> kDurationBounds = {0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25,
                                                    0.5,   0.75, 1,     2.5,  5,     7.5, 10};

// Names, descriptions and units from the semantic conventions.
struct MetricInfo {
  const char* name;
  const char* description;
  const char* unit;
};
constexpr MetricInfo kServerMetrics[3] = {
    {"http.server.request.duration", "Duration of HTTP server requests.", "s"},
    {"http.server.request.body.size", "Size of HTTP server request bodies.", "By"},
    {"http.server.response.body.size", "Size of HTTP server response bodies.", "By"},
};
constexpr MetricInfo kClientMetrics[3] = {
    {"http.client.request.duration", "Duration of HTTP client requests.", "s"},
    {"http.client.request.body.size", "Size of HTTP client request bodies.", "By"},
    {"http.client.response.body.size", "Size of HTTP client response bodies.", "By"},
};

double Bytes(int64_t n) { return n > 0 ? static_cast<double>(n) : 0.0; }

}  // namespace

std::span<const double> HttpDurationBoundsSeconds() { return kDurationBounds; }

struct HttpMetrics::Series {
  explicit Series(uint64_t start) : start_time_unix_nano(start) {}

  void Record(const HttpMeasurement& m) {
    duration.Record(m.duration_seconds);
    request_body.Record(Bytes(m.request_body_bytes));
    response_body.Record(Bytes(m.response_body_bytes));
  }

  uint64_t start_time_unix_nano;
  ExplicitHistogram duration{kDurationBounds};
  ExplicitHistogram request_body{DefaultExplicitBounds()};
  ExplicitHistogram response_body{DefaultExplicitBounds()};
};

// Sides of a resource's series, as indices into the table.
enum : size_t { kServerSide = 0, kClientSide = 1, kSides = 2 };

struct HttpMetrics::Table : ResourceSeriesTable<HttpSeriesKey, HttpSeriesKeyView, HttpSeriesKeyHash,
                                                HttpSeriesKeyEqual, Series, kSides> {
  using ResourceSeriesTable::ResourceSeriesTable;
};

namespace {

// The three histograms of one side of a resource, one point per series. A template only because
// the copies' type is private to HttpMetrics.
template <typename SeriesCopies>
void AppendSide(const SeriesCopies& copies, size_t side, uint64_t now, ResourceMetrics* out) {
  if (copies.empty()) return;
  const MetricInfo* infos = side == kClientSide ? kClientMetrics : kServerMetrics;
  const size_t first = out->metrics.size();
  for (int i = 0; i < 3; ++i) {
    MetricData& md = out->metrics.emplace_back();
    md.name = infos[i].name;
    md.description = infos[i].description;
    md.unit = infos[i].unit;
    md.kind = MetricKind::kHistogram;
    md.points.reserve(copies.size());
  }
  for (const auto& copy : copies) {
    const Attributes attributes =
        copy.key != nullptr ? ToAttributes(*copy.key) : OverflowAttributes();
    const auto& s = copy.values;
    const ExplicitHistogram* histograms[3] = {&s.duration, &s.request_body, &s.response_body};
    for (int i = 0; i < 3; ++i) {
      DataPoint& p = out->metrics[first + i].points.emplace_back();
      p.attributes = attributes;
      p.start_time_unix_nano = s.start_time_unix_nano;
      p.time_unix_nano = now;
      p.value = histograms[i]->ToValue();
    }
  }
}

}  // namespace

HttpMetrics::HttpMetrics(HttpMetricsOptions options) : table_(std::make_unique<Table>(options)) {}
HttpMetrics::~HttpMetrics() = default;

void HttpMetrics::Record(const Span& span) {
  HttpMeasurement m;
  if (!MeasureHttpSpan(span, &m)) return;
  table_->Record(span.resource, m.kind == SpanKind::kClient ? kClientSide : kServerSide, m.key,
                 span.start_time_unix_nano, [&m](Series& series) { series.Record(m); });
}

void HttpMetrics::ForgetResource(const Resource* resource) { table_->Forget(resource); }

void HttpMetrics::Collect(uint64_t now_unix_nano, MetricsSnapshot* out) {
  table_->Collect(now_unix_nano, [&](const ResourcePtr& resource, const Table::SideCopies& sides) {
    ResourceMetrics& rm = out->emplace_back();
    rm.resource = resource;
    AppendSide(sides[kServerSide], kServerSide, now_unix_nano, &rm);
    AppendSide(sides[kClientSide], kClientSide, now_unix_nano, &rm);
  });
}

uint64_t HttpMetrics::overflow_measurements() const { return table_->overflow_measurements(); }
uint64_t HttpMetrics::dropped_measurements() const { return table_->dropped_measurements(); }
size_t HttpMetrics::series_count() const { return table_->series_count(); }
size_t HttpMetrics::resource_count() const { return table_->resource_count(); }

}  // namespace otelbpf::metrics
