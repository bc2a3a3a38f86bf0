// A data block of announced length followed by "\r\n" (a RESP bulk string, a memcached value),
// read across pieces and capture gaps. It is skipped by its length: a gap inside it costs only
// its bytes, never the stream's boundaries, which is what keeps a framer in step through values
// larger than what the kernel captures.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace otelbpf::framing {

class CrlfBlock {
 public:
  enum class Status : uint8_t {
    kMore,           // the block goes on in the next piece
    kDone,           // the block and its "\r\n" are read
    kBadTerminator,  // no "\r\n" where the length said: the length was wrong
  };
  struct Step {
    size_t used = 0;        // bytes of the piece consumed
    std::string_view data;  // those of them that were the block's data (not its "\r\n")
    Status status = Status::kMore;
  };

  void Start(uint64_t data_bytes) {
    data_left_ = data_bytes;
    terminator_left_ = 2;
  }
  void Clear() {
    data_left_ = 0;
    terminator_left_ = 0;
  }

  // Reads what `data` holds of the block.
  Step Read(std::string_view data);

  // A capture gap of `gap` bytes inside the block. When the block ends within it, the block is
  // done and what is left of the gap (bytes past the block's end) is returned; nullopt when the
  // block goes on past the gap.
  std::optional<uint64_t> SkipGap(uint64_t gap);

 private:
  uint64_t data_left_ = 0;       // data bytes still to come
  uint8_t terminator_left_ = 0;  // bytes of the "\r\n" after them still to come
};

}  // namespace otelbpf::framing
