// Metric snapshots in the store (table metric_points): every minute the writer collects the
// agent's metrics (RED per service and route, TCP, DNS, its own) and keeps the data points whose
// value changed since the last snapshot, so an idle series costs nothing and `otelbpf metrics`
// can report exact counts and rates over a window even when spans were sampled
// (write_sampler.h). Values are cumulative, as the producers keep them (metrics/metric_data.h).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "metrics/metric_data.h"
#include "store/sqlite_db.h"

namespace otelbpf::store {

struct MetricPoint {
  uint64_t time_ns = 0;   // Unix nanoseconds: when it was collected
  uint64_t start_ns = 0;  // when the series began accumulating (a new start: counted afresh)
  std::string name;       // "http.server.request.duration"
  std::string unit;
  metrics::MetricKind kind = metrics::MetricKind::kCounter;
  std::string attributes_json;  // the data point's attributes
  // Counters and gauges: the value. Histograms: the sum of the observations.
  double value = 0;
  uint64_t count = 0;  // histograms: observations
  // Histograms: per-bucket counts (not cumulative) and their upper bounds.
  std::vector<double> bounds;
  std::vector<uint64_t> bucket_counts;
  // Read back.
  int64_t resource_id = 0;
  std::string service;
  int64_t pid = 0;
};

// The writer's side: owned by the store's writer thread.
class MetricPointWriter {
 public:
  // Writes the points of `snapshot` that changed since the previous call (inside the caller's
  // transaction); `resource_row` gives a resource's row id. Returns the rows written.
  size_t Write(Database& db, const metrics::MetricsSnapshot& snapshot, uint64_t time_ns,
               const std::function<int64_t(const ResourcePtr&)>& resource_row);
  // After a failed transaction: what was "last written" may not be in the file.
  void Forget() { last_.clear(); }

 private:
  // Series key (resource row, name, attributes) → the count or value written last. Rebuilt on
  // every call from the series seen, so it holds only live series.
  std::unordered_map<std::string, double> last_;
};

struct MetricPointFilter {
  uint64_t since_ns = 0;
  std::vector<std::string> name_globs;  // e.g. "http.server.*"; empty: every metric
  std::vector<std::string> services;
};

// The points of the window, oldest first, and for each series in it the last point before the
// window (the baseline an increase is measured from), in `baselines`.
std::vector<MetricPoint> QueryMetricPoints(Database& db, const MetricPointFilter& filter,
                                           std::vector<MetricPoint>* baselines);

}  // namespace otelbpf::store
