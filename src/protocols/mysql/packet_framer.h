// One direction of a MySQL connection: syscall-sized pieces of the byte stream in, messages out.
// A message is one logical payload: a packet, or a run of packets whose payloads are exactly
// 0xFFFFFF bytes followed by the shorter one that ends it (MySQL source documentation, "MySQL
// Packets", "Sending More Than 16Mb").
//
// Memory is bounded whatever the peer sends: at most kMaxKeptPayloadBytes of a message are kept,
// the rest is skipped by its length, so a 100 MB result set streams through. Capture gaps (bytes
// a syscall moved but the kernel did not copy) are skipped by size too: a gap inside a payload
// only costs that message its tail; a gap that covers a packet header hides where the next
// packet starts, and the framer is then lost until its owner finds a piece that plausibly begins
// a message (the owner knows what to expect: a command, a response) and calls Resync().
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace otelbpf::mysql {

struct Message {
  std::string_view payload;  // the payload's first bytes: all of it when `complete`
  uint64_t length = 0;       // the whole payload, over all its packets
  uint8_t first_seq = 0;     // sequence id of its first packet
  uint8_t next_seq = 0;      // sequence id of the packet that follows it (the reply's first)
  bool complete = false;     // `payload` is all of it (every byte captured, under the cap)
  uint64_t start_ns = 0;     // start of the syscall that carried its header's first byte
  uint64_t end_ns = 0;       // end of the syscall that carried (or skipped) its last byte
  uint32_t tid = 0;          // thread of the syscall that carried its header's first byte
  std::optional<uint32_t> tcp_seq;  // TCP sequence number of its header's first byte
  // Offset of its header's first byte in the bytes that delivered it, when they hold it.
  size_t offset = std::string_view::npos;

  uint8_t first_byte() const { return payload.empty() ? 0 : static_cast<uint8_t>(payload[0]); }
};

class MessageSink {
 public:
  virtual ~MessageSink() = default;
  // A message's first header was read (`start` holds its first_seq, the first packet's length
  // and where it began; no payload yet). Returning false refuses it like OnMessage below, before
  // a bogus length can swallow what follows.
  virtual bool OnMessageStart(const Message& start) { return true; }
  // Returns false when the message shows the stream is not where it seemed (garbage, a
  // sequence id out of order): the framer then drops the rest of the piece and is lost.
  virtual bool OnMessage(const Message& message) = 0;
};

class PacketFramer {
 public:
  // `start_lost`: the stream was joined midway, no boundary is known yet.
  explicit PacketFramer(bool start_lost = false);

  // One syscall's bytes: `captured` is a prefix of the `length` bytes it moved; the rest is a
  // gap of known size. Messages whose last byte is in it go to `sink`, in order. Nothing is
  // consumed while lost.
  void OnData(std::string_view captured, uint64_t length, uint64_t start_ns, uint64_t end_ns,
              uint32_t tid, MessageSink& sink, std::optional<uint32_t> tcp_seq = std::nullopt);

  bool lost() const { return state_ == State::kLost; }
  // The next byte fed is the first byte of a packet header.
  void Resync();
  // The owner found the stream is not where it seemed: skip everything until Resync().
  void LoseSync();
  // True while no byte of a message is buffered (between messages).
  bool at_boundary() const { return state_ == State::kHeader && !continuing_ && header_have_ == 0; }

  // Times a capture gap hid a packet boundary, or a continuation packet was out of sequence.
  uint64_t sync_losses() const { return sync_losses_; }

 private:
  enum class State : uint8_t {
    kHeader,  // collecting the four header bytes of a packet
    kBody,    // inside a packet's payload; packet_remaining_ bytes to go
    kLost,    // a boundary is unknown
  };

  // Each returns false when the sink asked to stop.
  bool Consume(std::string_view data, MessageSink& sink);
  bool ConsumeGap(uint64_t gap, MessageSink& sink);
  bool BeginPacket(MessageSink& sink);
  bool EndPacket(MessageSink& sink);
  bool Emit(std::string_view payload, MessageSink& sink);
  void Keep(std::string_view bytes);
  void ResetMessage();
  void LoseSyncOnGap();

  State state_;
  uint8_t header_[4] = {};
  size_t header_have_ = 0;
  uint32_t packet_remaining_ = 0;
  bool packet_full_ = false;  // the current packet is 0xFFFFFF bytes: another one continues it
  bool continuing_ = false;   // between packets of one message
  bool keeping_ = true;       // every byte so far was captured and kept: later ones follow on
  Message message_;
  std::string kept_;
  // The piece being consumed.
  uint64_t piece_start_ns_ = 0;
  uint64_t piece_end_ns_ = 0;
  uint32_t piece_tid_ = 0;
  std::optional<uint32_t> piece_tcp_seq_;  // of the current piece's first byte
  size_t piece_offset_ = 0;  // bytes of the current piece consumed so far
  uint64_t sync_losses_ = 0;
};

}  // namespace otelbpf::mysql
