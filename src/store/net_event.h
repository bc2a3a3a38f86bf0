// What the kernel saw besides requests, as the store keeps it: TCP connections opening,
// failing and closing, retransmissions, and getaddrinfo() lookups. The agent converts its
// capture events into these (agent/store_wiring.cc), so the store never depends on capture.
#pragma once

#include <cstdint>
#include <string>

#include "trace/span.h"

namespace otelbpf::store {

struct NetEvent {
  uint64_t time_ns = 0;  // Unix nanoseconds: when it happened (the end, for durations)
  // tcp_up, tcp_failed, tcp_down, tcp_retransmit, dns_lookup
  std::string kind;
  std::string local_address;
  int64_t local_port = 0;
  std::string peer_address;
  int64_t peer_port = 0;
  uint64_t duration_ns = 0;  // tcp_up/tcp_failed: the connect; tcp_down: the connection's life;
                             // dns_lookup: the lookup
  std::string name;          // dns_lookup: the name asked for
  int64_t result = 0;        // tcp_failed: errno (0: given up); dns_lookup: getaddrinfo's return
  std::string details_json;  // kind-specific: role, bytes, srtt_us, retransmits, tcp state
  ResourcePtr resource;      // the process; null when unknown
  // Read back only.
  int64_t id = 0;
  std::string service;
  int64_t pid = 0;
};

}  // namespace otelbpf::store
