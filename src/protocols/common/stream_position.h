// Where a byte sits in its TCP stream, for same-host stitching (docs/design.md, "Parent rules"):
// the kernel stamps each piece with its first byte's sequence number (Piece::tcp_seq), and a
// framer that finds a message starting at some byte of the piece asks for that byte's number.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace otelbpf::framing {

// The sequence number of the byte at `at`, when `at` points into `piece_bytes` (the captured
// bytes of the piece being consumed, whose first byte is at `piece_tcp_seq`). Bytes a framer
// replays from an earlier piece (a resync buffer) are not in the piece and get none: a position
// is never guessed. Wraps modulo 2^32 like TCP.
inline std::optional<uint32_t> TcpSeqAt(std::string_view piece_bytes,
                                        std::optional<uint32_t> piece_tcp_seq, const char* at) {
  const auto begin = reinterpret_cast<uintptr_t>(piece_bytes.data());
  const auto where = reinterpret_cast<uintptr_t>(at);
  if (!piece_tcp_seq || !at || where < begin || where - begin >= piece_bytes.size())
    return std::nullopt;
  return *piece_tcp_seq + static_cast<uint32_t>(where - begin);
}

}  // namespace otelbpf::framing
