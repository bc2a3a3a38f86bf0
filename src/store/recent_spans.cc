#include "store/recent_spans.h"

#include <cstring>

namespace otelbpf::store {

size_t RecentSpans::KeyHash::operator()(const Key& k) const {
  uint64_t a, b;
  std::memcpy(&a, k.trace.data() + 8, 8);
  std::memcpy(&b, k.span.data(), 8);
  return static_cast<size_t>(a ^ (b * 0x9E3779B97F4A7C15ull));
}

RecentSpans::Links RecentSpans::Find(const Span& span, const std::string& service,
                                     std::vector<RowUpdate>* updates) {
  Links links;
  if (span.kind == SpanKind::kServer && span.parent_span_id != SpanId{}) {
    auto it = clients_.find({span.trace_id, span.parent_span_id});
    if (it != clients_.end()) {
      links.caller = it->second.service;
      updates->push_back({it->second.row_id, /*caller=*/false, service});
    }
  } else if (span.kind == SpanKind::kClient) {
    auto it = waiting_servers_.find({span.trace_id, span.span_id});
    if (it != waiting_servers_.end()) {
      links.callee = it->second.service;
      updates->push_back({it->second.row_id, /*caller=*/true, service});
      waiting_servers_.erase(it);
    }
  }
  return links;
}

void RecentSpans::Remember(const Span& span, const std::string& service, int64_t row_id,
                           bool linked) {
  if (span.kind == SpanKind::kClient) {
    const Key key{span.trace_id, span.span_id};
    if (clients_.emplace(key, Entry{row_id, service}).second) order_.push_back({key, true});
  } else if (span.kind == SpanKind::kServer && !linked && span.parent_span_id != SpanId{}) {
    const Key key{span.trace_id, span.parent_span_id};
    if (waiting_servers_.emplace(key, Entry{row_id, service}).second)
      order_.push_back({key, false});
  }
  Forget();
}

void RecentSpans::Forget() {
  while (order_.size() > capacity_) {
    const auto& [key, is_client] = order_.front();
    (is_client ? clients_ : waiting_servers_).erase(key);
    order_.pop_front();
  }
}

}  // namespace otelbpf::store
