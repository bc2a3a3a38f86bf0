// `otelbpf trace ID`: one trace as a waterfall in the terminal: spans as a tree (children under
// their parent, by start time), each with its offset, duration and a bar on a shared time axis;
// kernel context from the span's events (TCP retransmissions) is named on its line.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "store/span_record.h"

namespace otelbpf::query {

// A trace's spans in waterfall order: each root by start time with its children under it, by
// start time, depth first. A span whose parent is not among the stored spans (on another host,
// or not kept) is a root. The terminal (FormatWaterfall) and the web UI draw this one order.
struct WaterfallRow {
  const store::StoredSpan* span;
  size_t depth;
};
struct WaterfallOrder {
  std::vector<WaterfallRow> rows;
  uint64_t start_ns = 0;  // the earliest start
  uint64_t end_ns = 0;    // the latest end
};
WaterfallOrder OrderForWaterfall(const std::vector<store::StoredSpan>& spans);

// `width`: characters of the bar column.
std::string FormatWaterfall(const std::vector<store::StoredSpan>& spans, size_t width = 40);

}  // namespace otelbpf::query
