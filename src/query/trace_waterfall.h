// `otelbpf trace ID`: one trace as a waterfall in the terminal: spans as a tree (children under
// their parent, by start time), each with its offset, duration and a bar on a shared time axis;
// kernel context from the span's events (TCP retransmissions) is named on its line.
#pragma once

#include <string>
#include <vector>

#include "store/span_record.h"

namespace otelbpf::query {

// `width`: characters of the bar column.
std::string FormatWaterfall(const std::vector<store::StoredSpan>& spans, size_t width = 40);

}  // namespace otelbpf::query
