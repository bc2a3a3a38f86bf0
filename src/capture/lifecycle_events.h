// Kernel events about connections and name lookups that are not payload: TCP connection
// lifecycle (bpf/tcp_lifecycle.bpf.h) and getaddrinfo() calls (bpf/dns_lookup.bpf.h), decoded
// from their ABI records into plain data for the metrics.
#pragma once

#include <cstdint>
#include <string>

#include "protocols/common/connection.h"
#include "http_capture.h"

namespace otelbpf {

struct TcpConnectionEvent {
  enum class Kind : uint8_t {
    kUp,      // established (client) or accepted (server)
    kFailed,  // a connect() that never got a connection
    kDown,    // an established connection closed
  };
  Kind kind = Kind::kUp;
  ConnectionRole role = ConnectionRole::kUnknown;
  uint32_t pid = 0;
  Endpoint local;
  Endpoint peer;
  bool ipv6 = false;
  uint64_t start_ns = 0;  // monotonic: attempt began (up/failed) or established (down)
  uint64_t end_ns = 0;    // monotonic: when this happened
  uint16_t error = 0;     // failed: errno, 0 when the application gave up first
  uint64_t bytes_sent = 0, bytes_received = 0;  // down
  uint32_t srtt_us = 0, retransmits = 0;        // down
  ResourcePtr resource;                         // filled by the tracker
};

struct DnsLookupEvent {
  uint32_t pid = 0, tid = 0;
  std::string name;
  int32_t result = 0;  // getaddrinfo's return: 0 or an EAI_* code
  uint64_t start_ns = 0, end_ns = 0;
  ResourcePtr resource;  // filled by the tracker
};

TcpConnectionEvent DecodeTcpConnection(const otelbpf_tcp_conn_event& e);
DnsLookupEvent DecodeDnsLookup(const otelbpf_dns_lookup_event& e);

// `error.type` for a failed connect: "connection_refused", "timed_out", "host_unreachable",
// ...; "cancelled" when the application closed the socket before it connected (errno 0).
std::string ConnectErrorType(uint16_t err);
// `error.type` for getaddrinfo's return value: "EAI_NONAME", ... (glibc's names); "" for 0.
std::string GetaddrinfoErrorType(int32_t result);

}  // namespace otelbpf
