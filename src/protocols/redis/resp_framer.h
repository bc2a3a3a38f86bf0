// RESP, the Redis serialization protocol (RESP2 and RESP3: redis-specifications,
// protocol/RESP2.md and RESP3.md), framed for one direction of a connection: syscall-sized pieces
// of the byte stream in, top-level messages out.
//
// Streaming and bounded whatever the peer sends: a message is summarised while it passes (its
// type, its first line, the first bytes of its first direct elements) and never kept whole;
// string bodies are skipped by their announced length, also when a capture gap hides them, so a
// 1 GB value costs nothing. Nesting is limited to kMaxDepth and lines to kMaxLineBytes.
//
// Requests are arrays of bulk strings, or inline commands ("PING\r\n"), which are taken only at a
// message boundary, only in a stream that may carry requests, and only when their first word is a
// Redis command (anything else would be garbage).
//
// Boundaries are lost when a capture gap hides bytes whose length nothing announced: a header
// line, the end of a simple string, the elements of a large array. The framer then emits what it
// had of the message (`cut`) and a kSyncLost event, and waits for a plausible message start (see
// PlausibleMessageStart) at the beginning of a piece or right after a line feed. Malformed bytes
// are counted in parse_errors(): at a boundary they are skipped the same way; inside a message
// that had started well, the message is cut and kSyncLost emitted too, since a real message was
// there and its end is unknown.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocols/common/crlf_block.h"
#include "protocols/common/stream_kind.h"

namespace otelbpf::redis {

inline constexpr size_t kMaxDepth = 32;
inline constexpr uint64_t kMaxLineBytes = 64 * 1024;  // Redis' proto-inline-max-size default
inline constexpr size_t kMaxKeptLineBytes = 128;
inline constexpr size_t kMaxKeptInlineBytes = 1024;
inline constexpr size_t kMaxKeptElementBytes = 128;
inline constexpr size_t kMaxKeptElements = 64;            // request arguments looked at
inline constexpr size_t kMaxKeptReplyElements = 3;        // enough to recognise pub/sub events
inline constexpr uint64_t kMaxStringLength = 1ull << 40;  // far beyond proto-max-bulk-len
inline constexpr uint64_t kMaxAggregateCount = 1ull << 40;

using framing::StreamKind;

// A direct element of a top-level aggregate (or a word of an inline command, as type '$').
struct Element {
  char type = 0;       // its RESP type byte
  std::string prefix;  // strings and simple values: their first bytes (see KeepPolicy below)
  uint64_t size = 0;   // strings: full length; simple values: line length; aggregates: count
  bool null = false;
};

struct Frame {
  enum class Kind : uint8_t {
    kMessage,   // one top-level message
    kSyncLost,  // boundaries were lost here: messages may be missing before the next one
  };
  Kind kind = Kind::kMessage;
  // The top-level value's type byte ('+', '*', '>', ... ; attributes before it are skipped), or
  // 'I' for an inline command.
  char type = 0;
  std::string head;    // simple values: the line's first bytes; '!' blob errors: the body's
  uint64_t count = 0;  // aggregates: elements announced (seen, when streamed); inline: words
  bool null = false;   // "_", "$-1", "*-1"
  // Requests (and streams of unknown kind): the first kMaxKeptElements elements, with bytes.
  // Replies: the first kMaxKeptReplyElements, with bytes only for the first one and integers
  // (pub/sub confirmations need no more; values stay out of memory).
  std::vector<Element> elements;
  bool cut = false;       // a capture gap or malformed bytes hid the rest of the message
  uint64_t start_ns = 0;  // start of the piece that carried the first byte
  uint64_t end_ns = 0;    // end of the piece that carried (or skipped) the last byte
  uint32_t tid = 0;       // thread of the piece that carried the first byte
  std::optional<uint32_t> tcp_seq;  // the first byte's TCP sequence number, when known
};

// Whether `bytes` (the captured bytes from some offset of a piece) plausibly begins a message of
// a stream of `kind`: a request is "*<n>\r\n$<len>\r\n" with a command-like name, or an inline
// line whose first word is a known command; a reply is a type byte with a well-formed first line
// (and, for a non-empty aggregate, a type byte after it when captured).
bool PlausibleMessageStart(std::string_view bytes, StreamKind kind);

class RespFramer {
 public:
  // `start_lost`: the stream was already running when we began to watch (learned mid-stream);
  // the first piece is only taken from a plausible message start.
  explicit RespFramer(StreamKind kind = StreamKind::kUnknown, bool start_lost = false);

