#include "protocols/common/crlf_block.h"

#include <algorithm>

namespace otelbpf::framing {

CrlfBlock::Step CrlfBlock::Read(std::string_view data) {
  Step step;
  if (data_left_ > 0) {
    const size_t take = static_cast<size_t>(std::min<uint64_t>(data_left_, data.size()));
    step.data = data.substr(0, take);
    data_left_ -= take;
    step.used = take;
  }
  while (data_left_ == 0 && terminator_left_ > 0 && step.used < data.size()) {
    const char expected = terminator_left_ == 2 ? '\r' : '\n';
    if (data[step.used] != expected) {
      step.status = Status::kBadTerminator;
      return step;
    }
    ++step.used;
    --terminator_left_;
  }
  if (data_left_ == 0 && terminator_left_ == 0) step.status = Status::kDone;
  return step;
}

std::optional<uint64_t> CrlfBlock::SkipGap(uint64_t gap) {
  const uint64_t rest = data_left_ + terminator_left_;
  if (gap < rest) {
    const uint64_t from_data = std::min(gap, data_left_);
    data_left_ -= from_data;
    terminator_left_ = static_cast<uint8_t>(terminator_left_ - (gap - from_data));
    return std::nullopt;
  }
  Clear();
  return gap - rest;
}

}  // namespace otelbpf::framing
