// What the capture layer knows about one observed connection. Produced by the connection
// tracker from kernel events, consumed by protocol stitchers and span builders.
#pragma once

#include <cstdint>
#include <string>

#include "trace/span.h"

namespace otelbpf {

// Which side of the connection the observed process is on.
enum class ConnectionRole : uint8_t {
  kUnknown = 0,
  kServer = 1,  // the process accepted the connection (or read a request on it)
  kClient = 2,  // the process connected (or wrote a request on it)
};

struct Endpoint {
  std::string address;  // textual IPv4/IPv6, e.g. "127.0.0.1" or "::1"; empty when unknown
  uint16_t port = 0;
};

struct ConnectionInfo {
  uint32_t pid = 0;           // thread group id (what users call the pid)
  int32_t fd = -1;
  uint64_t generation = 0;    // unique per (pid, fd) lifetime: reuse never mixes connections
  ConnectionRole role = ConnectionRole::kUnknown;
  Endpoint local;
  Endpoint peer;
  ResourcePtr resource;       // the observed process's resource
};

}  // namespace otelbpf