  void set_kind(StreamKind kind) { kind_ = kind; }
  StreamKind kind() const { return kind_; }

  // One syscall's bytes: `captured` is a prefix of the `length` bytes it moved; the rest is a gap
  // of known size.
  // `tcp_seq`: the TCP sequence number of `captured[0]`, when known.
  void OnData(std::string_view captured, uint64_t length, uint64_t start_ns, uint64_t end_ns,
              uint32_t tid, std::optional<uint32_t> tcp_seq = std::nullopt);

  // Messages and loss events, oldest first. The caller consumes and clear()s it.
  std::vector<Frame>& frames() { return frames_; }

  bool synchronized() const { return state_ != State::kLost; }
  uint64_t parse_errors() const { return parse_errors_; }    // malformed bytes skipped
  uint64_t sync_losses() const { return sync_losses_; }      // boundaries hidden by gaps
  uint64_t skipped_bytes() const { return skipped_bytes_; }  // bytes dropped while lost

 private:
  enum class State : uint8_t {
    kValueStart,  // expecting a type byte (or an inline command at a boundary)
    kLine,        // inside a line: a simple value, a header, or an inline command
    kBody,        // inside a string's data or its CRLF
    kLost,        // boundaries unknown: looking for a plausible message start
  };
  struct Level {  // an aggregate (or a streamed string) still open
    char type = 0;
    uint64_t remaining = 0;  // values still to come (not for streamed ones)
    uint64_t seen = 0;       // values so far
    bool streamed = false;   // "*?" (ends with "."), "$?" (chunks ";n", ends with ";0")
  };

  void Consume(std::string_view data);
  size_t StartValue(std::string_view data);
  size_t ReadLine(std::string_view data);
  size_t ReadBody(std::string_view data);
  size_t SkipWhileLost(std::string_view data);
  void ConsumeGap(uint64_t gap);

  void OnLine();
  void OnInline();
  void OnStringHeader();
  void OnChunkHeader();
  void OnAggregateHeader();
  void OnStreamEnd();
  void StartBody(uint64_t size, bool chunk);
  void FinishBody();
  void PushLevel(char type, uint64_t remaining, bool streamed);
  void CompleteValue(Element value);
  void KeepElement(Element value);
  bool KeepsBytesOfNextElement() const;
  size_t MaxKeptElements() const;

  void BeginMessage(const char* first_byte);
  void EmitMessage();
  void RejectLine();    // a malformed line at a boundary: skipped, still aligned
  void BreakMessage();  // malformed bytes inside a message: cut, boundaries lost
  void LoseBoundaries();
  void ResetParse();

  StreamKind kind_;
  State state_ = State::kValueStart;
  std::vector<Level> stack_;
  bool in_message_ = false;
  bool after_attribute_ = false;  // a top-level attribute was read: its value comes next
  Frame current_;

  char line_type_ = 0;
  std::string line_;  // the line's first bytes
  uint64_t line_length_ = 0;
  char line_last_byte_ = 0;

  framing::CrlfBlock body_;
  bool body_is_chunk_ = false;  // a chunk of a streamed string, not a value
  bool keep_body_ = false;      // copy the first bytes (an element kept, or a blob error)
  Element body_value_;

  uint64_t piece_start_ns_ = 0;
  uint64_t piece_end_ns_ = 0;
  uint32_t piece_tid_ = 0;
  std::string_view piece_bytes_;  // the captured bytes being consumed (valid during OnData)
  std::optional<uint32_t> piece_tcp_seq_;
  std::vector<Frame> frames_;
  uint64_t parse_errors_ = 0;
  uint64_t sync_losses_ = 0;
  uint64_t skipped_bytes_ = 0;
};

}  // namespace otelbpf::redis
