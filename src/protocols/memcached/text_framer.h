// memcached's text protocol (memcached doc/protocol.txt; the meta commands of
// doc/protocol.txt "Meta Commands"), framed for one direction of a connection: syscall-sized
// pieces of the byte stream in, lines out.
//
// Every command and reply is a line ending in "\r\n". Storage commands ("set <key> <flags>
// <exptime> <bytes>", "cas ...", meta "ms <key> <datalen>") and retrieved items ("VALUE <key>
// <flags> <bytes>", meta "VA <datalen>") are followed by a data block of that many bytes plus
// "\r\n": it is skipped by its length, also when a capture gap hides it, and never copied. Values
// never enter memory, and neither do keys: a line is tokenised while it streams and only its first
// word (the command or reply keyword), its word count, its length word, whether its last word is
// "noreply" and whether a meta flag "q" was given are kept.
//
// Malformed bytes end at the next line feed like any line: a line whose first word is not
// printable is dropped (counted in parse_errors()), a line longer than kMaxLineBytes is dropped up
// to its line feed. Boundaries are only lost to capture gaps that hide a line's end or a line
// start; the framer then emits what it had of the line (`cut`) and a kSyncLost event, and waits
// for a plausible line start (PlausibleLineStart) at the start of a piece or after a line feed.
//
// The binary protocol (first byte 0x80 request / 0x81 response magic) is reported once as
// kBinary: it is a different protocol, which this parser does not follow.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocols/common/crlf_block.h"
#include "protocols/common/stream_kind.h"

namespace otelbpf::memcached {

inline constexpr size_t kMaxWordBytes = 32;
inline constexpr uint64_t kMaxLineBytes = 64 * 1024;
inline constexpr uint64_t kMaxDataBytes = 1ull << 40;

using framing::StreamKind;

struct Line {
  enum class Kind : uint8_t {
    kLine,      // a command or reply line (with its data block, if any)
    kSyncLost,  // boundaries were lost here: lines may be missing before the next one
    kBinary,    // the stream is the binary protocol
  };
  Kind kind = Kind::kLine;
  std::string word;         // the first word: at most kMaxWordBytes (longer: its first bytes)
  bool word_whole = false;  // `word` is all of the first word
  uint64_t words = 0;
  bool noreply = false;  // the last word is "noreply"
  bool quiet = false;    // a word "q" after the first two (the meta commands' quiet flag)
  std::optional<uint64_t> data_bytes;  // a data block of this size followed (skipped)
  bool cut = false;       // a capture gap hid the rest of the line or of its data block
  uint64_t start_ns = 0;  // start of the piece that carried the first byte
  uint64_t end_ns = 0;    // end of the piece that carried (or skipped) the last byte
  uint32_t tid = 0;       // thread of the piece that carried the first byte
  std::optional<uint32_t> tcp_seq;  // the first byte's TCP sequence number, when known
};

// memcached text-protocol command names (case-sensitive: "Command names are lower-case").
bool IsKnownCommand(std::string_view word);
// Reply keywords ("VALUE", "END", "STORED", ..., and the meta codes "VA", "HD", "EN", ...).
bool IsReplyKeyword(std::string_view word);

// Whether `bytes` (captured bytes from some offset of a piece) plausibly begins a line of a
// stream of `kind`: a known command followed by a blank or the line end, or a reply keyword (or
// the number an incr/decr answers) ending its line within the captured bytes.
bool PlausibleLineStart(std::string_view bytes, StreamKind kind);

class TextFramer {
 public:
  explicit TextFramer(StreamKind kind = StreamKind::kUnknown, bool start_lost = false);

  void set_kind(StreamKind kind) { kind_ = kind; }

  // One syscall's bytes: `captured` is a prefix of the `length` bytes it moved; the rest is a gap.
  void OnData(std::string_view captured, uint64_t length, uint64_t start_ns, uint64_t end_ns,
              uint32_t tid, std::optional<uint32_t> tcp_seq = std::nullopt);

  // Lines and events, oldest first. The caller consumes and clear()s it.
  std::vector<Line>& lines() { return lines_; }

  bool synchronized() const { return state_ != State::kLost; }
  uint64_t parse_errors() const { return parse_errors_; }
  uint64_t sync_losses() const { return sync_losses_; }
  uint64_t skipped_bytes() const { return skipped_bytes_; }

 private:
  enum class State : uint8_t {
    kLineStart,    // at a boundary
    kLine,         // inside a line
    kDiscardLine,  // inside a line that is dropped (too long)
    kBlock,        // inside a data block or its "\r\n"
    kLost,         // boundaries unknown
  };

  void Consume(std::string_view data);
  size_t StartLine(std::string_view data);
  size_t ReadLine(std::string_view data);
  size_t DiscardLine(std::string_view data);
  size_t ReadBlock(std::string_view data);
  size_t SkipWhileLost(std::string_view data);
  void ConsumeGap(uint64_t gap);

  void AddByte(char c);
  void EndWord();
  void EndLine();
  void Emit();
  void LoseBoundaries();

  StreamKind kind_;
  State state_;
  bool seen_text_ = false;  // a line was framed: a 0x80 byte is no magic any more

  Line current_;
  uint64_t line_length_ = 0;
  bool in_word_ = false;
  std::string word_;  // the word being read, its first bytes
  uint64_t word_length_ = 0;
  int data_word_ = -1;  // index of the word that announces a data block, once known
  std::string data_length_word_;
  std::string last_word_;  // short words only (enough for "noreply")

  framing::CrlfBlock block_;  // a value: skipped, never copied

  uint64_t piece_start_ns_ = 0;
  uint64_t piece_end_ns_ = 0;
  uint32_t piece_tid_ = 0;
  std::string_view piece_bytes_;  // the captured bytes being consumed (valid during OnData)
  std::optional<uint32_t> piece_tcp_seq_;
  std::vector<Line> lines_;
  uint64_t parse_errors_ = 0;
  uint64_t sync_losses_ = 0;
  uint64_t skipped_bytes_ = 0;
};

}  // namespace otelbpf::memcached
