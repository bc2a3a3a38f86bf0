// W3C Trace Context (https://www.w3.org/TR/trace-context/) parsing: the traceparent and
// tracestate values a request carried become a TraceContext, or nothing when traceparent is
// malformed. Pure functions on strings.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "trace/span_origin.h"

namespace otelbpf {

// The traceparent value, or nothing when it breaks any rule of the spec: unknown layout,
// uppercase hex, wrong lengths, version ff, all-zero trace-id or parent-id. Versions above 00
// are read as 00 when their first 55 characters fit (and a '-' follows, if anything does).
// `tracestate_values` are every tracestate header of the request, in order (HTTP joins them
// with commas). An invalid tracestate is dropped, the traceparent kept, as the spec asks.
std::optional<TraceContext> ParseTraceContext(std::string_view traceparent,
                                              const std::vector<std::string_view>& tracestate_values);

// The tracestate list re-joined with "," (empty members dropped), or nothing when invalid: bad
// key or value syntax, a duplicate key, more than 32 members.
std::optional<std::string> ParseTraceState(const std::vector<std::string_view>& values);

}  // namespace otelbpf
