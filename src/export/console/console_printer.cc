#include "export/console/console_printer.h"

#include <ctime>

#include <nlohmann/json.hpp>

#include "trace/ids.h"

namespace otelbpf {
namespace {

std::string AttrString(const Attributes& attrs, std::string_view key) {
  const AttributeValue* v = FindAttribute(attrs, key);
  if (!v) return {};
  if (auto s = std::get_if<std::string>(v)) return *s;
  if (auto i = std::get_if<int64_t>(v)) return std::to_string(*i);
  return {};
}

std::string Iso8601Millis(uint64_t unix_nanos) {
  time_t secs = static_cast<time_t>(unix_nanos / 1000000000ull);
  unsigned millis = static_cast<unsigned>((unix_nanos / 1000000ull) % 1000);
  struct tm tm;
  gmtime_r(&secs, &tm);
  char buf[64];
  size_t n = strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(buf + n, sizeof(buf) - n, ".%03uZ", millis);
  return buf;
}

const char* KindName(SpanKind kind) {
  switch (kind) {
    case SpanKind::kServer:
      return "SERVER";
    case SpanKind::kClient:
      return "CLIENT";
    default:
      return "INTERNAL";
  }
}

const char* StatusName(StatusCode status) {
  switch (status) {
    case StatusCode::kOk:
      return "OK";
    case StatusCode::kError:
      return "ERROR";
    default:
      return "UNSET";
  }
}

nlohmann::json AttributesJson(const Attributes& attrs) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& a : attrs) {
    std::visit([&](const auto& v) { out[a.key.str()] = v; }, a.value);
  }
  return out;
}

double DurationMs(const Span& s) {
  return s.end_time_unix_nano >= s.start_time_unix_nano
             ? static_cast<double>(s.end_time_unix_nano - s.start_time_unix_nano) / 1e6
             : 0.0;
}

}  // namespace

std::string FormatSpanText(const Span& s) {
  const Attributes empty;
  const Attributes& res = s.resource ? s.resource->attributes : empty;
  // Columns: operation, target, outcome. HTTP: method, path?query, status code. Other
  // protocols: the span name, and what they name and answer (DNS: question, response code).
  std::string operation = AttrString(s.attributes, "http.request.method");
  std::string path = AttrString(s.attributes, "url.path");
  std::string query = AttrString(s.attributes, "url.query");
  if (!query.empty()) path += "?" + query;
  std::string status = AttrString(s.attributes, "http.response.status_code");
  if (operation.empty()) {
    operation = s.name;
    path = AttrString(s.attributes, "dns.question.name");
    status = AttrString(s.attributes, "dns.response_code");
  }
  if (status.empty()) status = AttrString(s.attributes, "error.type");
  std::string peer = AttrString(s.attributes, "network.peer.address");
  std::string peer_port = AttrString(s.attributes, "network.peer.port");
  if (!peer_port.empty()) peer += ":" + peer_port;

  char line[1024];
  snprintf(line, sizeof(line), "%s %-16s %-6s %-7s %-40s %-5s %9.3fms peer=%s%s",
           Iso8601Millis(s.start_time_unix_nano).c_str(), AttrString(res, "service.name").c_str(),
           KindName(s.kind), operation.c_str(), path.c_str(),
           status.empty() ? "-" : status.c_str(), DurationMs(s), peer.c_str(),
           s.status == StatusCode::kError ? " ERROR" : "");
  return line;
}

std::string FormatSpanJson(const Span& s) {
  nlohmann::json j;
  j["trace_id"] = ToHex(s.trace_id);
  j["span_id"] = ToHex(s.span_id);
  j["parent_span_id"] = IsValid(s.parent_span_id) ? ToHex(s.parent_span_id) : "";
  j["name"] = s.name;
  j["kind"] = KindName(s.kind);
  j["start_time_unix_nano"] = s.start_time_unix_nano;
  j["end_time_unix_nano"] = s.end_time_unix_nano;
  j["duration_ms"] = DurationMs(s);
  j["status"] = StatusName(s.status);
  j["resource"] = s.resource ? AttributesJson(s.resource->attributes) : nlohmann::json::object();
  j["attributes"] = AttributesJson(s.attributes);
  if (!s.events.empty()) {
    nlohmann::json events = nlohmann::json::array();
    for (const auto& e : s.events)
      events.push_back({{"time_unix_nano", e.time_unix_nano},
                        {"name", e.name},
                        {"attributes", AttributesJson(e.attributes)}});
    j["events"] = std::move(events);
  }
  // Payload bytes are arbitrary: never let invalid UTF-8 abort the agent.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

ConsolePrinter::ConsolePrinter(ConsoleFormat format, FILE* out) : format_(format), out_(out) {}

void ConsolePrinter::Consume(const Span& span) {
  std::string line = format_ == ConsoleFormat::kJson ? FormatSpanJson(span) : FormatSpanText(span);
  line.push_back('\n');
  fwrite(line.data(), 1, line.size(), out_);
}

void ConsolePrinter::Flush() { fflush(out_); }
void ConsolePrinter::Shutdown() { Flush(); }

}  // namespace otelbpf
