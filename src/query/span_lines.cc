#include "query/span_lines.h"

#include <time.h>

#include <algorithm>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "trace/ids.h"

namespace otelbpf::query {
namespace {

std::string Endpoint(const std::string& service, const std::string& address, int64_t port) {
  if (!service.empty()) return service;
  if (address.empty()) return port ? ":" + std::to_string(port) : "?";
  const bool v6 = address.find(':') != std::string::npos;
  std::string out = v6 ? "[" + address + "]" : address;
  return port ? out + ":" + std::to_string(port) : out;
}

std::string SelfName(const store::StoredSpan& s) {
  return s.resource.pid ? s.resource.service_name + "(" + std::to_string(s.resource.pid) + ")"
                        : s.resource.service_name;
}

nlohmann::json ParsedOrEmpty(const std::string& json_text, nlohmann::json empty) {
  if (json_text.empty()) return empty;
  auto parsed = nlohmann::json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  return parsed.is_discarded() ? empty : parsed;
}

const char* KindName(SpanKind kind) {
  return kind == SpanKind::kServer ? "server" : kind == SpanKind::kClient ? "client" : "internal";
}

}  // namespace

std::string CallerOf(const store::StoredSpan& s) {
  if (s.kind != SpanKind::kServer) return SelfName(s);
  if (!s.caller_service.empty()) return s.caller_service;
  return Endpoint(s.peer_service, s.peer_address, s.peer_port);
}

std::string CalleeOf(const store::StoredSpan& s) {
  if (s.kind == SpanKind::kServer) return SelfName(s);
  if (!s.callee_service.empty()) return s.callee_service;
  return Endpoint(s.peer_service, s.peer_address, s.peer_port);
}

std::string OperationOf(const store::StoredSpan& s) {
  if (!s.http_method.empty()) {
    const std::string& what = s.target.empty() ? s.route : s.target;
    return what.empty() ? s.http_method : s.http_method + " " + what;
  }
  if (s.protocol == "dns" && !s.target.empty()) return s.name + " " + s.target;
  if (!s.target.empty() && s.name.find(s.target) == std::string::npos) return s.name + " " + s.target;
  return s.name;
}

std::string OutcomeOf(const store::StoredSpan& s) {
  if (s.http_status) return std::to_string(s.http_status);
  return s.status == StatusCode::kError ? "ERROR" : "ok";
}

std::string FormatDuration(uint64_t ns) {
  char buf[32];
  if (ns < 1000000)
    std::snprintf(buf, sizeof buf, "%lluus", static_cast<unsigned long long>(ns / 1000));
  else if (ns < 1000000000ull)
    std::snprintf(buf, sizeof buf, "%.1fms", static_cast<double>(ns) / 1e6);
  else
    std::snprintf(buf, sizeof buf, "%.2fs", static_cast<double>(ns) / 1e9);
  return buf;
}

std::string FormatClock(uint64_t unix_ns) {
  const time_t secs = static_cast<time_t>(unix_ns / 1000000000ull);
  struct tm tm;
  gmtime_r(&secs, &tm);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%02d:%02d:%02d.%03u", tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<unsigned>((unix_ns / 1000000ull) % 1000));
  return buf;
}

std::string FormatIso8601(uint64_t unix_ns) {
  const time_t secs = static_cast<time_t>(unix_ns / 1000000000ull);
  struct tm tm;
  gmtime_r(&secs, &tm);
  char buf[64];
  const size_t n = strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%09lluZ",
                static_cast<unsigned long long>(unix_ns % 1000000000ull));
  return buf;
}

std::string FormatCompact(const store::StoredSpan& s) {
  return FormatClock(s.start_ns) + "  " + CallerOf(s) + " -> " + CalleeOf(s) + "  " + s.protocol +
         "  " + OperationOf(s) + "  " + OutcomeOf(s) + "  " + FormatDuration(s.duration_ns) +
         "  trace=" + ToHex(s.trace_id).substr(0, 12);
}

