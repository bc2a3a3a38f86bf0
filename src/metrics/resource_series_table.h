// The series store shared by the span-derived RED metrics (HttpMetrics, DbMetrics): per
// resource (observed process), a few "sides" (HTTP: server and client) of series keyed by the
// metric's attribute set, with the same bounds and lifecycle everywhere:
//
// - Cardinality: a side holds at most `max_series_per_metric` series; later new attribute sets
//   go to ONE overflow series per side (reported with otel.metric.overflow=true, the OTel SDK's
//   cardinality-limit convention), and each such measurement is counted.
// - Resources: at most `max_resources` at once; measurements of further ones are dropped and
//   counted (a safety net: the agent forgets resources of exited processes).
// - Forgetting: a forgotten resource keeps its series until a Collect has reported them (plus
//   `forgotten_retention_ns`), so its last values are not lost, then they are dropped.
//
// Threading: Record on the capture thread, Collect from exporter threads. Record looks a series
// up by a borrowed key view, so it allocates nothing for an existing series; Collect holds
// Record's mutex only while it copies numbers.
//
// Unlike BoundedSeries (kernel-event metrics) it is synchronised itself, looks up without
// building a key, and drops a forgotten resource only after a collection has seen it.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

#include "metrics/metric_data.h"
#include "trace/span.h"

namespace otelbpf::metrics {

struct SpanMetricsOptions {
  // Series per metric per resource (per side) before measurements go to the overflow series.
  size_t max_series_per_metric = 2000;
  // Resources (processes) tracked at once; spans of further resources are dropped and counted
  // (dropped_measurements). A safety net: the agent forgets resources of exited processes.
  size_t max_resources = 10000;
  // How long the series of a forgotten resource stay after the first Collect that saw them
  // forgotten. 0: dropped right after that Collect reported their final values. With several
  // exporters on different schedules, set it to the longest export/scrape interval so each one
  // sees the final values.
  uint64_t forgotten_retention_ns = 0;
};

// The data point attributes of an overflow series.
inline Attributes OverflowAttributes() { return Attributes{{"otel.metric.overflow", true}}; }

// Key: the owned attribute set, constructible from KeyView (what a measurement borrows from its
// span). Hash/Equal: transparent over KeyView (C++20 heterogeneous lookup). Series: the values
// of one attribute set, constructed from its start time (unix ns).
template <typename Key, typename KeyView, typename Hash, typename Equal, typename Series,
          size_t kSides>
class ResourceSeriesTable {
 public:
  // One series' numbers, copied under the lock. `key` is nullptr for the overflow series; it
  // points into the table and stays valid for the duration of the Collect callback.
  struct SeriesCopy {
    const Key* key;
    Series values;
  };
  // Per side, in creation order (overflow last), so output is stable between collections.
  using SideCopies = std::array<std::vector<SeriesCopy>, kSides>;

  explicit ResourceSeriesTable(const SpanMetricsOptions& options) : options_(options) {}

  // Calls update(Series&) under the lock on the series of `key` on `side` of `resource`
  // (created, or the overflow series, as the bounds say). `start_time` starts a new series.
  template <typename Update>
  void Record(const ResourcePtr& resource, size_t side, const KeyView& key, uint64_t start_time,
              Update&& update) {
    std::lock_guard lock(mu_);
    ResourceState* state = FindOrAddResource(resource);
    if (state == nullptr) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    update(SeriesOf(state->sides[side], key, start_time));
  }

  // The process behind `resource` exited. Call it after the process's last span was recorded:
  // a later span would start a fresh set of series that is never forgotten.
  void Forget(const Resource* resource) {
    std::lock_guard lock(mu_);
    auto it = resources_.find(resource);
    if (it != resources_.end()) it->second->forgotten = true;
  }

  // Calls emit(const ResourcePtr&, const SideCopies&) for every resource with at least one
  // series, after Record's lock is released (building attributes for thousands of points must
  // not stall the capture thread). Drops forgotten resources whose time has come.
  template <typename Emit>
  void Collect(uint64_t now_unix_nano, Emit&& emit) {
    std::lock_guard collect_lock(collect_mu_);
    std::vector<ResourceCopy> copies;
    // States dropped by this collection: their keys are still read by `emit`, so they die last.
    std::vector<std::unique_ptr<ResourceState>> dropped;
    {
      std::lock_guard lock(mu_);
      copies.reserve(resources_.size());
      for (auto it = resources_.begin(); it != resources_.end();) {
        ResourceState& state = *it->second;
        if (state.size() > 0) {
          ResourceCopy& copy = copies.emplace_back();
          copy.resource = state.resource;
          for (size_t s = 0; s < kSides; ++s) CopySide(state.sides[s], &copy.sides[s]);
        }
        if (state.forgotten && ShouldDrop(state, now_unix_nano)) {
          if (last_state_ == &state) last_state_ = nullptr;
          dropped.push_back(std::move(it->second));
          it = resources_.erase(it);
          continue;
        }
        ++it;
      }
    }
    for (const ResourceCopy& copy : copies) emit(copy.resource, copy.sides);
  }

