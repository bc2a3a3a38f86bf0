#include "protocols/http2/connection_parser.h"

#include <algorithm>
#include <utility>

#include "protocols/common/request_direction.h"
#include "protocols/http2/heads.h"
#include "protocols/http2/span_builder.h"

namespace otelbpf::http2 {
namespace {

// SETTINGS parameters (RFC 9113 section 6.5.2) the observer needs.
constexpr uint16_t kSettingsHeaderTableSize = 0x1;
constexpr uint16_t kSettingsMaxFrameSize = 0x5;
constexpr size_t kSettingSize = 6;
// An RST_STREAM whose error code was not captured.
constexpr uint32_t kUnknownErrorCode = 0xffffffffu;

uint32_t ReadU32(std::string_view bytes, size_t at) {
  uint32_t v = 0;
  for (size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<uint8_t>(bytes[at + i]);
  return v;
}

uint16_t ReadU16(std::string_view bytes, size_t at) {
  return static_cast<uint16_t>((static_cast<uint8_t>(bytes[at]) << 8) |
                               static_cast<uint8_t>(bytes[at + 1]));
}

// DATA payload octets that are body: without the pad length field and the padding.
uint64_t BodyBytes(const Frame& frame) {
  uint64_t body = frame.header.length;
  if (!frame.header.has(kFlagPadded)) return body;
  const uint64_t padding =
      1 + (frame.payload.empty() ? 0 : static_cast<uint8_t>(frame.payload.front()));
  return body - std::min(body, padding);
}

}  // namespace

Http2Parser::Http2Parser(const ParserSetup& setup)
    : sides_{Side(!setup.learned_midstream), Side(!setup.learned_midstream)} {
  role_ = setup.role;
  if (setup.switched_from && setup.switched_from->request) {
    OpenUpgradedStream(*setup.switched_from->request);
  }
}

void Http2Parser::OpenUpgradedStream(const ProtocolSwitch::Request& request) {
  // RFC 7540 section 3.2: the request that asked for h2c is stream 1, half-closed by the client
  // (its request is complete); the server answers it with HTTP/2 frames on that stream.
  constexpr uint32_t kUpgradedStream = 1;
  fields_.clear();
  for (const auto& [name, value] : request.fields) fields_.push_back(HeaderField{name, value});
  OpenStream& stream = streams_.Open(kUpgradedStream);
  last_request_stream_ = kUpgradedStream;
  Exchange& x = stream.exchange;
  x.first_byte_ns = request.first_byte_ns;
  x.last_byte_ns = request.last_byte_ns;
  x.tid = request.tid;
  stream.request_known = true;
  stream.last_activity_ns = request.last_byte_ns;
  ApplyRequestFields(fields_, x.request);
  fields_.clear();
}

Direction Http2Parser::RequestDirection() const { return roles::RequestDirection(role_); }

void Http2Parser::OnData(const Piece& piece) {
  if (closed_) return;
  Side& s = side(piece.direction);
  s.reader.OnData(piece);
  for (FrameEvent& event : s.reader.events()) OnEvent(piece.direction, event);
  s.reader.events().clear();
  if (!sides_[0].reader.recognized_any() && !sides_[1].reader.recognized_any()) {
    ++pieces_unrecognized_;
  }
}

void Http2Parser::OnEvent(Direction d, FrameEvent& event) {
  switch (event.kind) {
    case FrameEvent::Kind::kPreface:
      if (role_ == ConnectionRole::kUnknown) role_ = roles::RoleSendingRequests(d);
      break;
    case FrameEvent::Kind::kSyncLost:
      // Whatever was skipped may have held header blocks: their insertions are unknown.
      blocks_.clear();
      side(d).blocks.OnSyncLost(blocks_);
      if (blocks_.empty()) side(d).hpack.OnBlockLost();
      for (const HeaderBlock& block : blocks_) OnHeaderBlock(d, block);
      blocks_.clear();
      break;
    case FrameEvent::Kind::kFrame:
      OnFrame(d, event.frame);
      break;
  }
  Finish(ended_);
}

void Http2Parser::OnFrame(Direction d, Frame& frame) {
  blocks_.clear();
  side(d).blocks.OnFrame(frame, blocks_);
  for (const HeaderBlock& block : blocks_) OnHeaderBlock(d, block);
  blocks_.clear();
  const FrameHeader& h = frame.header;
  if (h.is(FrameType::kData)) {
    OnData(d, frame);
  } else if (h.is(FrameType::kRstStream)) {
    if (OpenStream* stream = streams_.Find(h.stream_id)) {
      stream->exchange.reset_code =
          frame.payload.size() == 4 ? ReadU32(frame.payload, 0) : kUnknownErrorCode;
      End(*stream, StreamEnd::kReset, frame.last_byte_ns);
    }
  } else if (h.is(FrameType::kSettings)) {
    OnSettings(d, frame);
  } else if (h.is(FrameType::kGoaway)) {
    OnGoaway(d, frame);
  }
}

void Http2Parser::OnHeaderBlock(Direction d, const HeaderBlock& block) {
  HpackDecoder& hpack = side(d).hpack;
  bool decoded = false;
  fields_.clear();
  if (block.lost) {
    hpack.OnBlockLost();
  } else {
    decoded = hpack.Decode(block.fragment, fields_);
  }
  // Pushed streams (even ids, PUSH_PROMISE) answer no request anyone made: their blocks only
  // keep the table in step.
  if (block.push_promise || block.stream_id % 2 == 0) return;
  if (role_ == ConnectionRole::kUnknown) {
    const BlockKind kind = decoded ? KindOfBlock(fields_) : BlockKind::kUnknownKind;
    if (kind == BlockKind::kUnknownKind) return;  // cannot tell who sent it
    role_ =
        kind == BlockKind::kRequest ? roles::RoleSendingRequests(d) : roles::RoleSendingReplies(d);
  }
  if (d == RequestDirection()) {
    OnRequestBlock(block, decoded);
  } else {
    OnResponseBlock(block, decoded);
  }
}

void Http2Parser::OnRequestBlock(const HeaderBlock& block, bool decoded) {
  OpenStream* stream = streams_.Find(block.stream_id);
  if (stream == nullptr) {
    // Streams open in increasing order (RFC 9113 section 5.1.1): a block on a lower stream that
    // is not open, or one without :method, is the trailers of a request we never saw begin.
    if (block.stream_id <= last_request_stream_) return;
    if (decoded && KindOfBlock(fields_) != BlockKind::kRequest) return;
    last_request_stream_ = block.stream_id;
    stream = &streams_.Open(block.stream_id);
    Exchange& x = stream->exchange;
    x.first_byte_ns = block.first_byte_ns;
    x.tid = block.tid;
    stream->request_known = decoded;
    if (decoded) ApplyRequestFields(fields_, x.request);
  }
  // Otherwise: the request's trailers, which say nothing spans use.
  stream->exchange.last_byte_ns = std::max(stream->exchange.last_byte_ns, block.last_byte_ns);
  stream->last_activity_ns = block.last_byte_ns;
}

void Http2Parser::OnResponseBlock(const HeaderBlock& block, bool decoded) {
  OpenStream* stream = streams_.Find(block.stream_id);
  if (stream == nullptr) {
    // Mid-stream, or its request was forgotten. Trailers of the same stream count once.
    if (block.stream_id != last_unmatched_stream_) ++unmatched_responses_;
    last_unmatched_stream_ = block.stream_id;
    return;
  }
  Exchange& x = stream->exchange;
  x.response_started = true;
  if (decoded) {
    ApplyResponseFields(fields_, x.response);
  } else {
    x.response_head_lost = true;
  }
  x.last_byte_ns = std::max(x.last_byte_ns, block.last_byte_ns);
  stream->last_activity_ns = block.last_byte_ns;
  if (block.end_stream) End(*stream, StreamEnd::kComplete, block.last_byte_ns);
}

void Http2Parser::OnData(Direction d, const Frame& frame) {
  OpenStream* stream = streams_.Find(frame.header.stream_id);
  if (stream == nullptr) return;  // streams open only once the role is known
  Exchange& x = stream->exchange;
  stream->last_activity_ns = frame.last_byte_ns;
  x.last_byte_ns = std::max(x.last_byte_ns, frame.last_byte_ns);
  if (d == RequestDirection()) {
    x.request_body_bytes += BodyBytes(frame);
    return;  // the request's END_STREAM ends nothing: the exchange ends with its response
  }
  x.response_body_bytes += BodyBytes(frame);
  if (frame.header.has(kFlagEndStream)) End(*stream, StreamEnd::kComplete, frame.last_byte_ns);
}

void Http2Parser::OnSettings(Direction d, const Frame& frame) {
  if (frame.header.has(kFlagAck)) return;
  // A setting describes its sender as a receiver: it binds what the other side sends.
  Side& other = side(roles::Opposite(d));
  const std::string_view p = frame.payload;
  for (size_t at = 0; at + kSettingSize <= p.size(); at += kSettingSize) {
    const uint16_t id = ReadU16(p, at);
    const uint32_t value = ReadU32(p, at + 2);
    if (id == kSettingsHeaderTableSize) {
      other.hpack.OnTableSizeSetting(value);
    } else if (id == kSettingsMaxFrameSize && value >= kDefaultMaxFrameSize) {
      other.reader.set_max_frame_size(value);
    }
  }
}

void Http2Parser::OnGoaway(Direction d, const Frame& frame) {
  // A client's GOAWAY concerns the streams the server opened (pushes): none are followed.
  if (role_ == ConnectionRole::kUnknown || d == RequestDirection()) return;
  if (frame.payload.size() < 8) return;
  const uint32_t last_stream = ReadU32(frame.payload, 0) & 0x7fffffffu;
  std::vector<uint32_t> refused;
  for (const OpenStream& s : streams_.streams()) {
    if (s.exchange.stream_id > last_stream) refused.push_back(s.exchange.stream_id);
  }
  for (uint32_t id : refused) {
    OpenStream* stream = streams_.Find(id);
    End(*stream, StreamEnd::kRefused, frame.last_byte_ns);
  }
}

void Http2Parser::End(OpenStream& stream, StreamEnd end, uint64_t ns) {
  Exchange& x = stream.exchange;
  x.end = end;
  x.last_byte_ns = std::max(x.last_byte_ns, ns);
  streams_.Close(x.stream_id, ended_);
}

void Http2Parser::Finish(std::vector<OpenStream>& ended) {
  for (OpenStream& s : ended) {
    if (!s.request_known) {
      ++undecodable_requests_;
    } else if (!HasKnownOutcome(s.exchange)) {
      ++unknown_outcomes_;
    } else {
      completed_.push_back(std::move(s.exchange));
    }
  }
  ended.clear();
}

void Http2Parser::OnClose(uint64_t /*ns*/, bool reset) {
  if (closed_) return;
  closed_ = true;
  streams_.CloseAll(ended_);
  // The exchanges end with the last octet they saw, not at the close (which may come long
  // after, on an idle connection).
  for (OpenStream& s : ended_) {
    s.exchange.end = reset ? StreamEnd::kConnectionReset : StreamEnd::kConnectionClosed;
  }
  Finish(ended_);
}

void Http2Parser::Expire(uint64_t now_ns) { streams_.ForgetSilent(now_ns); }

void Http2Parser::Drain(const ConnectionInfo& connection, const SpanBuildOptions& options,
                        std::vector<ExchangeSpan>& out) {
  // Without a role there is no SERVER or CLIENT to say: such exchanges are dropped.
  const ConnectionRole role = connection.role != ConnectionRole::kUnknown ? connection.role : role_;
  if (role != ConnectionRole::kUnknown) {
    ConnectionInfo with_role;
    const ConnectionInfo* info = &connection;
    if (connection.role != role) {
      with_role = connection;
      with_role.role = role;
      info = &with_role;
    }
    for (const Exchange& x : completed_) {
      ExchangeSpan s;
      s.span = BuildSpan(x, *info, options);
      s.origin = BuildSpanOrigin(x);
      s.first_byte_ns = x.first_byte_ns;
      s.last_byte_ns = x.last_byte_ns;
      out.push_back(std::move(s));
    }
  }
  std::vector<Exchange>().swap(completed_);  // an idle connection keeps no capacity
}

bool Http2Parser::abandoned() const {
  if (sides_[0].reader.recognized_any() || sides_[1].reader.recognized_any()) return false;
  return pieces_unrecognized_ >= kAbandonAfterUnparseablePieces &&
         sides_[0].reader.skipped_bytes() + sides_[1].reader.skipped_bytes() >=
             kAbandonAfterUnparseableBytes;
}

ParserCounters Http2Parser::counters() const {
  ParserCounters c;
  for (const Side& s : sides_) {
    c.parse_errors += s.reader.parse_errors() + s.hpack.counters().decode_errors;
    c.unknown_header_fields += s.hpack.counters().unknown_fields;
  }
  c.parse_errors += undecodable_requests_ + unknown_outcomes_;
  c.unmatched_responses = unmatched_responses_;
  c.dropped_requests = streams_.forgotten();
  return c;
}

std::unique_ptr<ConnectionParser> MakeParser(const ParserSetup& setup) {
  return std::make_unique<Http2Parser>(setup);
}

}  // namespace otelbpf::http2
