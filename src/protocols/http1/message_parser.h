// One direction of an HTTP/1.x connection: syscall-sized pieces of a byte stream in,
// complete messages out. Knows framing (start line, headers, Content-Length, chunked,
// close-delimited), capture gaps, and how to resynchronise after garbage. Knows nothing of
// the other direction except through MessageSink (a response's framing depends on its request).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "protocols/http1/headers.h"
#include "protocols/http1/http1_exchange.h"
#include "protocols/http1/start_line.h"

namespace otelbpf::http1 {

// How the parser decided that a message ended.
enum class MessageEnd : uint8_t {
  kComplete,      // its framing said so (length reached, last chunk, no body, or a capture gap)
  kEndedByClose,  // a close-delimited body, ended by the connection closing
  kCutShort,      // the connection closed before its framing was satisfied
};

// Receives what a MessageParser finds. Called synchronously from OnData/OnClose.
class MessageSink {
 public:
  virtual ~MessageSink() = default;
  // The header block of `message` ended; its body (if any) follows. The sink may change the
  // parser's StreamKind here (role inference).
  virtual void OnHeadersComplete(const Message& message) = 0;
  // For a response whose headers just ended: the method of the request it answers, or ""
  // when unknown. HEAD and CONNECT change how the response is framed.
  virtual std::string_view MethodOfRequestAnswered() = 0;
  // A message ended. The sink may call StopParsing() on this parser (protocol switch).
  virtual void OnMessage(Message&& message, MessageEnd end) = 0;
};

class MessageParser {
 public:
  MessageParser(StreamKind kind, MessageSink* sink);

  // One syscall's bytes: `captured` is a prefix of the `length` bytes it moved; the rest is a
  // gap of known size. Timestamps stamp the messages whose bytes this piece carries.
  // `tid`: the thread that made the syscall (0: unknown), stamped on messages it starts;
  // `tcp_seq`: the TCP sequence number of `captured[0]`, when known.
  void OnData(std::string_view captured, uint64_t length, uint64_t start_ns, uint64_t end_ns,
              uint32_t tid = 0, std::optional<uint32_t> tcp_seq = std::nullopt);
  // The stream ended: ends a close-delimited body, reports a message cut short. Final.
  void OnClose();

  void set_kind(StreamKind kind) { kind_ = kind; }
  // The bytes are not HTTP/1 any more (101 Switching Protocols, CONNECT tunnel): ignore the rest.
  void StopParsing();
  // The bytes are another protocol's from the end of the message just completed (101 to h2c):
  // like StopParsing, and what follows that message in the piece at hand is kept for TakeRest.
  // Called by the sink from OnMessage.
  void HandOver();
  // After HandOver: the rest of the piece that carried the switch (its direction unset), or
  // nothing when the message ended exactly at the piece's end (or inside a capture gap).
  std::optional<OwnedPiece> TakeRest() { return std::exchange(rest_, std::nullopt); }

  // Episodes of skipping bytes that should have been a message (see skip_expected_).
  // What a parser carries from one message to the next: a parser at rest (AtRest) can be
  // destroyed and a new one made with Resume(continuity()) parses on exactly as it would have.
  using Continuity = ParserContinuity;
  // At a message boundary with nothing buffered.
  bool AtRest() const { return state_ == State::kExpectStart && header_buf_.empty(); }
  Continuity continuity() const {
    return {skip_expected_, recognized_any_, parse_errors_, skipped_bytes_};
  }
  void Resume(const Continuity& c) {
    skip_expected_ = c.skip_expected;
    recognized_any_ = c.recognized_any;
    parse_errors_ = c.parse_errors;
    skipped_bytes_ = c.skipped_bytes;
  }

  uint64_t parse_errors() const { return parse_errors_; }
  // Captured bytes skipped as unparseable, and whether a start line was ever accepted: together
  // they tell when a connection is not HTTP/1 at all.
  uint64_t skipped_bytes() const { return skipped_bytes_; }
  bool recognized_any() const { return recognized_any_; }
  // Heap held for split header blocks; never above kMaxHeaderBlockBytes.
  size_t buffered_bytes() const { return header_buf_.capacity(); }

