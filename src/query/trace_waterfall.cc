#include "query/trace_waterfall.h"

#include <algorithm>
#include <map>

#include <nlohmann/json.hpp>

#include "query/span_lines.h"
#include "trace/ids.h"

namespace otelbpf::query {
namespace {

// "[2 tcp retransmits]": what the kernel added to the span (assembly's otelbpf.tcp.retransmits
// attribute), in a few words.
std::string KernelNote(const store::StoredSpan& s) {
  const auto attributes = nlohmann::json::parse(s.attributes_json, nullptr, false);
  if (attributes.is_discarded() || !attributes.is_object()) return {};
  const auto it = attributes.find("otelbpf.tcp.retransmits");
  if (it == attributes.end() || !it->is_number_integer() || it->get<int64_t>() <= 0) return {};
  const int64_t count = it->get<int64_t>();
  return "  [" + std::to_string(count) + " tcp retransmit" + (count > 1 ? "s]" : "]");
}

std::string Bar(uint64_t start, uint64_t duration, uint64_t t0, uint64_t total, size_t width) {
  if (total == 0) total = 1;
  const size_t begin = static_cast<size_t>((start - t0) * width / total);
  size_t length = static_cast<size_t>(duration * width / total);
  length = std::max<size_t>(1, std::min(length, width - std::min(begin, width - 1)));
  std::string bar(width, ' ');
  for (size_t i = begin; i < begin + length && i < width; ++i) bar[i] = '#';
  return "|" + bar + "|";
}

}  // namespace

WaterfallOrder OrderForWaterfall(const std::vector<store::StoredSpan>& spans) {
  WaterfallOrder order;
  if (spans.empty()) return order;
  order.start_ns = spans.front().start_ns;
  std::map<SpanId, const store::StoredSpan*> by_id;
  for (const auto& s : spans) {
    order.start_ns = std::min(order.start_ns, s.start_ns);
    order.end_ns = std::max(order.end_ns, s.start_ns + s.duration_ns);
    by_id[s.span_id] = &s;
  }
  std::map<SpanId, std::vector<const store::StoredSpan*>> children;
  std::vector<const store::StoredSpan*> roots;
  for (const auto& s : spans) {
    if (s.parent_span_id != SpanId{} && by_id.count(s.parent_span_id))
      children[s.parent_span_id].push_back(&s);
    else
      roots.push_back(&s);
  }
  auto by_start = [](const store::StoredSpan* a, const store::StoredSpan* b) {
    return a->start_ns < b->start_ns;
  };
  std::sort(roots.begin(), roots.end(), by_start);
  for (auto& [id, list] : children) std::sort(list.begin(), list.end(), by_start);
  auto visit = [&](auto&& self, const store::StoredSpan* s, size_t depth) -> void {
    order.rows.push_back({s, depth});
    auto it = children.find(s->span_id);
    if (it == children.end()) return;
    for (const auto* child : it->second) self(self, child, depth + 1);
  };
  for (const auto* root : roots) visit(visit, root, 0);
  return order;
}

std::string FormatWaterfall(const std::vector<store::StoredSpan>& spans, size_t width) {
  if (spans.empty()) return "";
  const WaterfallOrder order = OrderForWaterfall(spans);
  const uint64_t t0 = order.start_ns, t1 = order.end_ns;
  std::vector<std::vector<std::string>> rows = {{"OFFSET", "DURATION", "SPAN", "OUTCOME", ""}};
  for (const auto& [s, depth] : order.rows) {
    const std::string kind = s->kind == SpanKind::kServer ? "server" : "client";
    const std::string label = std::string(depth * 2, ' ') + s->resource.service_name + " " +
                              kind + " " + s->protocol + " " + OperationOf(*s);
    rows.push_back({FormatDuration(s->start_ns - t0), FormatDuration(s->duration_ns), label,
                    OutcomeOf(*s),
                    Bar(s->start_ns, s->duration_ns, t0, t1 - t0, width) + KernelNote(*s)});
  }
  return "trace " + ToHex(spans.front().trace_id) + "  " + std::to_string(spans.size()) +
         " spans  " + FormatDuration(t1 - t0) + "\n" + AlignColumns(rows);
}

}  // namespace otelbpf::query
