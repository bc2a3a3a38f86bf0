// Finding a stream's boundaries again. When a capture gap (or malformed bytes) loses a framer its
// place, the next message can only be recognised by how it starts: the framer looks right after
// each line feed (and at the start of each piece, where syscalls usually begin) for bytes that
// its protocol's probe accepts as a plausible message start.
#pragma once

#include <cstddef>
#include <string_view>

#include "protocols/common/stream_kind.h"

namespace otelbpf::framing {

// Whether `bytes` (captured bytes from some offset of a piece) plausibly begin a message of a
// stream of `kind`.
using PlausibleStartProbe = bool (*)(std::string_view bytes, StreamKind kind);

struct ResyncScan {
  size_t skipped = 0;  // bytes of the data that are not part of any message we can frame
  bool found = false;  // a plausible message starts right after them
};

// Skips `data` up to the first line start after a line feed that `probe` accepts; without one,
// all of `data` is skipped.
ResyncScan SkipToPlausibleLineStart(std::string_view data, StreamKind kind,
                                    PlausibleStartProbe probe);

}  // namespace otelbpf::framing
