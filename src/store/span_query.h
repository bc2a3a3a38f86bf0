// Reading spans back from the store: a filter (what `otelbpf observe`, the UI and the other
// query commands ask for) turned into one SQL query with bound parameters, run on a read-only
// connection that never blocks the writer.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "store/span_record.h"

namespace otelbpf::store {

class Database;

// One condition on spans. Conditions are ANDed; `negated` turns one into its opposite
// (Hubble's --not). Values within one condition are ORed (--protocol dns --protocol http).
struct SpanCondition {
  enum class Field {
    kPid,          // the process id (resource)
    kExecutable,   // glob on process.executable.name
    kService,      // service.name of the span's own process
    kFrom,         // the calling end: service, address or port
    kTo,           // the called end: service, address or port
    kProtocol,     // http, grpc, dns, postgresql, mysql, redis, memcached
    kHttpMethod,
    kHttpStatus,   // values are ranges "lo-hi"
    kHttpPath,     // one regular expression (ECMAScript) on url.path
    kTraceId,      // 32 hex digits
    kStatusError,  // spans with status ERROR (no values)
    kKind,         // "server" or "client"
  };
  Field field;
  std::vector<std::string> values;
  bool negated = false;
};

struct SpanFilter {
  uint64_t since_ns = 0;  // 0: unbounded
  uint64_t until_ns = 0;
  uint64_t min_duration_ns = 0;
  std::vector<SpanCondition> conditions;
  // The newest `last` spans (returned oldest first); 0: all matching, oldest first.
  size_t last = 0;
  int64_t after_id = 0;  // only spans written after this row (following live data)
  // false: attributes, events and resource attributes are left empty (aggregating queries such
  // as `otelbpf stats` read a million spans without parsing their JSON).
  bool with_attributes = true;
};

// Opens a store for reading. Throws StoreError with advice when the file is missing or not a
// store of this version.
std::unique_ptr<Database> OpenForReading(const std::string& path);

// Throws StoreError (a bad regular expression or trace id is reported as such).
std::vector<StoredSpan> QuerySpans(Database& db, const SpanFilter& filter);

// Every span of one trace, by start time.
std::vector<StoredSpan> TraceSpans(Database& db, const TraceId& trace_id);

// 32 hex digits → trace id; nullopt when malformed.
std::optional<TraceId> ParseTraceId(const std::string& hex);

}  // namespace otelbpf::store
