// libFuzzer target: arbitrary bytes as the two directions of one MySQL / MariaDB connection, cut
// into syscall-sized pieces with capture gaps, drained into spans as it goes; every piece is also
// parsed on its own by each message parser.
//
// Input: one mode byte, then records [control][length][length bytes]. Mode: bits 0-1 the role
// (0 unknown, 1 client, 2 server, 3 unknown), bit 2 joined midstream, bit 3 raw query text, bit
// 4 close with reset. Control: bit 0 direction (1 = sent), bits 1-2 a capture gap after the bytes
// (none, 3, 300, 64 KiB), bit 3 drain after the piece. Seeds in corpus/mysql/ follow this layout.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "protocols/common/protocol.h"
#include "protocols/mysql/command.h"
#include "protocols/mysql/connection_parser.h"
#include "protocols/mysql/constants.h"
#include "protocols/mysql/double_quoted_strings.h"
#include "protocols/mysql/handshake.h"
#include "protocols/mysql/resync.h"
#include "protocols/mysql/server_packets.h"
#include "trace/span.h"

namespace mysql = otelbpf::mysql;
using otelbpf::ConnectionRole;

namespace {

constexpr uint64_t kGapSizes[] = {0, 3, 300, 65536};

void Check(bool invariant) {
  if (!invariant) std::abort();
}

void CheckParsers(std::string_view bytes) {
  mysql::ParseGreeting(bytes);
  if (const auto r = mysql::ParseHandshakeResponse(bytes); r && r->database)
    Check(r->database->size() <= bytes.size());
  mysql::ChangeUserDatabase(bytes, std::nullopt);
  if (const auto request = mysql::ParseRequest(bytes, std::nullopt))
    Check(request->text.size() < bytes.size());
  mysql::ParseOk(bytes, std::nullopt);
  mysql::ParseErrorCode(bytes);
  mysql::ParseEofStatus(bytes);
  mysql::PlausibleGreetingStart(bytes, bytes.size());
  mysql::PlausibleCommandStart(bytes, bytes.size());
  mysql::PlausibleResponseStart(bytes, bytes.size(), 1, mysql::ResponseShape::kGeneric);
  const size_t at = mysql::FindCommandEndingPiece(bytes, bytes.size(), 0);
  Check(at == std::string_view::npos || at < bytes.size());
  // Masking only ever shortens the text, and leaves no double-quoted string behind.
  Check(mysql::MaskDoubleQuotedStrings(bytes).size() <= bytes.size());
}

struct Drained {
  uint64_t next_index = 0;
};

void Drain(otelbpf::ConnectionParser& parser, const otelbpf::ConnectionInfo& info,
           const otelbpf::SpanBuildOptions& options, Drained& drained) {
  std::vector<otelbpf::ExchangeSpan> spans;
  parser.Drain(info, options, spans);
  for (const otelbpf::ExchangeSpan& s : spans) {
    Check(s.span.end_time_unix_nano >= s.span.start_time_unix_nano);
    Check(s.last_byte_ns >= s.first_byte_ns);
    Check(s.span.family == otelbpf::SemanticFamily::kDb);
    Check(!s.span.name.empty());
    const otelbpf::AttributeValue* system =
        otelbpf::FindAttribute(s.span.attributes, "db.system.name");
    Check(system != nullptr);
    const std::string& name = std::get<std::string>(*system);
    Check(name == "mysql" || name == "mariadb");
    // Calls are numbered in order, each once.
    Check(s.origin.exchange_index.has_value() && *s.origin.exchange_index == drained.next_index);
    ++drained.next_index;
    if (const auto* text = otelbpf::FindAttribute(s.span.attributes, "db.query.text"))
      Check(std::get<std::string>(*text).size() <= 2 * mysql::kMaxStatementTextBytes);
  }
}

void CheckBounds(const mysql::MysqlConnectionParser& parser) {
  Check(parser.session().pending() <= mysql::kMaxPendingCommands);
  Check(parser.session().prepared_statements() <= mysql::kMaxPreparedStatements);
  Check(parser.session().completed().size() <= mysql::kMaxCompletedCalls);
  Check(parser.session().namespace_name().size() <= mysql::kMaxNamespaceBytes);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t mode = data[0];
  otelbpf::ParserSetup setup;
  const uint8_t role = mode & 3;
  setup.role = role == 1   ? ConnectionRole::kClient
               : role == 2 ? ConnectionRole::kServer
                           : ConnectionRole::kUnknown;
  setup.learned_midstream = (mode & 4) != 0;
  otelbpf::SpanBuildOptions options;
  options.raw_query_text = (mode & 8) != 0;
  const bool reset = (mode & 16) != 0;

  mysql::MysqlConnectionParser parser(setup);
  otelbpf::ConnectionInfo info;
  info.role = setup.role;
  info.peer = otelbpf::Endpoint{"10.0.0.5", 3306};
  info.local = otelbpf::Endpoint{"10.0.0.1", 40000};
  Drained drained;

  size_t pos = 1;
  uint64_t now = 1;
  while (pos + 2 <= size) {
    const uint8_t control = data[pos];
    const size_t length = std::min<size_t>(data[pos + 1], size - pos - 2);
    const std::string_view bytes(reinterpret_cast<const char*>(data + pos + 2), length);
    pos += 2 + length;

    CheckParsers(bytes);
    otelbpf::Piece piece;
    piece.direction = (control & 1) ? otelbpf::Direction::kSend : otelbpf::Direction::kRecv;
    piece.bytes = bytes;
    piece.length = bytes.size() + kGapSizes[(control >> 1) & 3];
    piece.start_ns = now;
    piece.end_ns = now + 1;
    piece.tid = 1 + (control >> 4);
    parser.OnData(piece);
    now += 2;
    CheckBounds(parser);
    if (setup.role != ConnectionRole::kUnknown) Check(parser.role() == setup.role);
    if (control & 8) Drain(parser, info, options, drained);
  }
  parser.OnClose(now, reset);
  Check(parser.session().pending() == 0);
  Drain(parser, info, options, drained);
  Check(parser.session().completed().empty());
  return 0;
}
