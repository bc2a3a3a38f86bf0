#include "ui/ui_json.h"

#include <algorithm>
#include <map>

#include <nlohmann/json.hpp>

#include "query/span_lines.h"
#include "query/trace_waterfall.h"
#include "trace/ids.h"

namespace otelbpf::ui {
namespace {

// Errors as a percentage of calls; 0 for no calls. Counts may be weighted (store sampling).
template <typename Count>
double ErrorPercent(Count errors, Count count) {
  return count > 0 ? 100.0 * static_cast<double>(errors) / static_cast<double>(count) : 0.0;
}

using nlohmann::json;

// Bytes that are not UTF-8 (a path of binary junk) become U+FFFD rather than failing a page.
std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

json Parsed(const std::string& text, json empty) {
  if (text.empty()) return empty;
  json parsed = json::parse(text, nullptr, /*allow_exceptions=*/false);
  return parsed.is_discarded() ? empty : parsed;
}

const char* KindName(SpanKind kind) {
  return kind == SpanKind::kServer ? "server" : kind == SpanKind::kClient ? "client" : "internal";
}

const char* StatusName(StatusCode status) {
  return status == StatusCode::kError ? "error" : status == StatusCode::kOk ? "ok" : "unset";
}

// The fields every span carries, in list and trace alike.
json SpanSummary(const store::StoredSpan& s) {
  json out = {
      {"trace_id", ToHex(s.trace_id)},
      {"span_id", ToHex(s.span_id)},
      {"start_ns", s.start_ns},
      {"duration_ns", s.duration_ns},
      {"kind", KindName(s.kind)},
      {"protocol", s.protocol},
      {"name", s.name},
      {"service", s.resource.service_name},
      {"from", query::CallerOf(s)},
      {"to", query::CalleeOf(s)},
      {"operation", query::OperationOf(s)},
      {"outcome", query::OutcomeOf(s)},
      {"status", StatusName(s.status)},
  };
  if (s.parent_span_id != SpanId{}) out["parent_span_id"] = ToHex(s.parent_span_id);
  if (s.resource.pid) out["pid"] = s.resource.pid;
  if (s.http_status) out["http_status"] = s.http_status;
  if (s.weight != 1.0) out["weight"] = s.weight;
  return out;
}

// What the kernel saw during the span (span_pipeline.h adds it): the retransmission count and
// smoothed RTT attributes, and one event per retransmission with its time and TCP state.
json KernelContext(const json& attributes, const json& events) {
  json kernel = json::object();
  if (attributes.is_object()) {
    auto r = attributes.find("otelbpf.tcp.retransmits");
    if (r != attributes.end() && r->is_number()) kernel["retransmits"] = *r;
    auto rtt = attributes.find("otelbpf.tcp.rtt");
    if (rtt != attributes.end() && rtt->is_number()) kernel["rtt_s"] = *rtt;
  }
  json marks = json::array();
  if (events.is_array()) {
    for (const json& e : events) {
      if (!e.is_object() || e.value("name", "") != "otelbpf.tcp.retransmit") continue;
      json mark = {{"time_ns", e.value("time_unix_nano", uint64_t{0})}};
      const json a = e.value("attributes", json::object());
      if (a.is_object()) {
        if (a.contains("otelbpf.tcp.state")) mark["state"] = a["otelbpf.tcp.state"];
        if (a.contains("otelbpf.tcp.side")) mark["side"] = a["otelbpf.tcp.side"];
      }
      marks.push_back(std::move(mark));
    }
  }
  if (!marks.empty()) kernel["retransmit_events"] = std::move(marks);
  return kernel;
}

}  // namespace

std::string SpanListJson(const std::vector<store::StoredSpan>& spans, size_t limit) {
  json list = json::array();
  for (auto it = spans.rbegin(); it != spans.rend(); ++it) {
    json s = SpanSummary(*it);
    // The list flags spans the kernel saw trouble on; the details are in the trace view.
    json kernel = KernelContext(Parsed(it->attributes_json, json::object()), json::array());
    if (!kernel.empty()) s["kernel"] = std::move(kernel);
    list.push_back(std::move(s));
  }
  return Dump({{"spans", std::move(list)}, {"limit", limit}});
}

std::string TraceJson(const std::vector<store::StoredSpan>& spans) {
  if (spans.empty()) return Dump({{"spans", json::array()}});
  // The same order as the terminal's waterfall.
  const query::WaterfallOrder order = query::OrderForWaterfall(spans);
  json out_spans = json::array();
  for (const auto& [s, depth] : order.rows) {
    json j = SpanSummary(*s);
    j["depth"] = depth;
    json attributes = Parsed(s->attributes_json, json::object());
    json events = Parsed(s->events_json, json::array());
    json kernel = KernelContext(attributes, events);
    if (!kernel.empty()) j["kernel"] = std::move(kernel);
    j["attributes"] = std::move(attributes);
    j["events"] = std::move(events);
    j["resource"] = Parsed(s->resource.attributes_json, json::object());
    if (!s->status_message.empty()) j["status_message"] = s->status_message;
    out_spans.push_back(std::move(j));
  }
  return Dump({{"trace_id", ToHex(spans.front().trace_id)},
               {"start_ns", order.start_ns},
               {"duration_ns", order.end_ns - order.start_ns},
               {"spans", std::move(out_spans)}});
}

std::string RedJson(const std::vector<query::RedRow>& rows, uint64_t window_ns) {
  json out = json::array();
  for (const auto& r : rows) {
    out.push_back({{"service", r.service},
                   {"kind", r.kind},
                   {"protocol", r.protocol},
                   {"operation", r.operation},
                   {"count", r.count},
                   {"errors", r.errors},
                   {"error_pct", ErrorPercent(r.errors, r.count)},
                   {"rate_per_s", r.rate_per_s},
                   {"p50_ns", r.p50_ns},
                   {"p90_ns", r.p90_ns},
                   {"p99_ns", r.p99_ns}});
  }
  return Dump({{"window_ns", window_ns}, {"rows", std::move(out)}});
}

std::string GraphJson(const std::vector<query::GraphEdge>& edges, uint64_t window_ns) {
  struct Node {
    double calls_in = 0, calls_out = 0, errors_in = 0;
  };
  std::map<std::string, Node> nodes;
  json out_edges = json::array();
  for (const auto& e : edges) {
    nodes[e.from].calls_out += e.count;
    nodes[e.to].calls_in += e.count;
    nodes[e.to].errors_in += e.errors;
    out_edges.push_back({{"from", e.from},
                         {"to", e.to},
                         {"protocol", e.protocol},
                         {"count", e.count},
                         {"errors", e.errors},
                         {"error_pct", ErrorPercent(e.errors, e.count)},
                         {"rate_per_s", e.rate_per_s},
                         {"p99_ns", e.p99_ns}});
  }
  json out_nodes = json::array();
  for (const auto& [name, n] : nodes)
    out_nodes.push_back({{"name", name},
                         {"calls_in", n.calls_in},
                         {"calls_out", n.calls_out},
                         {"errors_in", n.errors_in}});
  return Dump(
      {{"window_ns", window_ns}, {"nodes", std::move(out_nodes)}, {"edges", std::move(out_edges)}});
}

std::string NetEventsJson(const std::vector<store::NetEvent>& events) {
  json out = json::array();
  for (auto it = events.rbegin(); it != events.rend(); ++it) {
    const store::NetEvent& e = *it;
    json j = {{"time_ns", e.time_ns},
              {"kind", e.kind},
              {"service", e.service},
              {"duration_ns", e.duration_ns}};
    if (e.pid) j["pid"] = e.pid;
    if (!e.local_address.empty()) {
      j["local_address"] = e.local_address;
      j["local_port"] = e.local_port;
    }
    if (!e.peer_address.empty()) {
      j["peer_address"] = e.peer_address;
      j["peer_port"] = e.peer_port;
    }
    if (!e.name.empty()) j["name"] = e.name;
    if (e.kind == "tcp_failed" || e.kind == "dns_lookup") j["result"] = e.result;
    j["details"] = Parsed(e.details_json, json::object());
    out.push_back(std::move(j));
  }
  return Dump({{"events", std::move(out)}});
}

std::string ErrorJson(const std::string& message) { return Dump({{"error", message}}); }

}  // namespace otelbpf::ui
