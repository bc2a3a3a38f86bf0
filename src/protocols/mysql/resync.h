// Where to pick a stream up again. A framer that lost the packet boundaries (a capture gap hid a
// header, garbage, or the connection was joined midway) only trusts a piece whose first bytes
// are what the other side's state says must come next: a command, the first packet of the
// pending command's response, or the server's greeting on a new connection. Pieces are
// syscalls, and both ends write a command or a response's start with a fresh one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "protocols/mysql/command.h"

namespace otelbpf::mysql {

// The piece begins with the server's Initial Handshake (or is its header alone: some readers
// fetch the four header bytes first).
bool PlausibleGreetingStart(std::string_view captured, uint64_t length);

// The piece begins with a command an ordinary client sends (or its header alone).
bool PlausibleCommandStart(std::string_view captured, uint64_t length);

// The piece begins with the first packet of a `shape` response whose sequence id is `seq`.
bool PlausibleResponseStart(std::string_view captured, uint64_t length, uint8_t seq,
                            ResponseShape shape);

// The offset, at or after `from`, of a plausible command that ends exactly where the piece ends
// (a command written after garbage in one syscall); npos when none. Only in pieces captured
// whole, where the end is known.
size_t FindCommandEndingPiece(std::string_view captured, uint64_t length, size_t from);

}  // namespace otelbpf::mysql
