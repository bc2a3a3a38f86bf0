// The contract every protocol implements (docs/design.md, "The protocol seam").
//
// The connection tracker owns connections (generations, roles, kernel context, windows) and
// never names a protocol: for each connection the kernel announced as carrying protocol P it
// asks the registry (protocols/registry.h) for P's `Protocol`, makes one `ConnectionParser`,
// feeds it every captured piece of the stream, and drains what it completed as spans.
//
// A protocol folder (src/protocols/<name>/) holds its pure framer/parser, its matcher, its span
// builder and one `protocol.cc` defining `otelbpf::<name>::kProtocol`; the registry lists it
// with one line. Parsers are pure: bytes in, spans out, no kernel, no I/O, no clocks
// (timestamps are whatever the pieces carry).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocols/common/connection.h"
#include "trace/span.h"
#include "trace/span_origin.h"

namespace otelbpf {

// One syscall's worth of one direction of a connection's stream.
struct Piece {
  Direction direction = Direction::kRecv;
  // A prefix of the `length` bytes the syscall moved (the kernel copies at most its capture
  // limit); the rest is a gap of known size that framers skip by length.
  std::string_view bytes;
  uint64_t length = 0;
  // CLOCK_MONOTONIC ns. For a receive, `start_ns` is already the syscall's exit (when the bytes
  // were there), not when the process started waiting.
  uint64_t start_ns = 0;
  uint64_t end_ns = 0;
  uint32_t tid = 0;  // the thread that made the syscall (0: unknown)
  // TCP: the sequence number of the piece's first byte (bpf/include/http_capture.h), so byte
  // k of the piece is at tcp_seq + k (mod 2^32). Empty for UDP and unknown sockets.
  std::optional<uint32_t> tcp_seq;
};

// How spans are built, the same for every protocol.
struct SpanBuildOptions {
  uint64_t monotonic_to_realtime_ns = 0;  // added to the pieces' monotonic timestamps
  // db.query.text with its literals (only when the user turned it on): never credentials.
  bool raw_query_text = false;
};

// One completed exchange (request + response, or a request that failed), built into a span by
// its protocol. The tracker adds the kernel's view of [first_byte_ns, last_byte_ns] (TCP
// retransmissions, RTT, ids put on the wire) and hands it to trace assembly.
struct ExchangeSpan {
  Span span;
  SpanOrigin origin;
  uint64_t first_byte_ns = 0;  // monotonic: the request's first byte
  uint64_t last_byte_ns = 0;   // monotonic: the response's last byte (the request's without one)
};

// Counters every parser keeps, for self-metrics (otelbpf.protocol.*{protocol}).
struct ParserCounters {
  uint64_t parse_errors = 0;         // times bytes had to be skipped to find a message
  uint64_t unmatched_responses = 0;  // responses with no request to answer (e.g. mid-stream)
  uint64_t dropped_requests = 0;     // requests forgotten unanswered (pending cap, close)
  uint64_t unknown_statements = 0;   // executions of statements prepared before we watched
  // Header fields whose name or value refers to compression state set up before we watched
  // (HTTP/2's HPACK dynamic table): marked unknown on the span, never guessed.
  uint64_t unknown_header_fields = 0;

  ParserCounters& operator+=(const ParserCounters& o) {
    parse_errors += o.parse_errors;
    unmatched_responses += o.unmatched_responses;
    dropped_requests += o.dropped_requests;
    unknown_statements += o.unknown_statements;
    unknown_header_fields += o.unknown_header_fields;
    return *this;
  }
};

// A piece that outlives the record it came in (a protocol switch hands it on).
struct OwnedPiece {
  Piece meta;         // everything but the bytes (meta.bytes is not used)
  std::string bytes;  // the captured bytes
  Piece View() const {
    Piece p = meta;
    p.bytes = bytes;
    return p;
  }
};

// A connection whose bytes change protocol mid-stream (HTTP/1.1 `Upgrade: h2c`, RFC 7540
// section 3.2): what the parser that saw the switch hands the next protocol's parser.
struct ProtocolSwitch {
  uint8_t protocol = 0;  // enum otelbpf_protocol the rest of the stream carries
  // The request that asked for the switch, when the new protocol answers it (h2c: as stream
  // 1): its header fields named as the new protocol names them (HTTP/2: lowercase names and
  // the pseudo-fields :method, :path, :scheme, :authority).
  struct Request {
    std::vector<std::pair<std::string, std::string>> fields;
    uint64_t first_byte_ns = 0;
    uint64_t last_byte_ns = 0;
    uint32_t tid = 0;
  };
  std::optional<Request> request;
  // The bytes that followed the switch inside the piece that made it (a server's first
  // HTTP/2 frames often share the write of its 101): the new parser's first piece.
  std::optional<OwnedPiece> rest;
};

// What a connection is, when its parser is made.
struct ParserSetup {
  ConnectionRole role = ConnectionRole::kUnknown;  // kUnknown: the parser infers it
  Transport transport = Transport::kTcp;
  bool learned_midstream = false;  // the connection was open before we saw its start
  // Protocols (bit 1 << enum otelbpf_protocol) the tracker can move this connection to when
  // its bytes switch: a parser only hands over to one of them, and otherwise ends the
  // connection as it always did (reports the switch's exchange, then abandoned()).
  uint32_t switch_targets = 0;
  // Set when this parser takes over from another protocol's (the switch's request included).
  const ProtocolSwitch* switched_from = nullptr;
};

// One connection's parser. Made per connection, fed in stream order per direction.
class ConnectionParser {
 public:
  virtual ~ConnectionParser() = default;
  virtual void OnData(const Piece& piece) = 0;
  // The connection ended (close, exit); `reset` when it was reset or a pipe broke.
  virtual void OnClose(uint64_t ns, bool reset) = 0;
  // About once a second: end requests that waited past the protocol's timeout.
  virtual void Expire(uint64_t now_ns) {}
  // The connection moved no byte since the last Expire (about a second): release per-message
  // state it does not need between messages, to be rebuilt at its next byte. True when memory
  // was released (an idle keep-alive connection is then cheap: HTTP/1 rests).
  virtual bool Rest() { return false; }
  // Moves every exchange completed so far, built into spans, to `out` (appends). `connection`
  // is the tracker's view; its `kernel` field is not filled yet.
  virtual void Drain(const ConnectionInfo& connection, const SpanBuildOptions& options,
                     std::vector<ExchangeSpan>& out) = 0;
  // The role the bytes revealed (who sends requests), or kUnknown.
  virtual ConnectionRole role() const { return ConnectionRole::kUnknown; }
  // True once the bytes proved not to be this protocol (or it switched to one we do not follow
  // on this connection): the tracker forgets the connection and tells the kernel to stop
  // shipping its bytes.
  virtual bool abandoned() const { return false; }
  // Once the bytes switched to one of ParserSetup::switch_targets: the hand-over, taken once.
  // The tracker then makes that protocol's parser with it, feeds it the rest, and tells the
  // kernel what the connection now carries.
  virtual std::unique_ptr<ProtocolSwitch> TakeSwitch() { return nullptr; }
  virtual ParserCounters counters() const { return {}; }
};

// A protocol, as the registry lists it.
struct Protocol {
  uint8_t id = 0;         // enum otelbpf_protocol (bpf/include/http_capture.h)
  std::string_view name;  // as users type it in --protocols: "http1", "redis", ...
  SemanticFamily family = SemanticFamily::kNone;  // which metrics its spans feed (trace/span.h)
  std::unique_ptr<ConnectionParser> (*make_parser)(const ParserSetup& setup) = nullptr;
};

}  // namespace otelbpf
