// The series of one group of metrics, per resource (observed process), with a hard bound.
//
// Past `max_series` distinct keys in a resource, measurements go to that resource's ONE
// overflow series (reported with otel.metric.overflow=true, the OTel SDK's cardinality-limit
// convention) and are counted. A retired resource (its process exited) keeps its series for
// `retention_ns`, so every exporter on an ordinary schedule reports the final values, and is then
// dropped. Not synchronised: the owning metrics class locks around it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>

#include "metrics/metric_data.h"

namespace otelbpf::metrics {

template <typename Key, typename Series>
class BoundedSeries {
 public:
  BoundedSeries(size_t max_series, uint64_t retention_ns)
      : max_series_(max_series), retention_ns_(retention_ns) {}

  // The series of `key` in `resource`, created as Series(now_unix_nano) if new; the overflow
  // series when the resource is full. Late measurements of a retired resource still count
  // (its last connections close after its exit) without extending its retention.
  Series& At(const ResourcePtr& resource, const Key& key, uint64_t now_unix_nano) {
    PerResource& r = resources_[resource.get()];
    if (!r.resource) r.resource = resource;  // holds the key's pointer: it cannot be reused
    auto it = r.series.find(key);
    if (it != r.series.end()) return it->second;
    if (r.series.size() >= max_series_) {
      ++overflowed_;
      if (!r.overflow) r.overflow = std::make_unique<Series>(now_unix_nano);
      return *r.overflow;
    }
    return r.series.emplace(key, Series(now_unix_nano)).first->second;
  }

  // The series of `key` if it exists (or the overflow series if the key could not have had
  // one), without creating anything; nullptr otherwise.
  Series* Find(const Resource* resource, const Key& key) {
    auto r = resources_.find(resource);
    if (r == resources_.end()) return nullptr;
    auto it = r->second.series.find(key);
    if (it != r->second.series.end()) return &it->second;
    return r->second.overflow.get();
  }

  void Retire(const Resource* resource, uint64_t now_unix_nano) {
    auto r = resources_.find(resource);
    if (r != resources_.end() && r->second.retired_at == 0) r->second.retired_at = now_unix_nano;
  }

  // Calls f(resource, key_or_null, series) for every series; key is null for the overflow
  // series. Drops resources retired longer than the retention first.
  template <typename F>
  void ForEach(uint64_t now_unix_nano, F f) {
    for (auto it = resources_.begin(); it != resources_.end();) {
      const PerResource& r = it->second;
      if (r.retired_at && now_unix_nano >= r.retired_at &&
          now_unix_nano - r.retired_at >= retention_ns_) {
        it = resources_.erase(it);
        continue;
      }
      for (const auto& [key, series] : r.series) f(r.resource, &key, series);
      if (r.overflow) f(r.resource, static_cast<const Key*>(nullptr), *r.overflow);
      ++it;
    }
  }

  // Mutable walk (no expiry), e.g. to zero the live state of a retired resource.
  template <typename F>
  void ForEachOf(const Resource* resource, F f) {
    auto r = resources_.find(resource);
    if (r == resources_.end()) return;
    for (auto& [key, series] : r->second.series) f(series);
    if (r->second.overflow) f(*r->second.overflow);
  }

  uint64_t overflowed() const { return overflowed_; }
  size_t resources() const { return resources_.size(); }

 private:
  struct PerResource {
    ResourcePtr resource;
    std::map<Key, Series> series;
    std::unique_ptr<Series> overflow;
    uint64_t retired_at = 0;
  };

  const size_t max_series_;
  const uint64_t retention_ns_;
  std::map<const Resource*, PerResource> resources_;
  uint64_t overflowed_ = 0;
};

}  // namespace otelbpf::metrics
