#include "metrics/http_metrics.h"

#include <array>
#include <optional>
#include <string>
#include <utility>

namespace otelbpf::metrics {
namespace {

constexpr std::array<double, 15> kDurationBounds = {0,   0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25,
                                                    0.5, 0.75,  1,    2.5,   5,    7.5,   10};

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

// The series of one side (server or client) of one resource.
struct HttpMetrics::Side {
  using Map = std::unordered_map<HttpSeriesKey, Series, HttpSeriesKeyHash, HttpSeriesKeyEqual>;
  Map series;
  // Creation order, so output is stable from one collection to the next. unordered_map nodes
  // never move, so these pointers stay valid.
  std::vector<Map::value_type*> order;
  std::optional<Series> overflow;

  size_t size() const { return series.size() + (overflow ? 1 : 0); }
};

struct HttpMetrics::ResourceState {
  ResourcePtr resource;  // keeps the address unique while we key by it
  Side server;
  Side client;
  bool forgotten = false;
  std::optional<uint64_t> first_collect_after_forget_ns;
};

HttpMetrics::HttpMetrics(HttpMetricsOptions options) : options_(options) {}
HttpMetrics::~HttpMetrics() = default;

HttpMetrics::ResourceState* HttpMetrics::FindOrAddResource(const Span& span) {
  const Resource* key = span.resource.get();
  if (last_state_ != nullptr && last_state_->resource.get() == key) return last_state_;
  auto it = resources_.find(key);
  if (it == resources_.end()) {
    if (resources_.size() >= options_.max_resources) return nullptr;
    auto state = std::make_unique<ResourceState>();
    state->resource = span.resource;
    it = resources_.emplace(key, std::move(state)).first;
  }
  last_state_ = it->second.get();
  return last_state_;
}

void HttpMetrics::RecordInto(Side& side, const HttpMeasurement& m, uint64_t start_time) {
  auto it = side.series.find(m.key);
  if (it != side.series.end()) {
    it->second.Record(m);
    return;
  }
  if (side.series.size() < options_.max_series_per_metric) {
    const auto inserted = side.series.emplace(HttpSeriesKey(m.key), Series(start_time)).first;
    side.order.push_back(&*inserted);
    inserted->second.Record(m);
    return;
  }
  if (!side.overflow) side.overflow.emplace(start_time);
  side.overflow->Record(m);
  overflow_.fetch_add(1, std::memory_order_relaxed);
}

void HttpMetrics::Record(const Span& span) {
  HttpMeasurement m;
  if (!MeasureHttpSpan(span, &m)) return;
  std::lock_guard lock(mu_);
  ResourceState* state = FindOrAddResource(span);
  if (state == nullptr) {
    dropped_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  RecordInto(m.kind == SpanKind::kClient ? state->client : state->server, m,
             span.start_time_unix_nano);
}

void HttpMetrics::ForgetResource(const Resource* resource) {
  std::lock_guard lock(mu_);
  auto it = resources_.find(resource);
  if (it != resources_.end()) it->second->forgotten = true;
}

// What Collect copies under the lock: the mutable numbers. Keys are immutable once inserted and
// their nodes never move, so they are read after the lock is released (only Collect erases, and
// Collects are serialised by collect_mu_).
struct HttpMetrics::SeriesCopy {
  const HttpSeriesKey* key;  // nullptr: the overflow series
  Series values;
};

struct HttpMetrics::ResourceCopy {
  ResourcePtr resource;
  std::vector<SeriesCopy> server;
  std::vector<SeriesCopy> client;
};

void HttpMetrics::CopySide(const Side& side, std::vector<SeriesCopy>* out) {
  out->reserve(side.size());
  for (const Side::Map::value_type* entry : side.order) {
    out->push_back(SeriesCopy{&entry->first, entry->second});
  }
  if (side.overflow) out->push_back(SeriesCopy{nullptr, *side.overflow});
}

void HttpMetrics::AppendSide(const std::vector<SeriesCopy>& side, bool client, uint64_t now,
                             ResourceMetrics* out) {
  if (side.empty()) return;
  const MetricInfo* infos = client ? kClientMetrics : kServerMetrics;
  const size_t first = out->metrics.size();
  for (int i = 0; i < 3; ++i) {
    MetricData& md = out->metrics.emplace_back();
    md.name = infos[i].name;
    md.description = infos[i].description;
    md.unit = infos[i].unit;
    md.kind = MetricKind::kHistogram;
    md.points.reserve(side.size());
  }
  for (const SeriesCopy& copy : side) {
    const Attributes attributes =
        copy.key != nullptr ? ToAttributes(*copy.key) : Attributes{{"otel.metric.overflow", true}};
    const Series& s = copy.values;
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

void HttpMetrics::Collect(uint64_t now_unix_nano, MetricsSnapshot* out) {
  std::lock_guard collect_lock(collect_mu_);
  std::vector<ResourceCopy> copies;
  // States dropped by this collection: their keys are still read below, so they die last.
  std::vector<std::unique_ptr<ResourceState>> dropped;
  {
    // Only copies numbers under the lock Record takes; building the snapshot (allocating
    // attributes for every point) happens after, so a scrape of thousands of series stalls the
    // capture thread for the copy only.
    std::lock_guard lock(mu_);
    copies.reserve(resources_.size());
    for (auto it = resources_.begin(); it != resources_.end();) {
      ResourceState& state = *it->second;
      if (state.server.size() + state.client.size() > 0) {
        ResourceCopy& copy = copies.emplace_back();
        copy.resource = state.resource;
        CopySide(state.server, &copy.server);
        CopySide(state.client, &copy.client);
      }
      if (state.forgotten) {
        if (!state.first_collect_after_forget_ns) {
          state.first_collect_after_forget_ns = now_unix_nano;
        }
        // This collection reports the final values; drop once the retention has passed too. A
        // clock that stepped back counts as elapsed: memory stays bounded whatever the clock does.
        const uint64_t since = *state.first_collect_after_forget_ns;
        if (now_unix_nano < since || now_unix_nano - since >= options_.forgotten_retention_ns) {
          if (last_state_ == &state) last_state_ = nullptr;
          dropped.push_back(std::move(it->second));
          it = resources_.erase(it);
          continue;
        }
      }
      ++it;
    }
  }
  for (const ResourceCopy& copy : copies) {
    ResourceMetrics& rm = out->emplace_back();
    rm.resource = copy.resource;
    AppendSide(copy.server, /*client=*/false, now_unix_nano, &rm);
    AppendSide(copy.client, /*client=*/true, now_unix_nano, &rm);
  }
}

size_t HttpMetrics::series_count() const {
  std::lock_guard lock(mu_);
  size_t n = 0;
  for (const auto& [key, state] : resources_) n += state->server.size() + state->client.size();
  return n;
}

size_t HttpMetrics::resource_count() const {
  std::lock_guard lock(mu_);
  return resources_.size();
}

}  // namespace otelbpf::metrics
