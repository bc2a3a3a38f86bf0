// libFuzzer target: arbitrary bytes as the two directions of a memcached connection, cut into
// syscall-sized pieces with capture gaps and time passing, through MemcachedParser; every
// completed operation is built into a span and checked.
//
// Input: as db_fuzz_harness.h lays it out. Mode byte: bits 0-1 the role, bit 2 learned
// mid-stream, bit 3 UDP, bit 4 the connection ends reset. Seeds in corpus/memcached/ follow this
// layout.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "db_fuzz_harness.h"
#include "protocols/common/protocol.h"
#include "protocols/memcached/connection_parser.h"
#include "protocols/memcached/matcher.h"
#include "protocols/memcached/text_framer.h"
#include "trace/span.h"

namespace memcached = otelbpf::memcached;
using otelbpf::fuzz::Check;
using otelbpf::fuzz::StringAttribute;

namespace {

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
    otelbpf::fuzz::CheckDbSpan(x, "memcached", next_index);
    const otelbpf::Span& span = x.span;
    const std::string operation = StringAttribute(span, "db.operation.name");
    Check(IsCommandName(operation));
    // The command name only: never a key or a value, whatever the options.
    Check(StringAttribute(span, "db.query.text") == operation);
    const std::string error = StringAttribute(span, "error.type");
    Check(error.empty() || error == "ERROR" || error == "CLIENT_ERROR" || error == "SERVER_ERROR" ||
          error == "connection_reset");
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
  otelbpf::ParserSetup setup;
  setup.role = otelbpf::fuzz::RoleFromMode(mode);
  setup.learned_midstream = (mode & 4) != 0;
  setup.transport = (mode & 8) ? otelbpf::Transport::kUdp : otelbpf::Transport::kTcp;
  const bool reset = (mode & 16) != 0;
  memcached::MemcachedParser parser(setup);
  otelbpf::ConnectionInfo info;
  info.role = setup.role;
  info.peer = otelbpf::Endpoint{"10.0.0.9", 11211};
  uint64_t next_index = 0;

  otelbpf::fuzz::PieceRecords records(data, size);
  otelbpf::Piece piece;
  while (records.Next(piece)) {
    memcached::PlausibleLineStart(piece.bytes, memcached::StreamKind::kUnknown);
    const bool was_abandoned = parser.abandoned();
    parser.OnData(piece);
    if (records.expire_after()) parser.Expire(records.now());
    Check(parser.matcher().pending() <= memcached::kMaxPendingRequests);
    if (was_abandoned) Check(parser.abandoned());  // for good
    Drain(parser, info, next_index);
  }
  parser.OnClose(records.now(), reset);
  Check(parser.matcher().pending() == 0);
  Drain(parser, info, next_index);
  return 0;
}
