// libFuzzer target: arbitrary bytes as DNS traffic on one socket of a client process, over UDP
// or TCP, cut into syscall-sized pieces with capture gaps and time passing; every piece is also
// parsed on its own as a message, and every lookup is turned into a span.
//
// Input: one mode byte, then records [control][length][length bytes]. Mode: bit 0 TCP, bits 1-3
// the pending cap, bits 4-7 the timeout in seconds. Control: bit 0 direction (1 = sent), bits 1-2
// a capture gap after the bytes (none, small, medium, 64 KiB), bits 3-5 seconds that pass before
// the piece, bit 6 an Expire() after it. Seeds in corpus/dns/ follow this layout.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "protocols/dns/message.h"
#include "protocols/dns/socket_stitcher.h"
#include "protocols/dns/span_builder.h"

namespace dns = otelbpf::dns;

namespace {

constexpr uint64_t kSecond = 1'000'000'000;
constexpr uint64_t kGapSizes[] = {0, 3, 300, 65536};

void Check(bool invariant) {
  if (!invariant) std::abort();
}

void CheckParse(std::string_view bytes) {
  const dns::ParseResult parsed = dns::ParseMessage(bytes);
  if (parsed.message.question) {
    // Escaping at most quadruples the 253 printable octets of a name.
    Check(parsed.message.question->name.size() <= 4 * dns::kMaxNameWireLength);
  }
  Check(parsed.header_ok() == (bytes.size() >= dns::kHeaderSize));
}

void Drain(dns::SocketStitcher& stitcher, const otelbpf::ConnectionInfo& info) {
  for (const dns::Exchange& exchange : stitcher.completed()) {
    const otelbpf::Span span = dns::BuildDnsSpan(exchange, info, 1);
    Check(span.end_time_unix_nano >= span.start_time_unix_nano);
  }
  stitcher.completed().clear();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t mode = data[0];
  const bool tcp = (mode & 1) != 0;
  dns::MatcherOptions options;
  options.max_pending = 1 + ((mode >> 1) & 7) * 9;
  options.timeout_ns = (1 + (mode >> 4)) * kSecond;
  dns::SocketStitcher stitcher(tcp ? dns::Transport::kTcp : dns::Transport::kUdp, options);
  otelbpf::ConnectionInfo info;
  info.peer = otelbpf::Endpoint{"10.0.0.53", 53};

  size_t pos = 1;
  uint64_t now = 1;
  while (pos + 2 <= size) {
    const uint8_t control = data[pos];
    const size_t length = std::min<size_t>(data[pos + 1], size - pos - 2);
    const std::string_view piece(reinterpret_cast<const char*>(data + pos + 2), length);
    pos += 2 + length;

    CheckParse(piece);
    now += ((control >> 3) & 7) * kSecond;
    const auto direction = (control & 1) ? dns::Direction::kSend : dns::Direction::kRecv;
    const uint64_t gap = kGapSizes[(control >> 1) & 3];
    stitcher.OnData(direction, piece, piece.size() + gap, now, now + 1);
    now += 2;
    if (control & 0x40) stitcher.Expire(now);
    Check(stitcher.matcher().pending() <= options.max_pending);
    Drain(stitcher, info);
  }
  stitcher.OnClose(now);
  Check(stitcher.matcher().pending() == 0);
  Drain(stitcher, info);
  return 0;
}
