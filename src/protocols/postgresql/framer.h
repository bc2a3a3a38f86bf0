// One direction of a PostgreSQL connection: syscall-sized pieces of the byte stream in, messages
// out. Messages may span many pieces and one piece may hold many (pipelining).
//
// Memory is constant whatever the peer sends: of each message only its first KeptBodyBytes()
// are kept; the rest is counted and skipped by its length. A capture gap (bytes a syscall moved
// but the kernel did not copy) is skipped by size too: inside a message it costs that message's
// tail; when it hides where the next message starts, the framer is lost and looks for a
// plausible header (known type, sane length, and the messages after it lining up too) in the
// next captured bytes. A connection watched from its middle starts lost the same way.
// One announced as watched from its middle may yet be at its start (Start::kProbe): only a first
// piece that is exactly one well-formed startup-phase message is believed to be that start.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "protocols/common/protocol.h"
#include "protocols/postgresql/wire.h"

namespace otelbpf::postgresql {

// How much of a startup-phase packet is kept (its parameters: database, user, options).
inline constexpr size_t kKeptStartupBytes = 2048;
// While lost, how many bytes at a piece's end are looked at again with the next piece.
inline constexpr size_t kMaxLostTail = 64;

struct Message {
  enum class Kind : uint8_t {
    kTyped,       // type byte + length + body
    kUntyped,     // a frontend's first message: length + code + body ("code" starts the body)
    kSingleByte,  // a backend's one-byte answer to SSLRequest / GSSENCRequest, in `type`
  };
  Kind kind = Kind::kTyped;
  char type = 0;
  uint32_t body_length = 0;  // bytes after the length field
  std::string_view body;     // its first bytes; valid only while the sink runs
  bool complete = false;     // `body` is all of it (no gap, under the cap)
  uint64_t start_ns = 0;     // the piece that carried the first byte
  uint32_t tid = 0;          // ditto
  std::optional<uint32_t> tcp_seq;  // the first byte's TCP sequence number, when known
  uint64_t end_ns = 0;       // the piece that carried (or skipped) the last byte
};

class MessageSink {
 public:
  virtual void OnMessage(const Message& message) = 0;
  // A capture gap in `piece` hid where the next message starts: whole messages may be in it.
  virtual void OnGapHidMessages(const Piece& piece) {}

 protected:
  ~MessageSink() = default;
};

class MessageFramer {
 public:
  enum class Start : uint8_t {
    kUntyped,  // the frontend of a connection watched from its start
    kTyped,    // the backend of a connection watched from its start
    kDetect,   // watched from its start, direction unknown: the first bytes tell
    kLost,     // watched from its middle
    // Announced as watched from its middle, yet maybe at its very start (a server process forked
    // after accept() sees its socket first in the child): the first piece is the frontend's first
    // message when it is exactly one well-formed startup-phase message (SSLRequest,
    // GSSENCRequest, CancelRequest, StartupMessage), else the framer is lost as with kLost.
    kProbe,
  };
  explicit MessageFramer(Start start = Start::kLost);

  // Who writes this direction, once known: sharpens header validation and what is kept.
  void set_side(Side side) { side_ = side; }
  Side side() const { return side_; }
  // The frontend sent SSLRequest or GSSENCRequest: the next byte is the one-byte answer. Also
  // for a framer that started lost but has seen no byte yet: the frontend's stream proved the
  // conversation is at its start, so this (backend) one is too.
  void ExpectSingleByteAnswer();
  // The frontend sent its StartupMessage: typed messages follow here. Only changes a framer that
  // started lost and has seen no byte yet (see ExpectSingleByteAnswer).
  void ExpectTypedStart();

  void OnData(const Piece& piece, MessageSink& sink);

  bool synchronized() const { return state_ != State::kLost; }
  // The stream began with a TLS record (direct TLS negotiation): nothing here to read.
  bool tls() const { return tls_; }
  // Times captured bytes that were not a message had to be skipped (garbage, a stream joined in
  // its middle). Boundaries lost to capture gaps are counted in gap_losses() instead.
  uint64_t parse_errors() const { return parse_errors_; }
  uint64_t gap_losses() const { return gap_losses_; }

 private:
  enum class State : uint8_t {
    kDetect,
    kHeader,      // at a boundary, collecting a header (typed or untyped, see untyped_)
    kBody,        // inside a message; remaining_ bytes to go
    kSingleByte,  // the answer to an encryption request
    kLost,        // boundaries unknown
    kTls,         // the stream is encrypted: skip everything
    kProbe,       // Start::kProbe, before the first piece
  };

  size_t ConsumeHeader(std::string_view data, size_t pos, MessageSink& sink);
  size_t ConsumeBody(std::string_view data, size_t pos, MessageSink& sink);
  size_t Resync(std::string_view data, size_t pos);
  void Detect(std::string_view data);
  void Probe(std::string_view data, uint64_t length);
  void ConsumeGap(uint64_t gap, MessageSink& sink);
  void BeginBody(MessageSink& sink);
  void Emit(MessageSink& sink);
  void LoseSync(bool by_gap);
  enum class Candidate : uint8_t { kNo, kBelieved, kUnverified };
  Candidate CandidateAt(std::string_view data, size_t pos) const;

  State state_;
  Side side_ = Side::kUnknown;
  bool untyped_ = false;  // kHeader: the next header is untyped
  char header_[kTypedHeaderSize] = {};
  size_t header_have_ = 0;
  size_t header_start_ = 0;  // offset of the header's first byte in the current piece, or npos
  uint64_t remaining_ = 0;   // kBody: body bytes still to come
  size_t keep_ = 0;          // kBody: body bytes to keep
  bool intact_ = true;       // kBody: every byte so far was captured
  bool lost_by_gap_ = false;
  bool skipped_while_lost_ = false;
  bool tls_ = false;
  bool seen_bytes_ = false;  // any piece with bytes (captured or not) so far
  Message current_;
  std::string body_;
  std::string replay_prefix_;     // a bad header's bytes after its first, to search again
  std::string lost_tail_;         // kLost: a piece's last bytes, maybe a header's beginning
  const Piece* piece_ = nullptr;  // during OnData
  MessageSink* sink_ = nullptr;   // during OnData
  uint64_t parse_errors_ = 0;
  uint64_t gap_losses_ = 0;
};

}  // namespace otelbpf::postgresql