std::string FormatNetEvent(const store::NetEvent& e) {
  std::string who = e.service.empty() ? "?" : e.service;
  if (e.pid) who += "(" + std::to_string(e.pid) + ")";
  std::string what = e.kind == "dns_lookup"
                         ? e.name + (e.result ? " failed (" + std::to_string(e.result) + ")" : "")
                         : Endpoint("", e.local_address, e.local_port) + " -> " +
                               Endpoint("", e.peer_address, e.peer_port);
  if (e.kind == "tcp_failed") what += e.result ? " errno " + std::to_string(e.result) : " given up";
  std::string line = FormatClock(e.time_ns) + "  " + e.kind + "  " + who + "  " + what;
  if (e.duration_ns) line += "  " + FormatDuration(e.duration_ns);
  if (!e.details_json.empty() && e.details_json != "{}") line += "  " + e.details_json;
  return line;
}

std::string FormatNetEventJson(const store::NetEvent& e) {
  nlohmann::json out = {{"time", FormatIso8601(e.time_ns)}, {"kind", e.kind},
                        {"service", e.service},             {"duration_ns", e.duration_ns}};
  if (e.pid) out["pid"] = e.pid;
  if (!e.local_address.empty()) out["local"] = Endpoint("", e.local_address, e.local_port);
  if (!e.peer_address.empty()) out["peer"] = Endpoint("", e.peer_address, e.peer_port);
  if (!e.name.empty()) out["name"] = e.name;
  if (e.kind == "tcp_failed" || e.kind == "dns_lookup") out["result"] = e.result;
  out["details"] = ParsedOrEmpty(e.details_json, nlohmann::json::object());
  return out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string FormatJson(const store::StoredSpan& s) {
  nlohmann::json out = {
      {"time", FormatIso8601(s.start_ns)},
      {"trace_id", ToHex(s.trace_id)},
      {"span_id", ToHex(s.span_id)},
      {"kind", KindName(s.kind)},
      {"protocol", s.protocol},
      {"name", s.name},
      {"service", s.resource.service_name},
      {"from", CallerOf(s)},
      {"to", CalleeOf(s)},
      {"operation", OperationOf(s)},
      {"duration_ns", s.duration_ns},
      {"status", s.status == StatusCode::kError ? "error"
                 : s.status == StatusCode::kOk  ? "ok"
                                                : "unset"},
      {"attributes", ParsedOrEmpty(s.attributes_json, nlohmann::json::object())},
      {"resource", ParsedOrEmpty(s.resource.attributes_json, nlohmann::json::object())},
  };
  if (s.parent_span_id != SpanId{}) out["parent_span_id"] = ToHex(s.parent_span_id);
  if (s.resource.pid) out["pid"] = s.resource.pid;
  if (s.http_status) out["http_status"] = s.http_status;
  if (!s.status_message.empty()) out["status_message"] = s.status_message;
  if (!s.events_json.empty()) out["events"] = ParsedOrEmpty(s.events_json, nlohmann::json::array());
  return out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string AlignColumns(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const auto& r : rows) {
    widths.resize(std::max(widths.size(), r.size()), 0);
    for (size_t i = 0; i < r.size(); ++i) widths[i] = std::max(widths[i], r[i].size());
  }
  std::string out;
  for (const auto& r : rows) {
    for (size_t i = 0; i < r.size(); ++i) {
      out += r[i];
      if (i + 1 < r.size()) out += std::string(widths[i] - r[i].size() + 2, ' ');
    }
    out += '\n';
  }
  return out;
}

std::string FormatTable(const std::vector<store::StoredSpan>& spans) {
  const std::vector<std::string> header = {"TIME", "FROM", "TO", "PROTOCOL", "OPERATION",
                                           "OUTCOME", "DURATION", "TRACE"};
  std::vector<std::vector<std::string>> rows = {header};
  for (const auto& s : spans)
    rows.push_back({FormatClock(s.start_ns), CallerOf(s), CalleeOf(s), s.protocol,
                    OperationOf(s), OutcomeOf(s), FormatDuration(s.duration_ns),
                    ToHex(s.trace_id)});
  return AlignColumns(rows);
}

}  // namespace otelbpf::query
