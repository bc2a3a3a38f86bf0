// libFuzzer target: arbitrary bytes as the two directions of a Redis connection, cut into
// syscall-sized pieces with capture gaps and time passing, through RedisParser; every completed
// operation is built into a span and checked.
//
// Input: as db_fuzz_harness.h lays it out. Mode byte: bits 0-1 the role, bit 2 learned
// mid-stream, bit 3 raw query text, bit 4 the connection ends reset. Seeds in corpus/redis/
// follow this layout.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "db_fuzz_harness.h"
#include "protocols/common/protocol.h"
#include "protocols/redis/command.h"
#include "protocols/redis/connection_parser.h"
#include "protocols/redis/matcher.h"
#include "protocols/redis/resp_framer.h"
#include "trace/span.h"

namespace redis = otelbpf::redis;
using otelbpf::ConnectionRole;
using otelbpf::fuzz::Check;
using otelbpf::fuzz::StringAttribute;

namespace {

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

void Drain(redis::RedisParser& parser, const otelbpf::ConnectionInfo& info, bool raw,
           uint64_t& next_index) {
  std::vector<otelbpf::ExchangeSpan> spans;
  otelbpf::SpanBuildOptions options;
  options.raw_query_text = raw;
  parser.Drain(info, options, spans);
  if (info.role == ConnectionRole::kUnknown && parser.role() == ConnectionRole::kUnknown) {
    Check(spans.empty());
  }
  for (const otelbpf::ExchangeSpan& x : spans) {
    otelbpf::fuzz::CheckDbSpan(x, "redis", next_index);
    const otelbpf::Span& span = x.span;
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
    Check(error.size() <= 32 || error == "connection_reset");
    Check(otelbpf::FindAttribute(span.attributes, "db.response.returned_rows") == nullptr);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t mode = data[0];
  otelbpf::ParserSetup setup;
  setup.role = otelbpf::fuzz::RoleFromMode(mode);
  setup.learned_midstream = (mode & 4) != 0;
  const bool raw = (mode & 8) != 0;
  const bool reset = (mode & 16) != 0;
  redis::RedisParser parser(setup);
  otelbpf::ConnectionInfo info;
  info.role = setup.role;
  info.peer = otelbpf::Endpoint{"10.0.0.7", 6379};
  uint64_t next_index = 0;

  otelbpf::fuzz::PieceRecords records(data, size);
  otelbpf::Piece piece;
  while (records.Next(piece)) {
    // The resynchronisation probe must hold on any bytes.
    redis::PlausibleMessageStart(piece.bytes, redis::StreamKind::kUnknown);
    parser.OnData(piece);
    if (records.expire_after()) parser.Expire(records.now());
    Check(parser.matcher().pending() <= redis::kMaxPendingCommands);
    Drain(parser, info, raw, next_index);
  }
  parser.OnClose(records.now(), reset);
  Check(parser.matcher().pending() == 0);
  Drain(parser, info, raw, next_index);
  return 0;
}
