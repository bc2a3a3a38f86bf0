// How `otelbpf observe` prints stored spans: compact (one readable line, Hubble-like), json
// (one object per line, with trace and span ids), table (aligned columns with a header).
#pragma once

#include <string>
#include <vector>

#include "store/net_event.h"
#include "store/span_record.h"

namespace otelbpf::query {

enum class OutputFormat { kCompact, kJson, kTable };

// Who called and who was called, as a person reads a service graph: SERVER spans are called
// by their peer (the local client's service when stitched, else its address), CLIENT spans
// call their peer (its service name when known, else address:port).
std::string CallerOf(const store::StoredSpan& span);
std::string CalleeOf(const store::StoredSpan& span);
// "GET /users/42", "SELECT users", "A example.com", the span name otherwise.
std::string OperationOf(const store::StoredSpan& span);
// "200", "ERROR", "ok": the answer in one word.
std::string OutcomeOf(const store::StoredSpan& span);
std::string FormatDuration(uint64_t ns);  // "850us", "12.3ms", "1.52s"
std::string FormatClock(uint64_t unix_ns);  // "05:09:01.123" (UTC)
std::string FormatIso8601(uint64_t unix_ns);  // "2026-12-04T05:09:01.123456789Z"

std::string FormatCompact(const store::StoredSpan& span);
// A connection or lookup event: time, kind, process, endpoints or name, duration, details.
std::string FormatNetEvent(const store::NetEvent& event);
std::string FormatNetEventJson(const store::NetEvent& event);
std::string FormatJson(const store::StoredSpan& span);
// Rows of cells as aligned columns (two spaces apart), one line each.
std::string AlignColumns(const std::vector<std::vector<std::string>>& rows);
// Every span, aligned; the header line first.
std::string FormatTable(const std::vector<store::StoredSpan>& spans);

}  // namespace otelbpf::query
