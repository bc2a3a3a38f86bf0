// libFuzzer target: arbitrary bytes as HTTP/1 traffic on one connection, cut into syscall-sized
// pieces in both directions, with capture gaps; every exchange is turned into a span.
// The input's first bytes steer the cuts so the fuzzer explores splits, not only contents, and
// whether an upgrade to h2c is handed over (the hand-over's rest must be the piece's tail).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "http_capture.h"

#include "protocols/http1/http1_exchange.h"

using otelbpf::ConnectionInfo;
using otelbpf::ConnectionRole;
using otelbpf::http1::ConnectionStitcher;
using otelbpf::http1::Direction;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const ConnectionRole role = static_cast<ConnectionRole>(data[0] % 3);
  const uint32_t switch_targets = (data[0] & 0x40) ? 1u << OTELBPF_PROTO_HTTP2 : 0;
  ConnectionStitcher stitcher(role, switch_targets);
  ConnectionInfo info;
  info.role = role == ConnectionRole::kUnknown ? ConnectionRole::kServer : role;
  otelbpf::SpanBuildOptions options;

  size_t pos = 1;
  uint64_t now = 1;
  while (pos < size) {
    // One control byte per piece: direction, piece length, and whether part is a gap.
    const uint8_t control = data[pos++];
    const Direction dir = (control & 1) ? Direction::kSend : Direction::kRecv;
    size_t len = 1 + ((control >> 1) & 0x3f) * 7;
    if (len > size - pos) len = size - pos;
    std::string_view piece(reinterpret_cast<const char*>(data + pos), len);
    pos += len;
    const bool gap = (control & 0x80) != 0;
    const std::string_view captured = gap ? piece.substr(0, piece.size() / 2) : piece;
    const uint64_t length = gap ? piece.size() + (control & 0x7f) * 100 : piece.size();
    stitcher.OnData(dir, captured, length, now, now + 1);
    now += 2;
    for (const auto& x : stitcher.completed()) (void)otelbpf::http1::BuildSpan(x, info, options);
    stitcher.completed().clear();
    if (auto handover = stitcher.TakeSwitch()) {
      const auto& rest = handover->rest;
      if (!switch_targets || !handover->request) abort();
      if (rest && (rest->bytes.size() > captured.size() || rest->meta.length > length ||
                   rest->meta.length < rest->bytes.size() ||
                   !captured.ends_with(rest->bytes))) {
        abort();  // the rest is the tail of this piece, never more
      }
    }
    if (stitcher.abandoned()) return 0;
  }
  stitcher.OnClose(now, data[0] & 0x80);
  for (const auto& x : stitcher.completed()) (void)otelbpf::http1::BuildSpan(x, info, options);
  return 0;
}
