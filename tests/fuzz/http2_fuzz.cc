// libFuzzer target: arbitrary bytes as the two directions of an HTTP/2 connection, cut into
// syscall-sized pieces with capture gaps and time passing, through Http2Parser (frames, header
// blocks, HPACK with its dynamic tables, streams); every completed stream is built into a span
// and checked. The same records also go, as header blocks, straight into two HPACK decoders,
// so the fuzzer reaches the decoder without having to build frames first.
//
// Input: as db_fuzz_harness.h lays it out. Mode byte: bits 0-1 the role, bit 2 learned
// mid-stream, bit 3 TLS, bit 4 the connection ends reset. Seeds in corpus/http2/ follow this
// layout.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "db_fuzz_harness.h"
#include "protocols/common/protocol.h"
#include "protocols/http2/connection_parser.h"
#include "protocols/http2/exchange.h"
#include "protocols/http2/hpack_decoder.h"
#include "protocols/http2/huffman.h"
#include "trace/span.h"

namespace http2 = otelbpf::http2;
using otelbpf::ConnectionRole;
using otelbpf::SemanticFamily;
using otelbpf::fuzz::Check;
using otelbpf::fuzz::StringAttribute;

namespace {

// Values copied from header fields are bounded by the per-stream budget (plus what the
// builders add around them: a scheme and an authority for url.full, "_OTHER" and the like).
constexpr size_t kMaxAttributeBytes = 3 * http2::kMaxStoredHeadBytes;

void CheckTable(const http2::HpackDecoder& decoder) {
  const http2::DynamicTable& table = decoder.table();
  Check(table.max_size() <= http2::kMaxObservedTableSize);
  Check(table.entry_count() <= http2::kMaxObservedTableSize / http2::kEntryOverhead);
}

void Drain(http2::Http2Parser& parser, const otelbpf::ConnectionInfo& info) {
  std::vector<otelbpf::ExchangeSpan> spans;
  parser.Drain(info, otelbpf::SpanBuildOptions{}, spans);
  if (info.role == ConnectionRole::kUnknown && parser.role() == ConnectionRole::kUnknown) {
    Check(spans.empty());
  }
  for (const otelbpf::ExchangeSpan& x : spans) {
    const otelbpf::Span& span = x.span;
    Check(span.end_time_unix_nano >= span.start_time_unix_nano);
    Check(x.last_byte_ns >= x.first_byte_ns);
    // Streams are multiplexed: the position claimed is the stream id (odd: client-initiated),
    // never a TCP sequence number.
    Check(x.origin.exchange_index.has_value() && (*x.origin.exchange_index & 1) == 1 &&
          !x.origin.request_tcp_seq.has_value());
    Check(StringAttribute(span, "error.type").empty() ==
          (span.status != otelbpf::StatusCode::kError));
    if (span.family == SemanticFamily::kRpc) {
      Check(StringAttribute(span, "rpc.system.name") == "grpc");
      Check(!StringAttribute(span, "rpc.method").empty());
    } else {
      Check(span.family == SemanticFamily::kHttp);
      Check(!StringAttribute(span, "http.request.method").empty());
      Check(StringAttribute(span, "network.protocol.version") == "2");
    }
    for (const otelbpf::Attribute& a : span.attributes) {
      if (const auto* s = std::get_if<std::string>(&a.value)) {
        Check(s->size() <= kMaxAttributeBytes);
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t mode = data[0];
  const otelbpf::ParserSetup setup = otelbpf::fuzz::SetupFromMode(mode);
  http2::Http2Parser parser(setup);
  otelbpf::ConnectionInfo info;
  info.role = setup.role;
  info.tls = (mode & 8) != 0;
  info.peer = otelbpf::Endpoint{"10.0.0.7", 443};
  // Header blocks straight to HPACK: one decoder per direction, as a connection has.
  http2::HpackDecoder decoders[2] = {http2::HpackDecoder(setup.learned_midstream),
                                     http2::HpackDecoder(setup.learned_midstream)};
  std::vector<http2::HeaderField> fields;
  std::string huffman;

  otelbpf::fuzz::PieceRecords records(data, size);
  otelbpf::Piece piece;
  while (records.Next(piece)) {
    parser.OnData(piece);
    if (records.expire_after()) parser.Expire(records.now());
    Check(parser.open_streams() <= http2::kMaxOpenStreams);
    Drain(parser, info);
    CheckTable(parser.decoder(otelbpf::Direction::kRecv));
    CheckTable(parser.decoder(otelbpf::Direction::kSend));

    http2::HpackDecoder& decoder = decoders[static_cast<size_t>(piece.direction)];
    if (!decoder.failed()) decoder.OnTableSizeSetting(static_cast<uint32_t>(piece.length) * 64);
    if (decoder.Decode(piece.bytes, fields)) {
      Check(fields.size() <= http2::kMaxFieldsPerBlock);
      for (const http2::HeaderField& f : fields) Check(!f.unknown || f.name.empty());
    }
    CheckTable(decoder);
    huffman.clear();
    // Every code is at least 5 bits long.
    if (http2::HuffmanDecode(piece.bytes, huffman)) {
      Check(huffman.size() <= 8 * piece.bytes.size() / 5);
    }
  }
  parser.OnClose(records.now(), (mode & 16) != 0);
  Check(parser.open_streams() == 0);
  Drain(parser, info);
  return 0;
}
