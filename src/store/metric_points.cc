#include "store/metric_points.h"

#include <variant>

#include <nlohmann/json.hpp>

#include "store/json_text.h"
#include "store/where_builder.h"

namespace otelbpf::store {
namespace {

std::string SeriesKey(int64_t resource_id, const std::string& name, const std::string& attributes) {
  std::string key = std::to_string(resource_id);
  key += '\0';
  key += name;
  key += '\0';
  key += attributes;
  return key;
}

std::string BucketsJson(const metrics::HistogramValue& h) {
  return nlohmann::json{{"bounds", h.bounds}, {"counts", h.bucket_counts}}.dump();
}

void ReadBuckets(const std::string& json, MetricPoint* p) {
  if (json.empty()) return;
  const auto parsed = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_object()) return;
  if (parsed.contains("bounds")) p->bounds = parsed["bounds"].get<std::vector<double>>();
  if (parsed.contains("counts")) p->bucket_counts = parsed["counts"].get<std::vector<uint64_t>>();
}

// The one number whose change means the series moved.
double ChangeMarker(const metrics::PointValue& v) {
  if (const auto* h = std::get_if<metrics::HistogramValue>(&v)) return static_cast<double>(h->count);
  if (const auto* i = std::get_if<int64_t>(&v)) return static_cast<double>(*i);
  return std::get<double>(v);
}

constexpr const char* kSelect =
    "SELECT m.time_ns, m.start_ns, m.name, m.unit, m.kind, m.attributes, m.value, m.count, "
    "m.buckets, m.resource_id, r.service_name, r.pid";
constexpr const char* kFrom = " FROM metric_points m LEFT JOIN resources r ON r.id = m.resource_id";

MetricPoint RowToPoint(const Statement& q) {
  MetricPoint p;
  p.time_ns = static_cast<uint64_t>(q.Int(0));
  p.start_ns = static_cast<uint64_t>(q.Int(1));
  p.name = q.Text(2);
  p.unit = q.Text(3);
  p.kind = static_cast<metrics::MetricKind>(q.Int(4));
  p.attributes_json = q.Text(5);
  p.value = q.Double(6);
  p.count = static_cast<uint64_t>(q.Int(7));
  ReadBuckets(q.Text(8), &p);
  p.resource_id = q.Int(9);
  p.service = q.Text(10);
  p.pid = q.Int(11);
  return p;
}

}  // namespace

size_t MetricPointWriter::Write(Database& db, const metrics::MetricsSnapshot& snapshot,
                                uint64_t time_ns,
                                const std::function<int64_t(const ResourcePtr&)>& resource_row) {
  Statement insert(db,
                   "INSERT INTO metric_points (time_ns, start_ns, resource_id, name, unit, kind, "
                   "attributes, value, count, buckets) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)");
  std::unordered_map<std::string, double> seen;
  size_t written = 0;
  for (const metrics::ResourceMetrics& rm : snapshot) {
    int64_t resource_id = 0;  // looked up only when one of its points changed
    for (const metrics::MetricData& metric : rm.metrics) {
      for (const metrics::DataPoint& point : metric.points) {
        const std::string attributes = AttributesJson(point.attributes);
        if (!resource_id) resource_id = resource_row(rm.resource);
        std::string key = SeriesKey(resource_id, metric.name, attributes);
        const double marker = ChangeMarker(point.value);
        const auto last = last_.find(key);
        const bool changed = last == last_.end() || last->second != marker;
        seen.emplace(std::move(key), marker);
        if (!changed) continue;
        insert.Reset();
        insert.Bind(1, static_cast<int64_t>(time_ns));
        insert.Bind(2, static_cast<int64_t>(point.start_time_unix_nano));
        insert.Bind(3, resource_id);
        insert.Bind(4, metric.name);
        insert.BindOptional(5, metric.unit);
        insert.Bind(6, static_cast<int64_t>(metric.kind));
        insert.Bind(7, attributes);
        if (const auto* h = std::get_if<metrics::HistogramValue>(&point.value)) {
          insert.Bind(8, h->sum);
          insert.Bind(9, static_cast<int64_t>(h->count));
          insert.Bind(10, BucketsJson(*h));
        } else {
          insert.Bind(8, marker);
          insert.BindNull(9);
          insert.BindNull(10);
        }
        insert.Step();
        ++written;
      }
    }
  }
  last_ = std::move(seen);
  return written;
}

std::vector<MetricPoint> QueryMetricPoints(Database& db, const MetricPointFilter& filter,
                                           std::vector<MetricPoint>* baselines) {
  WhereBuilder w;
  std::vector<std::string> names, services;
  for (const auto& glob : filter.name_globs) names.push_back("m.name GLOB " + w.Param(glob));
  for (const auto& svc : filter.services) services.push_back("r.service_name = " + w.Param(svc));
  if (!names.empty()) w.Add(OrOf(names));
  if (!services.empty()) w.Add(OrOf(services));
  WhereBuilder before = w;
  if (filter.since_ns) {
    w.Add("m.time_ns >= " + w.Param(static_cast<int64_t>(filter.since_ns)));
    before.Add("m.time_ns < " + before.Param(static_cast<int64_t>(filter.since_ns)));
  }
  Statement q(db, std::string(kSelect) + kFrom + w.Sql() + " ORDER BY m.time_ns, m.id");
  w.BindAll(q);
  std::vector<MetricPoint> out;
  while (q.Step()) out.push_back(RowToPoint(q));
  if (baselines) {
    baselines->clear();
    if (filter.since_ns) {
      // SQLite gives the other columns of the row that holds MAX(): per series, the latest
      // point before the window.
      Statement b(db, std::string(kSelect) + ", MAX(m.time_ns)" + kFrom + before.Sql() +
                          " GROUP BY m.resource_id, m.name, m.attributes");
      before.BindAll(b);
      while (b.Step()) baselines->push_back(RowToPoint(b));
    }
  }
  return out;
}

}  // namespace otelbpf::store
