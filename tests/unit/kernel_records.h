// Ring-buffer records laid out exactly as bpf/include/http_capture.h says, for tests that feed
// the connection tracker.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

#include "http_capture.h"

namespace otelbpf::testing_support {

// A DATA record: `bytes` moved (and all captured) by one syscall of `pid`/`tid` on `fd`,
// from t to t + 10 ns; `goroutine`: the runtime.g it belongs to in a Go program (0: none).
inline std::vector<uint8_t> DataRecord(uint32_t pid, int32_t fd, uint64_t generation,
                                       uint8_t direction, std::string_view bytes, uint64_t t,
                                       uint32_t tid = 0, uint64_t goroutine = 0) {
  std::vector<uint8_t> rec(sizeof(otelbpf_event_header) + bytes.size());
  otelbpf_event_header h{};
  h.type = OTELBPF_EV_DATA;
  h.direction = direction;
  h.tgid = pid;
  h.tid = tid;
  h.goroutine = goroutine;
  h.fd = fd;
  h.generation = generation;
  h.captured = static_cast<uint32_t>(bytes.size());
  h.length = bytes.size();
  h.start_ns = t;
  h.end_ns = t + 10;
  std::memcpy(rec.data(), &h, sizeof(h));
  std::memcpy(rec.data() + sizeof(h), bytes.data(), bytes.size());
  return rec;
}

}  // namespace otelbpf::testing_support
