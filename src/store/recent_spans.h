// Who called whom, decided when spans are written: a SERVER span stitched under a CLIENT span
// on this host (same trace, parent = the client's span id) names its caller, and the client
// names its callee. The two ends reach the writer close together but in either order, maybe
// in different batches, so the writer remembers recent CLIENT spans and recent SERVER spans
// still waiting for their parent (bounded, oldest forgotten first), and fills the row written
// first with an UPDATE by row id. Reads then need no join per span.
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>
#include <vector>

#include "trace/span.h"

namespace otelbpf::store {

struct RowUpdate {
  int64_t row_id;
  bool caller;  // true: set caller_service; false: set callee_service
  std::string service;
};

// How many spans to remember when at most `spans_per_second` are written: four seconds of
// them. The two ends of a same-host call reach the writer within the trace assembler's hold
// (0.5 s) and a write batch (0.2 s) of each other; a longer memory only costs the agent's RSS
// (~130 bytes per span: 65 536 of them were 8 MiB after any burst).
inline size_t RecentSpansCapacity(uint32_t spans_per_second) {
  return std::max<size_t>(1024, size_t{spans_per_second} * 4);
}

class RecentSpans {
 public:
  explicit RecentSpans(size_t capacity) : capacity_(capacity) {}

  struct Links {
    std::string caller;  // for a SERVER span: the local client's service
    std::string callee;  // for a CLIENT span: the local server's service
  };
  // Before writing a span: its own links, and updates for rows written earlier.
  Links Find(const Span& span, const std::string& service, std::vector<RowUpdate>* updates);
  // After writing it at `row_id`.
  void Remember(const Span& span, const std::string& service, int64_t row_id, bool linked);

  size_t size() const { return clients_.size() + waiting_servers_.size(); }

 private:
  struct Key {
    TraceId trace;
    SpanId span;
    bool operator==(const Key& o) const { return trace == o.trace && span == o.span; }
  };
  struct KeyHash {
    size_t operator()(const Key& k) const;
  };
  struct Entry {
    int64_t row_id;
    std::string service;
  };
  void Forget();

  size_t capacity_;
  std::unordered_map<Key, Entry, KeyHash> clients_;          // by their own span id
  std::unordered_map<Key, Entry, KeyHash> waiting_servers_;  // by their parent span id
  std::deque<std::pair<Key, bool>> order_;                   // (key, is_client), oldest first
};

}  // namespace otelbpf::store
