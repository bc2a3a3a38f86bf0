// Ring-buffer records as bpf/http_capture.bpf.c lays them out, for the user-space benchmarks
// (replay_bench.cc, connection_memory_bench.cc): a curl -> nginx exchange on 127.0.0.1.
#pragma once

#include <arpa/inet.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "http_capture.h"

namespace otelbpf::bench {

constexpr uint32_t kCaptureBytes = OTELBPF_DEFAULT_CAPTURE;  // `otelbpf run` default: 1024
constexpr uint32_t kNginxPid = 4242, kCurlPid = 5151;
constexpr int32_t kNginxFd = 12, kCurlFd = 5;
constexpr uint16_t kNginxPort = 8080, kCurlPort = 51862;

// What curl 7.88 sends (plus a request id, as service clients usually add one).
inline const std::string kRequest =
    "GET /api/v1/orders/12345?include=items&currency=EUR HTTP/1.1\r\n"
    "Host: 127.0.0.1:8080\r\n"
    "User-Agent: curl/7.88.1\r\n"
    "Accept: */*\r\n"
    "X-Request-Id: 6f1c2a9e-41d3-4b8e-9a57-0c2d7e3f1b64\r\n"
    "\r\n";

// What nginx 1.22 answers for a 1.8 KB JSON document, header and body in one writev.
inline std::string Response() {
  const std::string body = "{\"id\":12345,\"items\":[" + std::string(1800, 'x') + "]}";
  return "HTTP/1.1 200 OK\r\n"
         "Server: nginx/1.22.1\r\n"
         "Date: Sun, 22 Nov 2026 02:30:04 GMT\r\n"
         "Content-Type: application/json\r\n"
         "Content-Length: " + std::to_string(body.size()) + "\r\n"
         "Last-Modified: Sat, 21 Nov 2026 18:02:11 GMT\r\n"
         "Connection: keep-alive\r\n"
         "ETag: \"6560f7c4-71c\"\r\n"
         "Accept-Ranges: bytes\r\n"
         "\r\n" + body;
}

using Record = std::vector<uint8_t>;

inline otelbpf_event_header Header(uint8_t type, uint32_t pid, int32_t fd, uint64_t gen, uint8_t role, uint64_t t) {
  otelbpf_event_header h{};
  h.type = type;
  h.role = role;
  h.tgid = pid;
  h.fd = fd;
  h.generation = gen;
  h.start_ns = t;
  h.end_ns = t + 2000;
  return h;
}

inline Record OpenRecord(uint32_t pid, int32_t fd, uint64_t gen, uint8_t role, uint16_t lport, uint16_t pport,
                  const char* comm, uint64_t t) {
  otelbpf_conn_open_event e{};
  e.hdr = Header(OTELBPF_EV_CONN_OPEN, pid, fd, gen, role, t);
  e.family = AF_INET;
  e.local_port = lport;
  e.peer_port = pport;
  e.protocol = OTELBPF_PROTO_HTTP1;  // UNKNOWN would be handed back to the kernel, unparsed
  inet_pton(AF_INET, "127.0.0.1", e.local_addr);
  inet_pton(AF_INET, "127.0.0.1", e.peer_addr);
  std::strncpy(e.comm, comm, sizeof(e.comm) - 1);
  Record r(sizeof(e));
  std::memcpy(r.data(), &e, sizeof(e));
  return r;
}

inline Record DataRecord(uint32_t pid, int32_t fd, uint64_t gen, uint8_t dir, const std::string& bytes, uint64_t t) {
  otelbpf_event_header h = Header(OTELBPF_EV_DATA, pid, fd, gen, OTELBPF_ROLE_UNKNOWN, t);
  h.direction = dir;
  h.length = bytes.size();
  h.captured = static_cast<uint32_t>(std::min<size_t>(bytes.size(), kCaptureBytes));
  Record r(sizeof(h) + h.captured);
  std::memcpy(r.data(), &h, sizeof(h));
  std::memcpy(r.data() + sizeof(h), bytes.data(), h.captured);
  return r;
}

inline Record CloseRecord(uint32_t pid, int32_t fd, uint64_t gen, uint64_t t) {
  otelbpf_event_header h = Header(OTELBPF_EV_CONN_CLOSE, pid, fd, gen, OTELBPF_ROLE_UNKNOWN, t);
  Record r(sizeof(h));
  std::memcpy(r.data(), &h, sizeof(h));
  return r;
}

}  // namespace otelbpf::bench
