// libFuzzer target: arbitrary bytes as both directions of one PostgreSQL connection, cut into
// syscall-sized pieces with capture gaps and time passing, fed to the protocol's
// ConnectionParser (framing, resync, startup and encryption requests, matching, statement
// cache) and drained into spans; every piece is also run through sql::Sanitize and
// sql::Describe as if it were a statement.
//
// Input: one mode byte, then records [control][length: 2 bytes, big-endian][length bytes].
// Mode: bits 0-1 the role given at setup (0 unknown, 1 server, 2-3 client), bit 2 the connection
// was learned mid-stream, bit 3 raw query text, bit 4 the close is a reset. Control: bit 0
// direction (1 = sent), bits 1-2 a capture gap after the bytes (none, 3, 300, 64 KiB), bits 3-5
// seconds that pass before the piece, bit 6 a Drain() after it, bit 7 the piece is also given
// to the SQL text functions. Seeds in corpus/postgresql/ follow this layout.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "http_capture.h"
#include "protocols/common/protocol.h"
#include "protocols/common/sql_text.h"

namespace otelbpf::postgresql {
extern const Protocol kProtocol;
}

namespace {

using namespace otelbpf;

constexpr uint64_t kSecond = 1'000'000'000;
constexpr uint64_t kGapSizes[] = {0, 3, 300, 65536};

void Check(bool invariant) {
  if (!invariant) std::abort();
}

bool ValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t n = 0;
    uint32_t cp = 0;
    uint32_t min = 0;
    if (c >= 0xc2 && c <= 0xdf) {
      n = 1, cp = c & 0x1f, min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
      n = 2, cp = c & 0x0f, min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3, cp = c & 0x07, min = 0x10000;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;
    for (size_t k = 1; k <= n; ++k) {
      const auto d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += n + 1;
  }
  return true;
}

void CheckSqlText(std::string_view text, size_t max_bytes) {
  const std::string sanitized = sql::Sanitize(text, max_bytes);
  Check(sanitized.size() <= max_bytes);
  Check(ValidUtf8(sanitized));
  const bool cut = sanitized.size() >= 3 && sanitized.compare(sanitized.size() - 3, 3, "...") == 0;
  // Sanitizing is idempotent: "?" and every kept token read back as themselves.
  if (!cut && sanitized.size() + 16 < max_bytes)
    Check(sql::Sanitize(sanitized, max_bytes) == sanitized);
  const sql::Shape shape = sql::Describe(text);
  Check(shape.summary.size() <= 255);
  Check(ValidUtf8(shape.summary) && ValidUtf8(shape.collection) && ValidUtf8(shape.operation));
  for (char c : shape.operation) Check((c >= 'A' && c <= 'Z') || c == '_');
  if (!shape.collection.empty()) Check(shape.summary.find(shape.collection) != std::string::npos);
  if (!shape.operation.empty()) Check(!shape.summary.empty());
}

void CheckSpans(const std::vector<ExchangeSpan>& spans, ConnectionRole role, int64_t& last_index) {
  for (const ExchangeSpan& x : spans) {
    const Span& span = x.span;
    Check(span.end_time_unix_nano >= span.start_time_unix_nano);
    Check(x.last_byte_ns >= x.first_byte_ns);
    Check(span.family == SemanticFamily::kDb);
    Check(span.kind == (role == ConnectionRole::kServer ? SpanKind::kServer : SpanKind::kClient));
    Check(x.origin.exchange_index.has_value());
    Check(static_cast<int64_t>(*x.origin.exchange_index) > last_index);
    last_index = static_cast<int64_t>(*x.origin.exchange_index);
    const AttributeValue* system = FindAttribute(span.attributes, "db.system.name");
    Check(system && std::get<std::string>(*system) == "postgresql");
    Check((span.status == StatusCode::kError) ==
          (FindAttribute(span.attributes, "error.type") != nullptr));
    Check(!span.name.empty() && ValidUtf8(span.name));
    for (const Attribute& a : span.attributes) {
      if (const auto* s = std::get_if<std::string>(&a.value)) Check(ValidUtf8(*s));
    }
    if (const AttributeValue* text = FindAttribute(span.attributes, "db.query.text")) {
      Check(std::get<std::string>(*text).size() <= 2048);
    }
    if (const AttributeValue* summary = FindAttribute(span.attributes, "db.query.summary")) {
      Check(std::get<std::string>(*summary).size() <= 255);
    }
    if (const AttributeValue* rows = FindAttribute(span.attributes, "db.response.returned_rows")) {
      Check(std::get<int64_t>(*rows) >= 0);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t mode = data[0];
  ParserSetup setup;
  const uint8_t role_bits = mode & 3;
  setup.role = role_bits == 0   ? ConnectionRole::kUnknown
               : role_bits == 1 ? ConnectionRole::kServer
                                : ConnectionRole::kClient;
  setup.learned_midstream = (mode & 4) != 0;
  SpanBuildOptions options;
  options.raw_query_text = (mode & 8) != 0;
  options.monotonic_to_realtime_ns = 0;
  const bool reset = (mode & 16) != 0;

  std::unique_ptr<ConnectionParser> parser = postgresql::kProtocol.make_parser(setup);
  ConnectionInfo info;
  info.role = setup.role;
  info.local = Endpoint{"10.0.0.2", 40000};
  info.peer = Endpoint{"10.0.0.5", 5432};

  int64_t last_index = -1;
  ParserCounters before;
  std::vector<ExchangeSpan> spans;
  auto drain = [&] {
    spans.clear();
    parser->Drain(info, options, spans);
    const ConnectionRole role = info.role != ConnectionRole::kUnknown ? info.role : parser->role();
    if (!spans.empty()) Check(role != ConnectionRole::kUnknown);
    CheckSpans(spans, role, last_index);
  };

  size_t pos = 1;
  uint64_t now = 1;
  while (pos + 3 <= size) {
    const uint8_t control = data[pos];
    const size_t length =
        std::min<size_t>((size_t{data[pos + 1]} << 8) | data[pos + 2], size - pos - 3);
    const std::string_view bytes(reinterpret_cast<const char*>(data + pos + 3), length);
    pos += 3 + length;

    if (control & 0x80) CheckSqlText(bytes, 16 + (control & 0x3f) * 40);
    now += ((control >> 3) & 7) * kSecond;
    Piece piece;
    piece.direction = (control & 1) ? Direction::kSend : Direction::kRecv;
    piece.bytes = bytes;
    piece.length = bytes.size() + kGapSizes[(control >> 1) & 3];
    piece.start_ns = now;
    piece.end_ns = now + 1;
    piece.tid = 7;
    parser->OnData(piece);
    now += 2;

    // Counters only grow; a role once revealed stays.
    const ParserCounters after = parser->counters();
    Check(after.parse_errors >= before.parse_errors);
    Check(after.unmatched_responses >= before.unmatched_responses);
    Check(after.dropped_requests >= before.dropped_requests);
    Check(after.unknown_statements >= before.unknown_statements);
    before = after;
    if (setup.role != ConnectionRole::kUnknown) Check(parser->role() == setup.role);
    if (control & 0x40) drain();
  }
  parser->OnClose(now, reset);
  drain();
  // Nothing is left pending after a close.
  parser->OnClose(now + 1, reset);
  spans.clear();
  parser->Drain(info, options, spans);
  Check(spans.empty());
  return 0;
}
