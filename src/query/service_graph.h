// `otelbpf map`: who calls whom on this host, with rate, errors and p99 per edge, as text or
// Graphviz dot. Edges come from CLIENT spans (the callee named by the local SERVER span that
// answered, else service.peer.name, else the address) and from SERVER spans whose caller was
// not seen on this host (the caller named by its address).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "store/span_record.h"

namespace otelbpf::query {

struct GraphEdge {
  std::string from;
  std::string to;
  std::string protocol;
  double count = 0;   // estimated calls (weighted, as in red_stats.h)
  double errors = 0;
  double rate_per_s = 0;
  uint64_t p99_ns = 0;
};

std::vector<GraphEdge> ComputeGraph(const std::vector<store::StoredSpan>& spans,
                                    uint64_t window_ns);
std::string FormatGraphText(const std::vector<GraphEdge>& edges);
std::string FormatGraphDot(const std::vector<GraphEdge>& edges);

}  // namespace otelbpf::query
