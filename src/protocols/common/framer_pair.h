// A connection's two framers, one per direction. Both start out taking what either side could
// send; once the role is known each is told what its direction carries, which lets it reject
// bytes (and resynchronise) more strictly.
#pragma once

#include <cstddef>
#include <cstdint>

#include "protocols/common/connection.h"
#include "protocols/common/request_direction.h"
#include "protocols/common/stream_kind.h"

namespace otelbpf::framing {

// `Framer`: constructible from (StreamKind, bool start_lost), with set_kind(StreamKind) and
// parse_errors().
template <typename Framer>
class FramerPair {
 public:
  // `start_lost`: the connection was learned mid-stream (see the framer).
  explicit FramerPair(bool start_lost)
      : framers_{Framer(StreamKind::kUnknown, start_lost),
                 Framer(StreamKind::kUnknown, start_lost)} {}

  Framer& operator[](Direction direction) { return framers_[static_cast<size_t>(direction)]; }

  void SetRequestDirection(Direction requests) {
    (*this)[requests].set_kind(StreamKind::kRequests);
    (*this)[roles::Opposite(requests)].set_kind(StreamKind::kResponses);
  }

  uint64_t parse_errors() const { return framers_[0].parse_errors() + framers_[1].parse_errors(); }

 private:
  Framer framers_[2];  // indexed by Direction
};

}  // namespace otelbpf::framing