  // Measurements recorded into an overflow series (cardinality limit hit). Monotonic.
  uint64_t overflow_measurements() const { return overflow_.load(std::memory_order_relaxed); }
  // Measurements dropped because max_resources was reached. Monotonic.
  uint64_t dropped_measurements() const { return dropped_.load(std::memory_order_relaxed); }

  // Series held right now, all resources and sides (overflow series included).
  size_t series_count() const {
    std::lock_guard lock(mu_);
    size_t n = 0;
    for (const auto& [resource, state] : resources_) n += state->size();
    return n;
  }

  size_t resource_count() const {
    std::lock_guard lock(mu_);
    return resources_.size();
  }

 private:
  struct Side {
    using Map = std::unordered_map<Key, Series, Hash, Equal>;
    Map series;
    // Creation order. unordered_map nodes never move, so these pointers stay valid.
    std::vector<typename Map::value_type*> order;
    std::optional<Series> overflow;

    size_t size() const { return series.size() + (overflow ? 1 : 0); }
  };

  struct ResourceState {
    ResourcePtr resource;  // keeps the address unique while we key by it
    std::array<Side, kSides> sides;
    bool forgotten = false;
    std::optional<uint64_t> first_collect_after_forget_ns;

    size_t size() const {
      size_t n = 0;
      for (const Side& side : sides) n += side.size();
      return n;
    }
  };

  struct ResourceCopy {
    ResourcePtr resource;
    SideCopies sides;
  };

  ResourceState* FindOrAddResource(const ResourcePtr& resource) {
    const Resource* key = resource.get();
    // The capture thread sees runs of one process's spans: skip the hash lookup for those.
    if (last_state_ != nullptr && last_state_->resource.get() == key) return last_state_;
    auto it = resources_.find(key);
    if (it == resources_.end()) {
      if (resources_.size() >= options_.max_resources) return nullptr;
      auto state = std::make_unique<ResourceState>();
      state->resource = resource;
      it = resources_.emplace(key, std::move(state)).first;
    }
    last_state_ = it->second.get();
    return last_state_;
  }

  Series& SeriesOf(Side& side, const KeyView& key, uint64_t start_time) {
    auto it = side.series.find(key);
    if (it != side.series.end()) return it->second;
    if (side.series.size() < options_.max_series_per_metric) {
      auto inserted = side.series.emplace(Key(key), Series(start_time)).first;
      side.order.push_back(&*inserted);
      return inserted->second;
    }
    if (!side.overflow) side.overflow.emplace(start_time);
    overflow_.fetch_add(1, std::memory_order_relaxed);
    return *side.overflow;
  }

  // Keys are immutable once inserted and their nodes never move, so only pointers to them are
  // copied (only Collect erases, and Collects are serialised by collect_mu_).
  static void CopySide(const Side& side, std::vector<SeriesCopy>* out) {
    out->reserve(side.size());
    for (const auto* entry : side.order) out->push_back(SeriesCopy{&entry->first, entry->second});
    if (side.overflow) out->push_back(SeriesCopy{nullptr, *side.overflow});
  }

  // Whether a forgotten resource goes now: this collection reports its final values; it stays
  // until the retention has passed too. A clock that stepped back counts as elapsed, so memory
  // stays bounded whatever the clock does.
  bool ShouldDrop(ResourceState& state, uint64_t now) const {
    if (!state.first_collect_after_forget_ns) state.first_collect_after_forget_ns = now;
    const uint64_t since = *state.first_collect_after_forget_ns;
    return now < since || now - since >= options_.forgotten_retention_ns;
  }

  const SpanMetricsOptions options_;
  std::mutex collect_mu_;  // one Collect at a time; taken before mu_
  mutable std::mutex mu_;  // everything below
  std::unordered_map<const Resource*, std::unique_ptr<ResourceState>> resources_;
  ResourceState* last_state_ = nullptr;
  std::atomic<uint64_t> overflow_{0};
  std::atomic<uint64_t> dropped_{0};
};

}  // namespace otelbpf::metrics
