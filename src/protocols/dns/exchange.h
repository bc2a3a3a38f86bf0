// One DNS lookup as observed on a socket: the query the observed process sent and, when it
// came, the response it received. What the matcher produces and the span builder consumes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace otelbpf::dns {

// Why an exchange ended without a response.
enum class ExchangeError : uint8_t {
  kNone = 0,
  kTimeout,  // no response within the matcher's timeout
  kClosed,   // the socket closed while the query was pending
};

struct ResponseInfo {
  uint16_t rcode = 0;         // full response code (EDNS-extended when an OPT record said so)
  uint16_t answer_count = 0;  // ANCOUNT
  bool truncated = false;     // TC: the answer did not fit; the client will retry over TCP
};

struct Exchange {
  uint16_t id = 0;
  std::string question_name;  // presentation form, case as the query sent it
  uint16_t question_type = 0;
  std::optional<ResponseInfo> response;  // empty when error != kNone
  // Monotonic ns: start and end of the syscalls that carried the first and the last byte.
  uint64_t query_start_ns = 0;
  uint64_t query_end_ns = 0;
  uint64_t response_start_ns = 0;  // 0 without a response
  uint64_t response_end_ns = 0;
  // When the exchange ended: response_end_ns, or the deadline (query start + timeout) for a
  // timeout, or the close time. Spans end here.
  uint64_t end_ns = 0;
  bool over_tcp = false;
  // Identical queries (same id, name and type) sent again while this one was pending: resolvers
  // retransmit over UDP. The exchange keeps the first send's start.
  uint32_t retransmissions = 0;
  ExchangeError error = ExchangeError::kNone;
};

}  // namespace otelbpf::dns
