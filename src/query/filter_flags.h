// The filter flags of `otelbpf observe` (and the UI's span search), Hubble-style: each flag
// adds a condition, repeated flags of one kind are alternatives, `--not` negates the flag that
// follows it. Pure: the flags arrive as (name, value) pairs in command-line order.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "store/span_query.h"

namespace otelbpf::query {

struct FilterFlag {
  std::string name;   // without dashes: "protocol", "http-status", "not", ...
  std::string value;  // "" for switches (--not, --errors)
};

// Builds the filter; nullopt with `error` naming the bad flag and what it accepts.
// `now_ns` anchors relative times ("--since 5m").
std::optional<store::SpanFilter> BuildFilter(const std::vector<FilterFlag>& flags,
                                             uint64_t now_ns, std::string* error);

// "5m", "90s", "2h", "1d" ago, or an RFC 3339 time ("2026-12-04T05:00:00Z"), as Unix ns.
std::optional<uint64_t> ParseTimePoint(const std::string& text, uint64_t now_ns);
// "100ms", "2s", "1.5m", "250us" → nanoseconds.
std::optional<uint64_t> ParseDurationNs(const std::string& text);
// "5+" (500-599), "4+" (400-499), "404", "500-599" → "lo-hi"; nullopt when malformed.
std::optional<std::string> ParseStatusRange(const std::string& text);

// The flag names BuildFilter understands (for --help and the UI).
const std::vector<std::string>& FilterFlagNames();

}  // namespace otelbpf::query
