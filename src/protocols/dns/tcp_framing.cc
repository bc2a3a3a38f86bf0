#include "protocols/dns/tcp_framing.h"

#include <algorithm>
#include <utility>

#include "protocols/dns/message.h"

namespace otelbpf::dns {
namespace {

uint16_t BigEndian16(uint8_t high, uint8_t low) { return static_cast<uint16_t>((high << 8) | low); }

uint16_t ReadLengthPrefix(std::string_view bytes) {
  return BigEndian16(static_cast<uint8_t>(bytes[0]), static_cast<uint8_t>(bytes[1]));
}

}  // namespace

void TcpFramer::OnData(std::string_view captured, uint64_t length, uint64_t start_ns,
                       uint64_t end_ns) {
  length = std::max<uint64_t>(length, captured.size());
  if (state_ == State::kLost) {
    if (!PlausibleMessageStart(captured, length)) {
      skipped_bytes_ += length;
      return;
    }
    state_ = State::kLengthPrefix;
    prefix_have_ = 0;
  }
  piece_start_ns_ = start_ns;
  piece_end_ns_ = end_ns;
  Consume(captured);
  ConsumeGap(length - captured.size());
}

bool TcpFramer::PlausibleMessageStart(std::string_view captured, uint64_t length) {
  if (captured.size() < kLengthPrefixSize) return false;
  const uint16_t announced = ReadLengthPrefix(captured);
  if (announced < kHeaderSize) return false;
  if (length == kLengthPrefixSize) return true;
  if (captured.size() < kLengthPrefixSize + kHeaderSize) return false;
  const std::optional<Header> header = ParseHeader(captured.substr(kLengthPrefixSize));
  return header && header->opcode == 0 && header->question_count == 1;
}

void TcpFramer::Consume(std::string_view data) {
  while (!data.empty()) {
    switch (state_) {
      case State::kLengthPrefix:
        if (prefix_have_ == 0) current_.start_ns = piece_start_ns_;
        prefix_[prefix_have_++] = static_cast<uint8_t>(data[0]);
        data.remove_prefix(1);
        if (prefix_have_ == kLengthPrefixSize) BeginBody();
        break;
      case State::kBody: {
        const size_t take = std::min(remaining_, data.size());
        if (intact_) {
          const size_t room = kMaxKeptMessageBytes - current_.bytes.size();
          current_.bytes.append(data.substr(0, std::min(take, room)));
          if (take > room) intact_ = false;  // over the cap: the rest is only counted
        }
        remaining_ -= take;
        data.remove_prefix(take);
        if (remaining_ == 0) EmitFrame();
        break;
      }
      case State::kLost:
        return;  // unreachable: OnData resynchronises before consuming
    }
  }
}

void TcpFramer::ConsumeGap(uint64_t gap) {
  if (gap == 0) return;
  if (state_ == State::kBody) {
    intact_ = false;  // later captured bytes would not follow the kept ones: keep none
    if (gap < remaining_) {
      remaining_ -= static_cast<size_t>(gap);
      return;
    }
    gap -= remaining_;
    remaining_ = 0;
    EmitFrame();
    if (gap == 0) return;
  }
  if (state_ == State::kLengthPrefix) LoseSync();
  skipped_bytes_ += gap;
}

void TcpFramer::BeginBody() {
  current_.length = BigEndian16(prefix_[0], prefix_[1]);
  current_.bytes.clear();
  remaining_ = current_.length;
  intact_ = true;
  state_ = State::kBody;
  if (remaining_ == 0) EmitFrame();
}

void TcpFramer::EmitFrame() {
  current_.complete = intact_ && current_.bytes.size() == current_.length;
  current_.end_ns = piece_end_ns_;
  frames_.push_back(std::move(current_));
  current_ = Frame{};
  state_ = State::kLengthPrefix;
  prefix_have_ = 0;
}

void TcpFramer::LoseSync() {
  state_ = State::kLost;
  prefix_have_ = 0;
  ++sync_losses_;
}

}  // namespace otelbpf::dns
