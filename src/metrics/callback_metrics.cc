#include "metrics/callback_metrics.h"

#include <utility>

namespace otelbpf::metrics {

CallbackMetrics::CallbackMetrics(ResourcePtr resource, uint64_t start_time_unix_nano)
    : resource_(std::move(resource)), start_time_unix_nano_(start_time_unix_nano) {}

void CallbackMetrics::Register(MetricDescriptor descriptor, PointsCallback callback) {
  std::lock_guard lock(mu_);
  entries_.push_back(Entry{std::move(descriptor), std::move(callback)});
}

void CallbackMetrics::RegisterInt(MetricDescriptor descriptor, std::function<int64_t()> read) {
  Register(std::move(descriptor), [read = std::move(read)](std::vector<CallbackPoint>* out) {
    out->push_back(CallbackPoint{{}, read()});
  });
}

void CallbackMetrics::RegisterDouble(MetricDescriptor descriptor, std::function<double()> read) {
  Register(std::move(descriptor), [read = std::move(read)](std::vector<CallbackPoint>* out) {
    out->push_back(CallbackPoint{{}, read()});
  });
}

void CallbackMetrics::Collect(uint64_t now_unix_nano, MetricsSnapshot* out) {
  ResourceMetrics rm;
  rm.resource = resource_;
  std::vector<CallbackPoint> points;
  {
    // Held while callbacks run: registration is rare, and this keeps entries_ stable.
    std::lock_guard lock(mu_);
    for (const Entry& e : entries_) {
      points.clear();
      e.callback(&points);
      if (points.empty()) continue;
      MetricData md;
      md.name = e.descriptor.name;
      md.description = e.descriptor.description;
      md.unit = e.descriptor.unit;
      md.kind = e.descriptor.kind;
      md.points.reserve(points.size());
      for (CallbackPoint& p : points) {
        md.points.push_back(DataPoint{std::move(p.attributes), start_time_unix_nano_, now_unix_nano,
                                      std::move(p.value)});
      }
      rm.metrics.push_back(std::move(md));
    }
  }
  if (!rm.metrics.empty()) out->push_back(std::move(rm));
}

}  // namespace otelbpf::metrics
