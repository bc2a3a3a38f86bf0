// Reading the network events the store keeps (net_events: TCP connections, retransmissions,
// getaddrinfo lookups), for `otelbpf events` and the web UI.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "store/net_event.h"
#include "store/sqlite_db.h"

namespace otelbpf::store {

struct NetEventFilter {
  uint64_t since_ns = 0;  // 0: unbounded
  std::vector<std::string> kinds;  // tcp_up, tcp_failed, tcp_down, tcp_retransmit, dns_lookup
  std::vector<std::string> services;
  size_t last = 0;  // the newest N (returned oldest first); 0: all
};

// Connection and lookup events, oldest first; `resource` is left empty, service and pid set.
std::vector<NetEvent> QueryNetEvents(Database& db, const NetEventFilter& filter);

}  // namespace otelbpf::store
