// The web UI's API (/api/...): query parameters in, a status and a JSON body out. Knows no
// HTTP library (ui_server.cc routes requests here), so the unit tests call it on a real
// temporary store directly. Every endpoint reads through the store's and the query layer's
// public functions: the UI shows exactly what `otelbpf observe`, `stats`, `map`, `trace` and
// `events` print.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace otelbpf::store {
class Database;
}

namespace otelbpf::ui {

// Query parameters in the order of the URL: order matters to the filters (`not` negates the
// filter that follows it, as --not does on the command line).
using QueryParams = std::vector<std::pair<std::string, std::string>>;

struct ApiResponse {
  int status = 200;
  std::string body;  // JSON
};

// "a=1&not&b=x%2By" → {{"a","1"},{"not",""},{"b","x+y"}} (percent- and '+'-decoded).
QueryParams ParseQueryString(std::string_view query);

// "--protocol http --not --http-status 5+ --http-path '^/api/'": observe's flags as typed in the
// UI's search box, split like a shell would (quotes, no expansion) into (name, value) pairs in
// order. false with *error on a value with no flag before it or an unterminated quote.
bool SplitFilterText(std::string_view text, QueryParams* out, std::string* error);

// The span list. Parameters: every filter of `otelbpf observe` by its flag name (since, until,
// last, min-duration, pid, exe, service, from, to, protocol, http-method, http-status,
// http-path, trace, kind, errors, not), and `q` for the same filters as typed text. At most
// the newest `last` spans (default 200, at most 5000) are returned, newest first.
ApiResponse SpansApi(store::Database& db, const QueryParams& params, uint64_t now_ns);
// One trace's spans in waterfall order; 404 when none is stored.
ApiResponse TraceApi(store::Database& db, const std::string& trace_id_hex);
// RED per service and operation (`otelbpf stats`): since (default 5m), service, protocol.
ApiResponse StatsApi(store::Database& db, const QueryParams& params, uint64_t now_ns);
// The service graph (`otelbpf map`): since (default 5m), service, protocol.
ApiResponse MapApi(store::Database& db, const QueryParams& params, uint64_t now_ns);
// The first view's data in one read: {"map": MapApi's body, "stats": StatsApi's body}. The two
// aggregate the same spans, and reading them is most of the cost (docs/ui.md), so the page
// asks once.
ApiResponse OverviewApi(store::Database& db, const QueryParams& params, uint64_t now_ns);
// Connection and lookup events (`otelbpf events`): kind, service (repeatable), since (default
// 5m), last (default 500, at most 5000); newest first.
ApiResponse EventsApi(store::Database& db, const QueryParams& params, uint64_t now_ns);

inline constexpr size_t kDefaultSpanLimit = 200;
inline constexpr size_t kMaxRows = 5000;  // keeps every answer small enough for a browser table

}  // namespace otelbpf::ui