 private:
  enum class State : uint8_t {
    kExpectStart,       // at a message boundary: a start line should begin here
    kSeekStart,         // resynchronising: skipping bytes until a plausible start line
    kHeaderBlock,       // collecting the start line and header fields up to the blank line
    kSkipHeaderTail,    // the block outgrew kMaxHeaderBlockBytes: skipping to its blank line
    kFixedBody,         // Content-Length body; body_remaining_ bytes to go
    kBodyUntilClose,    // response body delimited by the connection closing
    kChunkSize,         // chunked: hex digits of a chunk-size line
    kChunkSizeRest,     // chunked: extensions / whitespace up to the line's LF
    kChunkData,         // chunked: body_remaining_ bytes of chunk data
    kChunkDataCr,       // chunked: the CR (or bare LF) after chunk data
    kChunkDataLf,       // chunked: the LF after chunk data
    kTrailerLineStart,  // chunked: start of a trailer line, or of the final empty line
    kTrailerLine,       // chunked: inside a trailer field line
    kTrailerEndLf,      // chunked: the LF of the final empty line
    kStopped,           // closed or no longer HTTP: everything is ignored
  };
  enum class BodyKind : uint8_t { kNone, kFixed, kChunked, kUntilClose };

  // Consumes captured bytes; each Step() handles one state and returns how much it used.
  // Returns what was left when parsing stopped (empty unless it stopped).
  std::string_view Consume(std::string_view data);
  size_t Step(std::string_view data);
  void ConsumeGap(uint64_t gap);

  size_t ExpectStart(std::string_view data);
  size_t SeekStart(std::string_view data);
  size_t CollectHeaderBlock(std::string_view data);
  size_t SkipHeaderTail(std::string_view data);
  size_t ChunkSize(std::string_view data);
  size_t ChunkSizeRest(std::string_view data);
  size_t TrailerLine(std::string_view data);

  // `first_byte`: where the start line begins (in the piece, or in replayed bytes).
  void BeginMessage(bool start_line_complete, MethodPolicy policy, const char* first_byte);
  void MarkRecognized();
  void BeginResync();
  void ReplayAfterFalseStart();
  bool ParsePartialHeaderBlock();
  void HeaderBlockOverflowed();
  void ParseHeaderBlock(std::string_view block);
  void FinishHeaders();
  void HeadersEndedInGap(uint64_t gap);
  BodyKind DecideBody();
  void StartBody(BodyKind kind);
  void BeginChunkSizeLine();
  void EndChunkedAfterGap();
  void FramingError();
  void Complete(MessageEnd end);
  void DiscardMessage();
  void GrowHeaderBuffer(size_t needed);
  void ReleaseHeaderBuffer();
  // Keeps `left` (the tail of the piece at hand, then `gap` uncaptured bytes) for TakeRest.
  void KeepRest(std::string_view left, uint64_t gap);
  bool InMessage() const;

  StreamKind kind_;
  MessageSink* sink_;
  State state_ = State::kExpectStart;

  Message current_;         // the message being parsed
  BodyFraming framing_;     // what current_'s headers said about its body
  std::string header_buf_;  // header bytes split across pieces; never above kMaxHeaderBlockBytes
  bool start_line_validated_ = false;
  MethodPolicy method_policy_ = MethodPolicy::kAnyToken;
  uint8_t blank_line_progress_ = 0;  // kSkipHeaderTail: 1 after LF, 2 after LF CR
  uint64_t body_remaining_ = 0;      // kFixedBody / kChunkData
  uint64_t chunk_size_ = 0;          // kChunkSize accumulator
  uint32_t chunk_size_digits_ = 0;
  size_t framing_line_bytes_ = 0;  // bounds chunk extensions and trailers

  // A skip is "expected" (not a parse error) at the very start of the stream (connection
  // learned mid-message) and after a capture gap hid where the next message starts.
  bool skip_expected_ = true;
  bool recognized_any_ = false;
  uint64_t parse_errors_ = 0;
  uint64_t skipped_bytes_ = 0;

  uint64_t piece_start_ns_ = 0;  // timestamps of the piece being consumed
  uint64_t piece_end_ns_ = 0;
  uint32_t piece_tid_ = 0;
  std::string_view piece_bytes_;  // the captured bytes of the piece being consumed
  std::optional<uint32_t> piece_tcp_seq_;

  bool handing_over_ = false;        // HandOver() was called: keep the rest of the piece
  std::optional<OwnedPiece> rest_;  // see TakeRest()
};

}  // namespace otelbpf::http1
