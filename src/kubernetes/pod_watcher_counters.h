// The watcher's counters (KubernetesStats), written by its thread and read by stats().
#pragma once

#include <atomic>
#include <cstdint>

#include "kubernetes/kubernetes_metadata.h"

namespace otelbpf::kubernetes {

struct KubernetesMetadata::Counters {
  std::atomic<uint64_t> lists{0};
  std::atomic<uint64_t> relists{0};
  std::atomic<uint64_t> reconnects{0};
  std::atomic<uint64_t> watch_errors{0};
  std::atomic<uint64_t> events{0};
  std::atomic<uint64_t> bookmarks{0};
  std::atomic<uint64_t> bad_objects{0};
  std::atomic<uint64_t> owner_lookups{0};
  std::atomic<uint64_t> owner_lookup_failures{0};
};

}  // namespace otelbpf::kubernetes
