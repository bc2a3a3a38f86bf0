// libFuzzer target: arbitrary bytes as the two directions of a Redis connection, cut into
// syscall-sized pieces with capture gaps and time passing, through RedisParser; every completed
// operation is built into a span and checked.
//
// Input: one mode byte, then records [control][length][length bytes]. Mode: bits 0-1 the role
// given by the tracker (0 unknown, 1 server, 2 client, 3 unknown), bit 2 learned mid-stream,
// bit 3 raw query text, bit 4 the connection ends reset. Control: bit 0 direction (1 = sent by
// the observed process), bits 1-2 a capture gap after the bytes (none, small, medium, 64 KiB),
// bits 3-5 seconds that pass before the piece, bit 6 an Expire() after it. Seeds in
// corpus/redis/ follow this layout.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "protocols/common/protocol.h"
#include "protocols/redis/command.h"
#include "protocols/redis/connection_parser.h"
#include "protocols/redis/matcher.h"
#include "protocols/redis/resp_framer.h"
#include "trace/span.h"

namespace redis = otelbpf::redis;
using otelbpf::ConnectionRole;

namespace {

constexpr uint64_t kSecond = 1'000'000'000;
constexpr uint64_t kGapSizes[] = {0, 3, 300, 65536};

void Check(bool invariant) {
  if (!invariant) std::abort();
}

std::string StringAttribute(const otelbpf::Span& span, std::string_view key) {
  const otelbpf::AttributeValue* value = otelbpf::FindAttribute(span.attributes, key);
  if (!value) return {};
  Check(std::holds_alternative<std::string>(*value));
  return std::get<std::string>(*value);
}

// A query text whose arguments are all "?" (or cut to " ...").
bool OnlyPlaceholders(std::string_view text, std::string_view operation) {
  if (text.substr(0, operation.size()) != operation) return false;
  std::string_view rest = text.substr(operation.size());
  while (!rest.empty()) {
    if (rest == " ...") return true;
    if (rest.substr(0, 2) != " ?") return false;
    rest.remove_prefix(2);
  }
  return true;
}

struct Drained {
  uint64_t next_index = 0;
};

void Drain(redis::RedisParser& parser, const otelbpf::ConnectionInfo& info, bool raw,
           Drained& drained) {
  std::vector<otelbpf::ExchangeSpan> spans;
  otelbpf::SpanBuildOptions options;
  options.raw_query_text = raw;
  parser.Drain(info, options, spans);
  if (info.role == ConnectionRole::kUnknown && parser.role() == ConnectionRole::kUnknown) {
    Check(spans.empty());
  }
  for (const otelbpf::ExchangeSpan& x : spans) {
    const otelbpf::Span& span = x.span;
    Check(span.end_time_unix_nano >= span.start_time_unix_nano);
    Check(x.last_byte_ns >= x.first_byte_ns);
    Check(x.origin.exchange_index == drained.next_index++);
    Check(span.family == otelbpf::SemanticFamily::kDb);
    Check(StringAttribute(span, "db.system.name") == "redis");
    const std::string operation = StringAttribute(span, "db.operation.name");
    Check(!operation.empty() && operation.size() <= 2 * redis::kMaxOperationBytes + 1);
    const std::string text = StringAttribute(span, "db.query.text");
    Check(text.size() <= redis::kMaxQueryTextBytes + 4);
    // Attribute text stays printable: keys are escaped.
    for (char c : text) Check(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f);
    // Passwords never leave, raw or not.
    if (operation == "AUTH" || operation == "HELLO" || !raw) {
      Check(OnlyPlaceholders(text, operation));
    }
    const std::string error = StringAttribute(span, "error.type");
    Check(error.empty() == (span.status != otelbpf::StatusCode::kError));
    Check(error.size() <= 32 || error == "connection_reset");
    Check(otelbpf::FindAttribute(span.attributes, "db.response.returned_rows") == nullptr);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t mode = data[0];
  static constexpr ConnectionRole kRoles[] = {ConnectionRole::kUnknown, ConnectionRole::kServer,
                                              ConnectionRole::kClient, ConnectionRole::kUnknown};
  otelbpf::ParserSetup setup;
  setup.role = kRoles[mode & 3];
  setup.learned_midstream = (mode & 4) != 0;
  const bool raw = (mode & 8) != 0;
  const bool reset = (mode & 16) != 0;
  redis::RedisParser parser(setup);
  otelbpf::ConnectionInfo info;
  info.role = setup.role;
  info.peer = otelbpf::Endpoint{"10.0.0.7", 6379};
  Drained drained;

  size_t pos = 1;
  uint64_t now = 1;
  while (pos + 2 <= size) {
    const uint8_t control = data[pos];
    const size_t length = std::min<size_t>(data[pos + 1], size - pos - 2);
    const std::string_view bytes(reinterpret_cast<const char*>(data + pos + 2), length);
    pos += 2 + length;

    // The resynchronisation probe must hold on any bytes.
    redis::PlausibleMessageStart(bytes, redis::StreamKind::kUnknown);
    now += ((control >> 3) & 7) * kSecond;
    otelbpf::Piece piece;
    piece.direction = (control & 1) ? otelbpf::Direction::kSend : otelbpf::Direction::kRecv;
    piece.bytes = bytes;
    piece.length = bytes.size() + kGapSizes[(control >> 1) & 3];
    piece.start_ns = now;
    piece.end_ns = now + 1;
    piece.tid = static_cast<uint32_t>(pos);
    parser.OnData(piece);
    now += 2;
    if (control & 0x40) parser.Expire(now);
    Check(parser.matcher().pending() <= redis::kMaxPendingCommands);
    Drain(parser, info, raw, drained);
  }
  parser.OnClose(now, reset);
  Check(parser.matcher().pending() == 0);
  Drain(parser, info, raw, drained);
  return 0;
}
