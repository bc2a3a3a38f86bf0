// The vocabulary every protocol shares about one observed connection: who is on which end,
// its addresses, and what the kernel saw on it. The connection tracker (capture/) fills it from
// kernel events; protocols and trace assembly read it. Nothing here knows a protocol.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "trace/span.h"
#include "trace/span_origin.h"

namespace otelbpf {

// Which side of the connection the observed process is on.
enum class ConnectionRole : uint8_t {
  kUnknown = 0,
  kServer = 1,  // the process accepted the connection (or read a request on it)
  kClient = 2,  // the process connected (or wrote a request on it)
};

enum class Transport : uint8_t { kTcp = 0, kUdp = 1 };

// Direction of bytes as seen by the observed process.
enum class Direction : uint8_t { kRecv = 0, kSend = 1 };

struct Endpoint {
  std::string address;  // textual IPv4/IPv6, e.g. "127.0.0.1" or "::1"; empty when unknown
  uint16_t port = 0;
};

// One TCP retransmission the kernel made on a connection.
struct Retransmit {
  uint64_t monotonic_ns = 0;
  uint16_t tcp_state = 0;  // TCP_ESTABLISHED = 1, ... (include/net/tcp_states.h)
  bool by_peer = false;    // made by the other end of the connection (also on this host)
};

// What the kernel saw on a connection during one exchange: the tracker fills it right before
// handing the exchange on, so span builders can decorate the span with it.
struct KernelContext {
  std::vector<Retransmit> retransmits;  // within [request's first byte, response's last byte]
  uint32_t srtt_us = 0;                 // smoothed RTT at the last byte (0: unknown)
  std::optional<WireContext> wire;      // ids the kernel put on the wire (--propagate=headers)
};

struct ConnectionInfo {
  uint32_t pid = 0;  // thread group id (what users call the pid)
  int32_t fd = -1;
  uint64_t generation = 0;  // unique per (pid, fd) lifetime: reuse never mixes connections
  ConnectionRole role = ConnectionRole::kUnknown;
  Transport transport = Transport::kTcp;
  uint8_t protocol = 0;  // enum otelbpf_protocol (bpf/include/http_capture.h): what it carries
  // The bytes the parser sees are TLS plaintext (read inside the process's TLS library by
  // uprobes), not what crossed the socket: the protocol runs over TLS (url.scheme "https").
  bool tls = false;
  Endpoint local;
  Endpoint peer;
  // The socket's network namespace (inode number; 0: unknown). Loopback addresses exist once
  // per namespace: see StitchingNamespace.
  uint32_t netns = 0;
  ResourcePtr resource;  // the observed process's resource
  KernelContext kernel;  // per exchange, see KernelContext
};

// The namespace that tells this connection apart from another with the same 4-tuple, as both
// of its ends see it: its own namespace when both ends are certainly in it (loopback
// addresses, or the same address at both ends), else 0. Two ends in different namespaces
// (containers, pods) have addresses routed between them, unique on this host in practice, so
// the tuple alone pairs them.
uint32_t StitchingNamespace(const Endpoint& local, const Endpoint& peer, uint32_t netns);
inline uint32_t StitchingNamespace(const ConnectionInfo& c) {
  return StitchingNamespace(c.local, c.peer, c.netns);
}

// Name of a TCP state number, e.g. "ESTABLISHED"; "UNKNOWN" otherwise.
const char* TcpStateName(uint16_t state);

}  // namespace otelbpf
