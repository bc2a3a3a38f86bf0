// `attributes.select` (config file, named like OBI's): which data point attributes a metric
// reports. Applied to what the producers collect, before any exporter (Prometheus, OTLP, the
// store) sees it: points whose remaining attributes are equal are merged (counters and
// histograms add up, gauges add up too: every gauge here counts something, e.g. active
// connections). The series are still kept at full detail inside the agent; this bounds what
// leaves it, not the agent's memory (the per-metric series cap does that).
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "metrics/metric_data.h"

namespace otelbpf::metrics {

struct AttributeSelection {
  std::vector<std::string> include;  // names or globs; empty: every attribute
  std::vector<std::string> exclude;  // removed after include
};

// Keyed by a metric name as OpenTelemetry writes it (http.server.request.duration), as
// Prometheus does (http_server_request_duration), or a glob over either (http_*, *).
using AttributeSelections = std::map<std::string, AttributeSelection>;

// The selection for `metric_name`: an exact key wins, else the longest matching glob; null
// when none matches.
const AttributeSelection* SelectionFor(const AttributeSelections& selections,
                                       std::string_view metric_name);
// Whether `selection` keeps the attribute named `name`.
bool Keeps(const AttributeSelection& selection, std::string_view name);
// Applies `selections` to every metric of `snapshot`, merging points that become equal.
void SelectAttributes(const AttributeSelections& selections, MetricsSnapshot* snapshot);

// Another producer's points, with `selections` applied.
class SelectingProducer : public MetricProducer {
 public:
  SelectingProducer(MetricProducer* inner, const AttributeSelections* selections)
      : inner_(inner), selections_(selections) {}
  void Collect(uint64_t now_unix_nano, MetricsSnapshot* out) override;

 private:
  MetricProducer* inner_;
  const AttributeSelections* selections_;
};

}  // namespace otelbpf::metrics
