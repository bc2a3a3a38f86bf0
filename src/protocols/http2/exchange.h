// One HTTP/2 stream as an exchange: what its request and response said, how it ended, and when.
// Streams are multiplexed, so an exchange is keyed by its stream id, not by its position.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace otelbpf::http2 {

// Per stream, the header values kept (names, values) are bounded by this many octets: a value
// that does not fit is dropped (and the head marked `cut`), never shortened into a wrong one.
inline constexpr size_t kMaxStoredHeadBytes = 4096;
inline constexpr size_t kMaxTracestateValues = 32;

// What the span builders read from a request's header block.
struct RequestHead {
  std::string method;               // :method
  std::string scheme;               // :scheme
  std::string authority;            // :authority, else the Host field
  std::optional<std::string> path;  // :path (empty: absent, undecodable or too long)
  std::string content_type;
  std::optional<std::string> user_agent;
  std::vector<std::string> traceparents;
  std::vector<std::string> tracestates;
  uint32_t unknown_fields = 0;  // fields whose name referenced HPACK entries we never saw
  bool cut = false;             // a value was dropped (see kMaxStoredHeadBytes)
  size_t stored_bytes = 0;
};

// The response's final header block and trailers, merged (interim 1xx blocks are skipped).
struct ResponseHead {
  std::optional<int> status;  // :status of the final response
  std::string content_type;
  std::optional<std::string> grpc_status;  // in trailers, or in a Trailers-Only response
  uint32_t unknown_fields = 0;
};

enum class StreamEnd : uint8_t {
  kComplete,          // the response ended (END_STREAM)
  kReset,             // RST_STREAM (either side) before the response ended
  kRefused,           // the server's GOAWAY said it never processed the stream
  kConnectionClosed,  // the connection closed before the response ended
  kConnectionReset,   // ... by a reset (ECONNRESET / EPIPE)
};

struct Exchange {
  uint32_t stream_id = 0;
  RequestHead request;
  ResponseHead response;
  bool response_started = false;  // a response header block arrived
  // A response header block could not be read (lost, or its direction's decoder had failed):
  // whatever the response said is unknown.
  bool response_head_lost = false;
  uint64_t request_body_bytes = 0;  // DATA payload without padding
  uint64_t response_body_bytes = 0;
  StreamEnd end = StreamEnd::kComplete;
  uint32_t reset_code = 0;     // kReset: the RST_STREAM error code
  uint64_t first_byte_ns = 0;  // the request's first octet (its HEADERS frame)
  uint64_t last_byte_ns = 0;   // the response's last octet (else the last octet seen)
  uint32_t tid = 0;            // the thread that read or wrote the request's first octet
};

}  // namespace otelbpf::http2
