// Who called whom, decided when spans are written: a SERVER span stitched under a CLIENT span
// on this host (same trace, parent = the client's span id) names its caller, and the client
// names its callee. The two ends reach the writer close together but in either order, maybe
// in different batches, so the writer remembers recent CLIENT spans and recent SERVER spans
// still waiting for their parent (bounded, oldest forgotten first), and fills the row written
// first with an UPDATE by row id. Reads then need no join per span.
#pragma once

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

class RecentSpans {
 public:
  explicit RecentSpans(size_t capacity = 65536) : capacity_(capacity) {}

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
