// libFuzzer target: arbitrary bytes as the two directions of a memcached connection, cut into
// syscall-sized pieces with capture gaps and time passing, through MemcachedParser; every
// completed operation is built into a span and checked.
//
// Input: one mode byte, then records [control][length][length bytes]. Mode: bits 0-1 the role
// given by the tracker (0 unknown, 1 server, 2 client, 3 unknown), bit 2 learned mid-stream,
// bit 3 UDP, bit 4 the connection ends reset. Control: bit 0 direction (1 = sent by the observed
// process), bits 1-2 a capture gap after the bytes (none, small, medium, 64 KiB), bits 3-5
// seconds that pass before the piece, bit 6 an Expire() after it. Seeds in corpus/memcached/
// follow this layout.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "protocols/common/protocol.h"
#include "protocols/memcached/connection_parser.h"
#include "protocols/memcached/matcher.h"
#include "protocols/memcached/text_framer.h"
#include "trace/span.h"

namespace memcached = otelbpf::memcached;
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

bool IsCommandName(std::string_view name) {
  if (name.empty() || name.size() > memcached::kMaxWordBytes) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

void Drain(memcached::MemcachedParser& parser, const otelbpf::ConnectionInfo& info,
           uint64_t& next_index) {
  std::vector<otelbpf::ExchangeSpan> spans;
  otelbpf::SpanBuildOptions options;
  options.raw_query_text = true;
  parser.Drain(info, options, spans);
  for (const otelbpf::ExchangeSpan& x : spans) {
    const otelbpf::Span& span = x.span;
    Check(span.end_time_unix_nano >= span.start_time_unix_nano);
    Check(x.origin.exchange_index == next_index++);
    Check(StringAttribute(span, "db.system.name") == "memcached");
    const std::string operation = StringAttribute(span, "db.operation.name");
    Check(IsCommandName(operation));
    // The command name only: never a key or a value, whatever the options.
    Check(StringAttribute(span, "db.query.text") == operation);
    const std::string error = StringAttribute(span, "error.type");
    Check(error.empty() || error == "ERROR" || error == "CLIENT_ERROR" || error == "SERVER_ERROR" ||
          error == "connection_reset");
    Check(error.empty() == (span.status != otelbpf::StatusCode::kError));
    const otelbpf::AttributeValue* rows =
        otelbpf::FindAttribute(span.attributes, "db.response.returned_rows");
    if (rows) {
      Check(operation == "get" || operation == "gets" || operation == "gat" || operation == "gats");
      Check(std::get<int64_t>(*rows) >= 0);
    }
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
  setup.transport = (mode & 8) ? otelbpf::Transport::kUdp : otelbpf::Transport::kTcp;
  const bool reset = (mode & 16) != 0;
  memcached::MemcachedParser parser(setup);
  otelbpf::ConnectionInfo info;
  info.role = setup.role;
  info.peer = otelbpf::Endpoint{"10.0.0.9", 11211};
  uint64_t next_index = 0;

  size_t pos = 1;
  uint64_t now = 1;
  while (pos + 2 <= size) {
    const uint8_t control = data[pos];
    const size_t length = std::min<size_t>(data[pos + 1], size - pos - 2);
    const std::string_view bytes(reinterpret_cast<const char*>(data + pos + 2), length);
    pos += 2 + length;

    memcached::PlausibleLineStart(bytes, memcached::StreamKind::kUnknown);
    now += ((control >> 3) & 7) * kSecond;
    otelbpf::Piece piece;
    piece.direction = (control & 1) ? otelbpf::Direction::kSend : otelbpf::Direction::kRecv;
    piece.bytes = bytes;
    piece.length = bytes.size() + kGapSizes[(control >> 1) & 3];
    piece.start_ns = now;
    piece.end_ns = now + 1;
    piece.tid = static_cast<uint32_t>(pos);
    const bool was_abandoned = parser.abandoned();
    parser.OnData(piece);
    now += 2;
    if (control & 0x40) parser.Expire(now);
    Check(parser.matcher().pending() <= memcached::kMaxPendingRequests);
    if (was_abandoned) Check(parser.abandoned());  // for good
    Drain(parser, info, next_index);
  }
  parser.OnClose(now, reset);
  Check(parser.matcher().pending() == 0);
  Drain(parser, info, next_index);
  return 0;
}
