#include "protocols/mysql/packet_framer.h"

#include <algorithm>

#include "protocols/mysql/constants.h"

namespace otelbpf::mysql {

PacketFramer::PacketFramer(bool start_lost) : state_(start_lost ? State::kLost : State::kHeader) {}

void PacketFramer::OnData(std::string_view captured, uint64_t length, uint64_t start_ns,
                          uint64_t end_ns, uint32_t tid, MessageSink& sink,
                          std::optional<uint32_t> tcp_seq) {
  if (state_ == State::kLost) return;
  length = std::max<uint64_t>(length, captured.size());
  piece_start_ns_ = start_ns;
  piece_end_ns_ = end_ns;
  piece_tid_ = tid;
  piece_tcp_seq_ = tcp_seq;
  piece_offset_ = 0;
  if (!at_boundary()) message_.offset = std::string_view::npos;  // began in an earlier piece
  if (!Consume(captured, sink)) return;
  ConsumeGap(length - captured.size(), sink);
}

void PacketFramer::Resync() {
  state_ = State::kHeader;
  header_have_ = 0;
  continuing_ = false;
  ResetMessage();
}

void PacketFramer::LoseSync() {
  state_ = State::kLost;
  header_have_ = 0;
  continuing_ = false;
  ResetMessage();
}

void PacketFramer::LoseSyncOnGap() {
  LoseSync();
  ++sync_losses_;
}

void PacketFramer::ResetMessage() {
  message_ = Message{};
  kept_.clear();
  keeping_ = true;
  packet_remaining_ = 0;
  packet_full_ = false;
}

bool PacketFramer::Consume(std::string_view data, MessageSink& sink) {
  while (!data.empty() && state_ != State::kLost) {
    if (state_ == State::kHeader) {
      if (header_have_ == 0 && !continuing_) {
        message_.start_ns = piece_start_ns_;
        message_.tid = piece_tid_;
        message_.offset = piece_offset_;
        message_.tcp_seq.reset();
        if (piece_tcp_seq_) message_.tcp_seq = *piece_tcp_seq_ + static_cast<uint32_t>(piece_offset_);
      }
      header_[header_have_++] = static_cast<uint8_t>(data[0]);
      data.remove_prefix(1);
      ++piece_offset_;
      if (header_have_ == kPacketHeaderSize && !BeginPacket(sink)) return false;
      if (state_ == State::kBody && packet_remaining_ == 0 && !EndPacket(sink)) return false;
      continue;
    }
    // kBody. A single-packet message wholly in this piece goes out as a view of the piece.
    const size_t take = std::min<size_t>(packet_remaining_, data.size());
    if (!continuing_ && !packet_full_ && kept_.empty() && keeping_ && take == packet_remaining_) {
      const std::string_view payload = data.substr(0, std::min(take, kMaxKeptPayloadBytes));
      data.remove_prefix(take);
      piece_offset_ += take;
      packet_remaining_ = 0;
      state_ = State::kHeader;
      header_have_ = 0;
      if (!Emit(payload, sink)) return false;
      continue;
    }
    Keep(data.substr(0, take));
    data.remove_prefix(take);
    piece_offset_ += take;
    packet_remaining_ -= static_cast<uint32_t>(take);
    if (packet_remaining_ == 0 && !EndPacket(sink)) return false;
  }
  return true;
}

bool PacketFramer::ConsumeGap(uint64_t gap, MessageSink& sink) {
  while (gap > 0 && state_ == State::kBody) {
    keeping_ = false;  // captured bytes after a gap would not follow the kept ones
    const uint64_t skip = std::min<uint64_t>(gap, packet_remaining_);
    packet_remaining_ -= static_cast<uint32_t>(skip);
    gap -= skip;
    if (packet_remaining_ == 0 && !EndPacket(sink)) return false;
  }
  // A gap that reaches into a header hides the packet's length: the boundary is gone. (A gap
  // that ends exactly at a boundary leaves the next piece at a header.)
  if (gap > 0 && state_ == State::kHeader) LoseSyncOnGap();
  return true;
}

bool PacketFramer::BeginPacket(MessageSink& sink) {
  const uint32_t length = header_[0] | (header_[1] << 8) | (header_[2] << 16);
  const uint8_t seq = header_[3];
  header_have_ = 0;
  if (continuing_) {
    if (seq != message_.next_seq) {
      LoseSyncOnGap();
      return false;
    }
  } else {
    message_.first_seq = seq;
    message_.length = length;
    if (!sink.OnMessageStart(message_)) {
      LoseSync();
      return false;
    }
    message_.length = 0;
  }
  message_.next_seq = static_cast<uint8_t>(seq + 1);
  message_.length += length;
  packet_remaining_ = length;
  packet_full_ = length == kMaxPacketPayload;
  state_ = State::kBody;
  return true;
}

bool PacketFramer::EndPacket(MessageSink& sink) {
  state_ = State::kHeader;
  header_have_ = 0;
  if (packet_full_) {
    continuing_ = true;
    return true;
  }
  continuing_ = false;
  return Emit(kept_, sink);
}

void PacketFramer::Keep(std::string_view bytes) {
  if (!keeping_) return;
  const size_t room = kMaxKeptPayloadBytes - kept_.size();
  kept_.append(bytes.substr(0, room));
}

bool PacketFramer::Emit(std::string_view payload, MessageSink& sink) {
  message_.payload = payload;
  message_.complete = keeping_ && payload.size() == message_.length;
  message_.end_ns = piece_end_ns_;
  const bool ok = sink.OnMessage(message_);
  ResetMessage();
  if (!ok) {
    state_ = State::kLost;
    header_have_ = 0;
    continuing_ = false;
    return false;
  }
  return true;
}

}  // namespace otelbpf::mysql
