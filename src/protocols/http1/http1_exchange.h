// HTTP/1.x on one connection: bytes in both directions in, request/response exchanges out.
// Pure: no kernel, no I/O, no clocks. Timestamps are whatever the caller passes (ns).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocols/common/connection.h"
#include "protocols/common/protocol.h"
#include "trace/span_origin.h"

namespace otelbpf::http1 {

// Bounds that keep one connection's cost fixed whatever its peer sends. Beyond them data is
// skipped (and the message marked `truncated` or the drop counted), never buffered.
inline constexpr size_t kMaxHeaders = 64;                  // stored headers per message
inline constexpr size_t kTypicalHeaders = 12;  // room made at once for a message's headers
inline constexpr size_t kMaxHeaderBytes = 8 * 1024;        // stored name+value bytes, per message
inline constexpr size_t kMaxHeaderBlockBytes = 16 * 1024;  // raw header bytes held, per direction
inline constexpr size_t kMaxPendingRequests = 64;          // unanswered requests per connection
// A connection is given up on when nothing HTTP-like was ever found in it after at least this
// many captured bytes AND this many syscalls. The syscall count matches the kernel's patience
// with connections learned mid-stream (64 data syscalls to show a start line): a keep-alive
// connection caught inside a large body must not be dropped after a few 1 KiB captures.
inline constexpr uint64_t kAbandonAfterUnparseableBytes = 4 * 1024;
inline constexpr uint64_t kAbandonAfterUnparseablePieces = 64;

using otelbpf::Direction;  // of bytes, as seen by the observed process

struct Header {
  std::string name;   // as sent
  std::string value;  // trimmed
};

struct Message {
  bool is_request = false;
  std::string method;           // requests: "GET"
  std::string target;           // requests: "/a/b?x=1" (origin form) or absolute/authority form
  int status_code = 0;          // responses: 200
  std::string version;          // "1.1" / "1.0"
  std::vector<Header> headers;  // bounded: see kMaxHeaders / kMaxHeaderBytes
  uint64_t body_bytes = 0;      // body bytes on the wire (chunk framing excluded)
  uint64_t first_byte_ns = 0;   // start of the syscall that carried the first byte
  uint64_t last_byte_ns = 0;    // end of the syscall that carried the last byte
  uint32_t first_byte_tid = 0;  // thread whose syscall carried the first byte (0: unknown)
  // TCP sequence number of the first byte (Piece::tcp_seq); empty when unknown, or when the
  // message was found again in replayed bytes and its position is not certain.
  std::optional<uint32_t> first_byte_tcp_seq;
  bool truncated = false;       // some header bytes were not captured (capture limit or cap)

  // Case-insensitive header lookup; nullptr when absent.
  const std::string* FindHeader(std::string_view name) const;
};

// Why an exchange ended without a complete response.
// What one direction's MessageParser carries from one message to the next (its counters and
// whether it ever recognised HTTP/1): see MessageParser::AtRest and ConnectionStitcher::Rest.
struct ParserContinuity {
  bool skip_expected = true;
  bool recognized_any = false;
  uint64_t parse_errors = 0;
  uint64_t skipped_bytes = 0;
};

enum class ExchangeError : uint8_t {
  kNone = 0,
  kConnectionReset,  // ECONNRESET / EPIPE seen on the connection
  kClosedEarly,      // closed before the response was complete
};

struct Exchange {
  Message request;
  std::optional<Message> response;  // empty when the connection failed first
  ExchangeError error = ExchangeError::kNone;
  uint64_t index = 0;  // position on the connection: 0 for the first exchange completed on it
};

// Stitches requests to responses on one connection, in order (HTTP/1 has no ids: the n-th
// response answers the n-th request, which is also what makes pipelining work).
class ConnectionStitcher {
 public:
  // role may be kUnknown: it is then inferred from which direction carries requests.
  // `switch_targets` (ParserSetup's): the protocols an upgrade may hand the connection to.
  explicit ConnectionStitcher(ConnectionRole role, uint32_t switch_targets = 0);
  ~ConnectionStitcher();

