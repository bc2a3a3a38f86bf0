#include "query/service_graph.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <tuple>

#include "query/red_stats.h"
#include "query/span_lines.h"

namespace otelbpf::query {
namespace {

std::string PeerName(const store::StoredSpan& s, bool with_port) {
  if (!s.peer_service.empty()) return s.peer_service;
  if (s.peer_address.empty()) return "unknown";
  return with_port && s.peer_port ? s.peer_address + ":" + std::to_string(s.peer_port)
                                  : s.peer_address;
}

std::string DotQuoted(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

std::vector<GraphEdge> ComputeGraph(const std::vector<store::StoredSpan>& spans,
                                    uint64_t window_ns) {
  using Key = std::tuple<std::string, std::string, std::string>;
  std::map<Key, std::pair<GraphEdge, std::vector<WeightedDuration>>> edges;
  for (const auto& s : spans) {
    std::string from, to;
    if (s.kind == SpanKind::kClient) {
      from = s.resource.service_name;
      // A server port names the service behind an address; a client's ephemeral port does not.
      to = !s.callee_service.empty() ? s.callee_service : PeerName(s, /*with_port=*/true);
    } else if (s.kind == SpanKind::kServer) {
      if (!s.caller_service.empty()) continue;  // counted once, from its CLIENT span
      from = PeerName(s, /*with_port=*/false);
      to = s.resource.service_name;
    } else {
      continue;
    }
    auto& [edge, durations] = edges[{from, to, s.protocol}];
    edge.from = from;
    edge.to = to;
    edge.protocol = s.protocol;
    edge.count += s.weight;
    if (s.status == StatusCode::kError) edge.errors += s.weight;
    durations.push_back({s.duration_ns, s.weight});
  }
  std::vector<GraphEdge> out;
  const double window_s = window_ns ? static_cast<double>(window_ns) / 1e9 : 1.0;
  for (auto& [key, value] : edges) {
    auto& [edge, durations] = value;
    std::sort(durations.begin(), durations.end());
    edge.rate_per_s = edge.count / window_s;
    edge.p99_ns = Percentile(durations, 99);
    out.push_back(std::move(edge));
  }
  return out;
}

std::string FormatGraphText(const std::vector<GraphEdge>& edges) {
  std::string out;
  for (const GraphEdge& e : edges) {
    char line[512];
    std::snprintf(line, sizeof line, "%s -> %s  %s  %s calls  %.2f/s  %.1f%% errors  p99 %s\n",
                  e.from.c_str(), e.to.c_str(), e.protocol.c_str(), FormatCount(e.count).c_str(),
                  e.rate_per_s, e.count > 0 ? 100.0 * e.errors / e.count : 0.0,
                  FormatDuration(e.p99_ns).c_str());
    out += line;
  }
  return out;
}

std::string FormatGraphDot(const std::vector<GraphEdge>& edges) {
  std::string out = "digraph otelbpf {\n  rankdir=LR;\n  node [shape=box];\n";
  for (const GraphEdge& e : edges) {
    char label[256];
    std::snprintf(label, sizeof label, "%s %.2f/s %s err p99 %s", e.protocol.c_str(),
                  e.rate_per_s, FormatCount(e.errors).c_str(), FormatDuration(e.p99_ns).c_str());
    out += "  " + DotQuoted(e.from) + " -> " + DotQuoted(e.to) + " [label=" + DotQuoted(label) +
           "];\n";
  }
  return out + "}\n";
}

}  // namespace otelbpf::query
