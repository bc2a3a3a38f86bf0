#include "ui/ui_api.h"

#include <algorithm>
#include <cstdlib>
#include <optional>

#include "query/filter_flags.h"
#include "query/red_stats.h"
#include "query/service_graph.h"
#include "store/net_event_query.h"
#include "store/span_query.h"
#include "store/sqlite_db.h"
#include "ui/ui_json.h"

namespace otelbpf::ui {
namespace {

ApiResponse BadRequest(const std::string& message) { return {400, ErrorJson(message)}; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string Decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] == '%' && i + 2 < text.size() && HexValue(text[i + 1]) >= 0 &&
               HexValue(text[i + 2]) >= 0) {
      out += static_cast<char>(HexValue(text[i + 1]) * 16 + HexValue(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

bool IsSwitch(const std::string& name) { return name == "not" || name == "errors"; }

bool IsFilterName(const std::string& name) {
  const auto& names = query::FilterFlagNames();
  return std::find(names.begin(), names.end(), name) != names.end();
}

// A positive count no larger than kMaxRows; nullopt when malformed.
std::optional<size_t> Count(const std::string& text) {
  char* end = nullptr;
  const long long n = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end || n <= 0) return std::nullopt;
  return std::min<size_t>(static_cast<size_t>(n), kMaxRows);
}

// The window of stats, map and events: `since` (default 5m) as a time point, and the filter
// flags the three commands share (service, protocol). Light spans: no attribute JSON parsed.
struct Window {
  store::SpanFilter filter;
  uint64_t since_ns = 0;
  uint64_t window_ns = 0;
};

std::optional<Window> WindowFrom(const QueryParams& params, uint64_t now_ns, std::string* error) {
  std::string since = "5m";
  std::vector<query::FilterFlag> flags;
  for (const auto& [name, value] : params) {
    if (name == "since") {
      since = value;
    } else if (name == "service" || name == "protocol") {
      flags.push_back({name, value});
    } else if (name != "token") {
      *error = "unknown parameter " + name + " (since, service, protocol)";
      return std::nullopt;
    }
  }
  auto filter = query::BuildFilter(flags, now_ns, error);
  if (!filter) return std::nullopt;
  const auto since_ns = query::ParseTimePoint(since, now_ns);
  if (!since_ns) {
    *error = "since " + since + ": a time ago (30s, 5m, 2h, 1d) or an RFC 3339 UTC time";
    return std::nullopt;
  }
  filter->since_ns = *since_ns;
  filter->with_attributes = false;
  return Window{*filter, *since_ns, now_ns > *since_ns ? now_ns - *since_ns : 1};
}

}  // namespace

QueryParams ParseQueryString(std::string_view query) {
  QueryParams out;
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    if (!pair.empty()) {
      const size_t eq = pair.find('=');
      if (eq == std::string_view::npos)
        out.emplace_back(Decode(pair), "");
      else
        out.emplace_back(Decode(pair.substr(0, eq)), Decode(pair.substr(eq + 1)));
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return out;
}

bool SplitFilterText(std::string_view text, QueryParams* out, std::string* error) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (char c : text) {
    if (quote) {
      if (c == quote)
        quote = 0;
      else
        word += c;
    } else if (c == '\'' || c == '"') {
      quote = c;
      in_word = true;
    } else if (c == ' ' || c == '\t' || c == '\n') {
      if (in_word) words.push_back(std::exchange(word, {}));
      in_word = false;
    } else {
      word += c;
      in_word = true;
    }
  }
  if (quote) {
    *error = "unterminated quote in the filter";
    return false;
  }
  if (in_word) words.push_back(word);
  for (size_t i = 0; i < words.size(); ++i) {
    const std::string& w = words[i];
    if (w.size() < 3 || w.compare(0, 2, "--") != 0) {
      *error = "'" + w + "' is not a filter flag (e.g. --protocol http --http-status 5+)";
      return false;
    }
    std::string name = w.substr(2), value;
    const size_t eq = name.find('=');
    if (eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    } else if (!IsSwitch(name)) {
      if (i + 1 >= words.size()) {
        *error = "--" + name + " needs a value";
        return false;
      }
      value = words[++i];
    }
    out->emplace_back(name, value);
  }
  return true;
}

ApiResponse SpansApi(store::Database& db, const QueryParams& params, uint64_t now_ns) {
  std::vector<query::FilterFlag> flags;
  std::string error;
  for (const auto& [name, value] : params) {
    if (name == "q") {
      QueryParams typed;
      if (!SplitFilterText(value, &typed, &error)) return BadRequest(error);
      for (auto& [n, v] : typed) flags.push_back({n, v});
    } else if (IsFilterName(name)) {
      flags.push_back({name, IsSwitch(name) ? "" : value});
    } else if (name != "token") {
      return BadRequest("unknown filter " + name);
    }
  }
  auto filter = query::BuildFilter(flags, now_ns, &error);
  if (!filter) return BadRequest(error);
  // Never the whole store: the newest spans, as many as a table can show.
  filter->last = filter->last ? std::min(filter->last, kMaxRows) : kDefaultSpanLimit;
  // Attributes are read for the kernel context the list flags (retransmissions); a few
  // hundred rows of JSON cost little next to the query.
  filter->with_attributes = true;
  try {
    return {200, SpanListJson(store::QuerySpans(db, *filter), filter->last)};
  } catch (const store::StoreError& e) {
    return BadRequest(e.what());  // a bad regular expression, reported as the CLI does
  }
}

ApiResponse TraceApi(store::Database& db, const std::string& trace_id_hex) {
  const auto id = store::ParseTraceId(trace_id_hex);
  if (!id) return BadRequest("not a trace id (32 hex digits): " + trace_id_hex);
  const auto spans = store::TraceSpans(db, *id);
  if (spans.empty()) return {404, ErrorJson("no span of trace " + trace_id_hex + " is stored")};
  return {200, TraceJson(spans)};
}

ApiResponse StatsApi(store::Database& db, const QueryParams& params, uint64_t now_ns) {
  std::string error;
  auto window = WindowFrom(params, now_ns, &error);
  if (!window) return BadRequest(error);
  return {200, RedJson(query::ComputeRed(store::QuerySpans(db, window->filter), window->window_ns),
                       window->window_ns)};
}

ApiResponse MapApi(store::Database& db, const QueryParams& params, uint64_t now_ns) {
  std::string error;
  auto window = WindowFrom(params, now_ns, &error);
  if (!window) return BadRequest(error);
  return {200,
          GraphJson(query::ComputeGraph(store::QuerySpans(db, window->filter), window->window_ns),
                    window->window_ns)};
}

ApiResponse OverviewApi(store::Database& db, const QueryParams& params, uint64_t now_ns) {
  std::string error;
  auto window = WindowFrom(params, now_ns, &error);
  if (!window) return BadRequest(error);
  const auto spans = store::QuerySpans(db, window->filter);
  return {
      200,
      "{\"map\":" + GraphJson(query::ComputeGraph(spans, window->window_ns), window->window_ns) +
          ",\"stats\":" + RedJson(query::ComputeRed(spans, window->window_ns), window->window_ns) +
          "}"};
}

ApiResponse EventsApi(store::Database& db, const QueryParams& params, uint64_t now_ns) {
  static const std::vector<std::string> kKinds = {"tcp_up", "tcp_failed", "tcp_down",
                                                  "tcp_retransmit", "dns_lookup"};
  store::NetEventFilter filter;
  filter.last = 500;
  std::string since = "5m";
  for (const auto& [name, value] : params) {
    if (name == "kind") {
      if (std::find(kKinds.begin(), kKinds.end(), value) == kKinds.end())
        return BadRequest("kind " + value +
                          ": tcp_up, tcp_failed, tcp_down, tcp_retransmit or dns_lookup");
      filter.kinds.push_back(value);
    } else if (name == "service") {
      filter.services.push_back(value);
    } else if (name == "since") {
      since = value;
    } else if (name == "last") {
      const auto n = Count(value);
      if (!n) return BadRequest("last " + value + ": a positive number");
      filter.last = *n;
    } else if (name != "token") {
      return BadRequest("unknown parameter " + name + " (kind, service, since, last)");
    }
  }
  const auto since_ns = query::ParseTimePoint(since, now_ns);
  if (!since_ns) return BadRequest("since " + since + ": a time ago (30s, 5m, 2h, 1d)");
  filter.since_ns = *since_ns;
  return {200, NetEventsJson(store::QueryNetEvents(db, filter))};
}

}  // namespace otelbpf::ui