  // One syscall's worth of stream. `captured` is a prefix of the `length` bytes the syscall
  // moved (the kernel copies at most the capture limit); the rest is a gap of known size.
  // `tid`: the thread that made the syscall (0: unknown); `tcp_seq`: its first byte's TCP
  // sequence number, when known.
  void OnData(Direction direction, std::string_view captured, uint64_t length, uint64_t start_ns,
              uint64_t end_ns, uint32_t tid = 0, std::optional<uint32_t> tcp_seq = std::nullopt);
  // The connection ended (close, exit); `reset` when it was reset/broken pipe.
  void OnClose(uint64_t ns, bool reset);

  // Completed exchanges, oldest first. The caller drains them after each OnData/OnClose.
  // A vector, not a deque: an empty libstdc++ deque already allocates ~0.6 KiB, and there is
  // one stitcher per tracked connection. The caller consumes and clear()s it.
  std::vector<Exchange>& completed() { return completed_; }
  ConnectionRole role() const { return role_; }
  // True once the bytes stopped looking like HTTP/1 and the stitcher gave up (nothing ever
  // recognized, see kAbandonAfterUnparseable*), or after a protocol switch (101 Switching
  // Protocols, CONNECT tunnel) once its exchange was completed; the caller may stop feeding it.
  bool abandoned() const;
  // After a 101 to h2c while HTTP/2 is among the switch targets: the hand-over (once), with the
  // upgraded request and the bytes that followed the 101 in its piece. The connection is then
  // abandoned() for HTTP/1, and the upgraded request is no HTTP/1 exchange.
  std::unique_ptr<ProtocolSwitch> TakeSwitch();
  // Counters for self-metrics.
  uint64_t parse_errors() const;         // times bytes had to be skipped to find a message
  uint64_t dropped_requests() const;     // oldest unanswered requests forgotten (pending cap)
  uint64_t unmatched_responses() const;  // responses with no request to answer (e.g. mid-stream)

  // Releases the parsing state of a connection at rest (HTTP/1 recognised, no message in
  // progress in either direction, no request waiting for its response): ~0.9 KiB, rebuilt at
  // the connection's next byte. An idle keep-alive connection then costs a few dozen bytes
  // here. Returns false (and keeps everything) when the connection is not at rest.
  bool Rest();
  bool resting() const { return state_ == nullptr; }

 private:
  struct State;
  // What a resting connection keeps of its State: exactly what carries over between messages.
  struct Resting {
    ParserContinuity recv, send;
    uint64_t responses_to_discard = 0;
    uint64_t dropped_requests = 0;
    uint64_t unmatched_responses = 0;
    uint64_t misdirected_messages = 0;
    uint64_t unrecognized_pieces = 0;
    uint64_t completed_count = 0;
  };
  State& Awake();

  std::unique_ptr<State> state_;  // null while resting
  Resting resting_;
  ConnectionRole role_;
  uint32_t switch_targets_ = 0;
  std::unique_ptr<ProtocolSwitch> switch_;  // see TakeSwitch()
  Direction switch_direction_ = Direction::kRecv;
  std::vector<Exchange> completed_;
};

// Builds an OpenTelemetry span (stable HTTP semantic conventions) for one exchange observed
// on `connection`. Ids are filled by the caller (trace assembly); this only maps semantics.
Span BuildSpan(const Exchange& exchange, const ConnectionInfo& connection,
               const SpanBuildOptions& options);
// What trace assembly needs besides the span: the thread that received (SERVER) or sent
// (CLIENT) the request, the exchange's index on its connection, and the request's
// traceparent/tracestate when valid.
SpanOrigin BuildSpanOrigin(const Exchange& exchange);

}  // namespace otelbpf::http1
