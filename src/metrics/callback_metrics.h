// Metrics whose values are read when collected, from callbacks: otelbpf's self-metrics
// (otelbpf.capture.events, otelbpf.spans.dropped, otelbpf.ringbuffer.fill, ...), all under one
// resource (otelbpf's own).
//
// The state lives where it is updated (usually atomics); this producer only knows how to read it,
// so the hot paths pay nothing for being observable.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <variant>
#include <vector>

#include "metrics/metric_data.h"

namespace otelbpf::metrics {

struct MetricDescriptor {
  std::string name;  // OpenTelemetry name, e.g. "otelbpf.capture.events"
  std::string description;
  std::string unit;  // UCUM, e.g. "{event}", "1", "By"
  MetricKind kind = MetricKind::kCounter;
};

// One point a callback reports. kCounter and kUpDownCounter values are cumulative totals.
struct CallbackPoint {
  Attributes attributes;
  PointValue value;
};

// Appends the current points of one metric. Called from exporter threads, possibly from two at
// once: it must be thread-safe (read atomics, or take the owner's lock briefly) and quick.
using PointsCallback = std::function<void(std::vector<CallbackPoint>* out)>;

class CallbackMetrics : public MetricProducer {
 public:
  // `start_time_unix_nano`: when the counters started counting (the agent's start).
  CallbackMetrics(ResourcePtr resource, uint64_t start_time_unix_nano);

  // Registers one metric; may be called at any time, also while exporters collect.
  void Register(MetricDescriptor descriptor, PointsCallback callback);

  // A metric with a single point and no attributes, e.g. a counter read from one atomic. Two
  // names, not overloads: a lambda returning uint64_t would fit both.
  void RegisterInt(MetricDescriptor descriptor, std::function<int64_t()> read);
  void RegisterDouble(MetricDescriptor descriptor, std::function<double()> read);

  // One ResourceMetrics with every registered metric that reported at least one point.
  void Collect(uint64_t now_unix_nano, MetricsSnapshot* out) override;

 private:
  struct Entry {
    MetricDescriptor descriptor;
    PointsCallback callback;
  };

  const ResourcePtr resource_;
  const uint64_t start_time_unix_nano_;
  std::mutex mu_;
  std::vector<Entry> entries_;
};

}  // namespace otelbpf::metrics
