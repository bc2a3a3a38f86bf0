// The JSON bodies of the web UI's API (/api/...), built from what the store and the query layer
// return. Field names follow `otelbpf observe -o json` where the two overlap (trace_id, from,
// to, operation, duration_ns, ...), so a script written against one reads the other; times are
// Unix nanoseconds, which JavaScript numbers hold to within a microsecond (good enough for a
// display; ids stay strings).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "query/red_stats.h"
#include "query/service_graph.h"
#include "store/net_event.h"
#include "store/span_record.h"

namespace otelbpf::ui {

// {"spans":[...]}: newest first (the list shows the latest on top). `limit` is echoed so the
// page can say "showing the newest N".
std::string SpanListJson(const std::vector<store::StoredSpan>& spans, size_t limit);

// {"trace_id":..,"start_ns":..,"duration_ns":..,"spans":[...]}: spans in waterfall order
// (children under their parent, by start time) with their depth, all attributes, and the
// kernel context the bar shows (TCP retransmissions with their times, smoothed RTT).
std::string TraceJson(const std::vector<store::StoredSpan>& spans);

// {"window_ns":..,"rows":[...]}
std::string RedJson(const std::vector<query::RedRow>& rows, uint64_t window_ns);

// {"window_ns":..,"nodes":[{"name":..,"calls_in":..,"calls_out":..}],"edges":[...]}
std::string GraphJson(const std::vector<query::GraphEdge>& edges, uint64_t window_ns);

// {"events":[...]}: newest first.
std::string NetEventsJson(const std::vector<store::NetEvent>& events);

// {"error":"..."}
std::string ErrorJson(const std::string& message);

}  // namespace otelbpf::ui
