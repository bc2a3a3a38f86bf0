// The pods of this node, looked up by container id and by pod IP. Written by the watcher
// thread, read by any thread: lookups take a shared lock and return a shared pointer (no
// copy, no allocation), so capture never waits on the API server, only on a map update.
// Bounded: beyond max_pods, new pods are not kept, and counted.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "kubernetes/pod_resource.h"

namespace otelbpf::kubernetes {

class PodCache {
 public:
  explicit PodCache(size_t max_pods) : max_pods_(max_pods) {}

  enum class Change { kAdded, kUpdated, kDropped };
  // Adds or replaces the pod with entry.uid. kDropped: the cache is full.
  Change Upsert(PodEntry entry);
  // Forgets the pod; false if it was not there.
  bool Remove(const std::string& uid);
  // A relist: the cache becomes exactly `entries` (pods gone while the watch was down vanish).
  // Returns how many did not fit.
  size_t ReplaceAll(std::vector<PodEntry> entries);

  // The container's resource, by its runtime id (as in ContainerStatus.containerID without
  // the "<runtime>://" prefix; upper case is accepted), or nullptr.
  PodResourcePtr ForContainer(std::string_view container_id) const;
  // The pod-level resource of the pod with this IP (textual, as the API writes it:
  // "10.1.2.3", "fd00::5"; "::ffff:10.1.2.3" is taken as 10.1.2.3), or nullptr.
  PodResourcePtr ForPodIp(std::string_view ip) const;

  size_t pods() const;
  size_t containers() const;
  uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }

 private:
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  template <typename V>
  using StringMap = std::unordered_map<std::string, V, StringHash, std::equal_to<>>;

  // Callers hold mutex_ exclusively.
  void IndexLocked(const PodEntry& entry);
  void UnindexLocked(const PodEntry& entry);

  const size_t max_pods_;
  mutable std::shared_mutex mutex_;
  StringMap<PodEntry> pods_;                // by pod uid
  StringMap<PodResourcePtr> by_container_;  // container id -> resource
  StringMap<std::string> ip_owner_;         // pod IP -> pod uid
  StringMap<PodResourcePtr> by_ip_;         // pod IP -> pod-level resource
  std::atomic<uint64_t> dropped_{0};
};

}  // namespace otelbpf::kubernetes
