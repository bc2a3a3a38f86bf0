#include "metrics/db_metrics.h"

#include <array>
#include <functional>
#include <string>
#include <string_view>

#include "metrics/histogram.h"
#include "metrics/series_key_values.h"

namespace otelbpf::metrics {
namespace {

constexpr std::array<double, 9> kDurationBounds = {0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10};

constexpr const char* kMetricName = "db.client.operation.duration";
constexpr const char* kMetricDescription = "Duration of database client operations.";
constexpr const char* kMetricUnit = "s";

// The attributes of one series, borrowed from a span so that finding an existing series costs
// no allocation. Strings are empty and the port 0 when the span does not say.
struct DbSeriesKeyView {
  std::string_view system;          // db.system.name
  std::string_view namespace_name;  // db.namespace
  std::string_view operation;       // db.operation.name
  std::string_view collection;      // db.collection.name
  std::string_view status_code;     // db.response.status_code
  std::string_view error_type;      // error.type
  std::string_view server_address;  // server.address
  int64_t server_port = 0;          // server.port

  bool operator==(const DbSeriesKeyView&) const = default;
};

// An owned copy, stored once per series.
struct DbSeriesKey {
  std::string system;
  std::string namespace_name;
  std::string operation;
  std::string collection;
  std::string status_code;
  std::string error_type;
  std::string server_address;
  int64_t server_port = 0;

  explicit DbSeriesKey(const DbSeriesKeyView& v)
      : system(v.system),
        namespace_name(v.namespace_name),
        operation(v.operation),
        collection(v.collection),
        status_code(v.status_code),
        error_type(v.error_type),
        server_address(v.server_address),
        server_port(v.server_port) {}

  operator DbSeriesKeyView() const {  // NOLINT(google-explicit-constructor): lookups by view
    return DbSeriesKeyView{system,      namespace_name, operation,      collection,
                           status_code, error_type,     server_address, server_port};
  }
};

// Transparent, so the table is searched with a view (C++20 heterogeneous lookup).
struct DbSeriesKeyHash {
  using is_transparent = void;
  size_t operator()(const DbSeriesKeyView& k) const {
    std::hash<std::string_view> hs;
    size_t h = hs(k.system);
    h = HashCombine(h, hs(k.namespace_name));
    h = HashCombine(h, hs(k.operation));
    h = HashCombine(h, hs(k.collection));
    h = HashCombine(h, hs(k.status_code));
    h = HashCombine(h, hs(k.error_type));
    h = HashCombine(h, hs(k.server_address));
    h = HashCombine(h, std::hash<int64_t>()(k.server_port));
    return h;
  }
};
struct DbSeriesKeyEqual {
  using is_transparent = void;
  bool operator()(const DbSeriesKeyView& a, const DbSeriesKeyView& b) const { return a == b; }
};

// One pass over the span's attributes picks the series attributes; everything else
// (db.query.text above all) is never looked at.
DbSeriesKeyView SeriesKeyOf(const Span& span) {
  using namespace std::string_view_literals;
  DbSeriesKeyView k;
  for (const Attribute& a : span.attributes) {
    const std::string_view name = a.key;
    if (name == "db.system.name"sv) {
      k.system = SeriesStringOf(a.value);
    } else if (name == "db.namespace"sv) {
      k.namespace_name = SeriesStringOf(a.value);
    } else if (name == "db.operation.name"sv) {
      k.operation = SeriesStringOf(a.value);
    } else if (name == "db.collection.name"sv) {
      k.collection = SeriesStringOf(a.value);
    } else if (name == "db.response.status_code"sv) {
      k.status_code = SeriesStringOf(a.value);
    } else if (name == "error.type"sv) {
      k.error_type = SeriesStringOf(a.value);
    } else if (name == "server.address"sv) {
      k.server_address = SeriesStringOf(a.value);
    } else if (name == "server.port"sv) {
      k.server_port = SeriesIntOf(a.value);
    }
  }
  return k;
}

void AddString(Attributes& out, const char* key, const std::string& value) {
  if (!value.empty()) out.push_back(Attribute{key, value});
}

// The data point attributes of a series, in a fixed order; empty/zero fields are left out.
Attributes ToAttributes(const DbSeriesKey& key) {
  Attributes out;
  out.reserve(8);
  AddString(out, "db.system.name", key.system);
  AddString(out, "db.namespace", key.namespace_name);
  AddString(out, "db.operation.name", key.operation);
  AddString(out, "db.collection.name", key.collection);
  AddString(out, "db.response.status_code", key.status_code);
  AddString(out, "error.type", key.error_type);
  AddString(out, "server.address", key.server_address);
  if (key.server_port != 0) out.push_back(Attribute{"server.port", key.server_port});
  return out;
}

double DurationSeconds(const Span& span) {
  const uint64_t start = span.start_time_unix_nano;
  const uint64_t end = span.end_time_unix_nano;
  return end > start ? static_cast<double>(end - start) * 1e-9 : 0.0;
}

struct Series {
  explicit Series(uint64_t start) : start_time_unix_nano(start) {}

  uint64_t start_time_unix_nano;
  ExplicitHistogram duration{kDurationBounds};
};

}  // namespace

std::span<const double> DbDurationBoundsSeconds() { return kDurationBounds; }

// One side: database metrics are client-side only.
struct DbMetrics::Table : ResourceSeriesTable<DbSeriesKey, DbSeriesKeyView, DbSeriesKeyHash,
                                              DbSeriesKeyEqual, Series, 1> {
  using ResourceSeriesTable::ResourceSeriesTable;
};

DbMetrics::DbMetrics(DbMetricsOptions options) : table_(std::make_unique<Table>(options)) {}
DbMetrics::~DbMetrics() = default;

void DbMetrics::Record(const Span& span) {
  if (span.family != SemanticFamily::kDb || span.kind != SpanKind::kClient) return;
  const double seconds = DurationSeconds(span);
  table_->Record(span.resource, 0, SeriesKeyOf(span), span.start_time_unix_nano,
                 [seconds](Series& series) { series.duration.Record(seconds); });
}

void DbMetrics::ForgetResource(const Resource* resource) { table_->Forget(resource); }

void DbMetrics::Collect(uint64_t now_unix_nano, MetricsSnapshot* out) {
  table_->Collect(now_unix_nano, [&](const ResourcePtr& resource, const Table::SideCopies& sides) {
    ResourceMetrics& rm = out->emplace_back();
    rm.resource = resource;
    MetricData& md = rm.metrics.emplace_back();
    md.name = kMetricName;
    md.description = kMetricDescription;
    md.unit = kMetricUnit;
    md.kind = MetricKind::kHistogram;
    md.points.reserve(sides[0].size());
    for (const Table::SeriesCopy& copy : sides[0]) {
      DataPoint& p = md.points.emplace_back();
      p.attributes = copy.key != nullptr ? ToAttributes(*copy.key) : OverflowAttributes();
      p.start_time_unix_nano = copy.values.start_time_unix_nano;
      p.time_unix_nano = now_unix_nano;
      p.value = copy.values.duration.ToValue();
    }
  });
}

uint64_t DbMetrics::overflow_measurements() const { return table_->overflow_measurements(); }
uint64_t DbMetrics::dropped_measurements() const { return table_->dropped_measurements(); }
size_t DbMetrics::series_count() const { return table_->series_count(); }
size_t DbMetrics::resource_count() const { return table_->resource_count(); }

}  // namespace otelbpf::metrics
