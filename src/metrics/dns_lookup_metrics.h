// dns.lookup.duration (semantic conventions, DNS metrics): seconds per getaddrinfo() call, by
// dns.question.name and error.type (glibc's EAI_* name when the lookup failed). From uprobes on
// libc (bpf/dns_lookup.bpf.h).
//
// Bounded twice: each resource (observed process) keeps at most `max_names` distinct question
// names, later names are reported as "_other" (counted in names_overflowed); and the series
// themselves are bounded like every other metric (BoundedSeries). Numeric hosts ("10.0.0.1")
// are not lookups and are not recorded.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <utility>

#include "capture/lifecycle_events.h"
#include "metrics/bounded_series.h"
#include "metrics/histogram.h"
#include "metrics/metric_data.h"

namespace otelbpf::metrics {

inline constexpr const char* kOtherQuestionName = "_other";

class DnsLookupMetrics : public MetricProducer {
 public:
  explicit DnsLookupMetrics(size_t max_names_per_resource = 200,
                            uint64_t retired_retention_ns = 120ull * 1000000000ull)
      : max_names_(max_names_per_resource), series_(2 * max_names_per_resource + 16,
                                                    retired_retention_ns) {}

  void Record(const DnsLookupEvent& event, uint64_t now_unix_nano);
  void RetireResource(const ResourcePtr& resource, uint64_t now_unix_nano);
  void Collect(uint64_t now_unix_nano, MetricsSnapshot* out) override;
  uint64_t names_overflowed() const;

 private:
  using Key = std::pair<std::string, std::string>;  // question name, error.type
  struct Series {
    explicit Series(uint64_t start);
    uint64_t start_unix_nano;
    ExplicitHistogram duration;
  };

  const size_t max_names_;
  mutable std::mutex mu_;
  BoundedSeries<Key, Series> series_;
  std::map<const Resource*, std::set<std::string>> names_;  // admitted names per resource
  uint64_t names_overflowed_ = 0;
};

// A question name as metrics report it: lowercased, without the root's trailing dot.
std::string NormalizeQuestionName(std::string_view name);

}  // namespace otelbpf::metrics
