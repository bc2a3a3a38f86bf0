#include "protocols/http1/message_parser.h"

#include <algorithm>
#include <cstring>
#include <functional>
#include <limits>

#include "protocols/common/stream_position.h"

namespace otelbpf::http1 {
namespace {

constexpr size_t kNpos = std::string_view::npos;
// Longest chunk-size line (extensions included), and longest trailer section, walked through
// before deciding that the chunked framing is lost.
constexpr size_t kMaxFramingLineBytes = kMaxHeaderBlockBytes;
// A header buffer that grew beyond this is freed after use, so that idle connections hold
// little memory; smaller ones are kept to avoid an allocation per split header block.
constexpr size_t kKeptHeaderBufferCapacity = 4096;

// Offset just past the blank line that ends a header block ("\n\r\n" or "\n\n": bare LF is
// tolerated as RFC 9112 allows), searching from `from`. npos when it is not there (yet).
size_t FindHeaderBlockEnd(std::string_view b, size_t from) {
  while (from < b.size()) {
    const void* found = std::memchr(b.data() + from, '\n', b.size() - from);
    if (found == nullptr) return kNpos;
    const size_t lf = static_cast<size_t>(static_cast<const char*>(found) - b.data());
    if (lf + 1 < b.size() && b[lf + 1] == '\n') return lf + 2;
    if (lf + 2 < b.size() && b[lf + 1] == '\r' && b[lf + 2] == '\n') return lf + 3;
    from = lf + 1;
  }
  return kNpos;
}

// Header blocks, chunk extensions and trailers are text: no control bytes but HTAB, CR, LF.
bool IsFramingTextByte(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u >= 0x20 ? u != 0x7f : (c == '\t' || c == '\r' || c == '\n');
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

MessageParser::MessageParser(StreamKind kind, MessageSink* sink) : kind_(kind), sink_(sink) {}

void MessageParser::OnData(std::string_view captured, uint64_t length, uint64_t start_ns,
                           uint64_t end_ns, uint32_t tid, std::optional<uint32_t> tcp_seq) {
  if (state_ == State::kStopped) return;
  piece_bytes_ = captured;
  piece_tcp_seq_ = tcp_seq;
  piece_start_ns_ = start_ns;
  piece_tid_ = tid;
  piece_end_ns_ = end_ns;
  // A message in progress needs more bytes, so this piece carries some of them.
  if (InMessage() && (length > 0 || !captured.empty())) current_.last_byte_ns = end_ns;
  const std::string_view left = Consume(captured);
  const uint64_t gap = length > captured.size() ? length - captured.size() : 0;
  if (handing_over_ && (!left.empty() || gap > 0)) KeepRest(left, gap);
  handing_over_ = false;
  if (length > captured.size() && state_ != State::kStopped) ConsumeGap(length - captured.size());
  piece_bytes_ = {};  // the caller's buffer: not valid after this call
}

void MessageParser::OnClose() {
  switch (state_) {
    case State::kHeaderBlock:
      // The peer stopped mid-head. A request whose head never ended was never a request: no
      // server could act on it, so reporting it would invent a span ("GET /hal" then close).
      // A response cut there still says how the request was answered, if its status line is
      // whole. (kSkipHeaderTail below is different: bytes were missed to the capture limit,
      // the head itself was complete.)
      if (kind_ == StreamKind::kResponses && header_buf_.find('\n') != std::string::npos &&
          ParsePartialHeaderBlock()) {
        ReleaseHeaderBuffer();
        sink_->OnHeadersComplete(current_);
        Complete(MessageEnd::kCutShort);
      } else {
        DiscardMessage();
      }
      break;
    case State::kSkipHeaderTail:
      sink_->OnHeadersComplete(current_);
      Complete(MessageEnd::kCutShort);
      break;
    case State::kBodyUntilClose:
      Complete(MessageEnd::kEndedByClose);
      break;
    case State::kFixedBody:
    case State::kChunkSize:
    case State::kChunkSizeRest:
    case State::kChunkData:
    case State::kChunkDataCr:
    case State::kChunkDataLf:
    case State::kTrailerLineStart:
    case State::kTrailerLine:
    case State::kTrailerEndLf:
      Complete(MessageEnd::kCutShort);
      break;
    case State::kExpectStart:
    case State::kSeekStart:
    case State::kStopped:
      break;
  }
  StopParsing();
}

void MessageParser::StopParsing() {
  DiscardMessage();
  state_ = State::kStopped;
}

bool MessageParser::InMessage() const {
  switch (state_) {
    case State::kExpectStart:
    case State::kSeekStart:
    case State::kStopped:
      return false;
    default:
      return true;
  }
}

// ---------------------------------------------------------------------------------------
// Captured bytes

std::string_view MessageParser::Consume(std::string_view data) {
  // Every Step either consumes bytes or moves to a state that will.
  while (!data.empty() && state_ != State::kStopped) data.remove_prefix(Step(data));
  return data;
}

void MessageParser::HandOver() {
  StopParsing();
  handing_over_ = true;
}

void MessageParser::KeepRest(std::string_view left, uint64_t gap) {
  // `left` ends the piece's captured bytes (a replay's leftovers are not the piece's: skip).
  const char* piece_end = piece_bytes_.data() + piece_bytes_.size();
  if (std::less<const char*>()(left.data(), piece_bytes_.data()) ||
      left.data() + left.size() != piece_end) {
    return;
  }
  const size_t offset = static_cast<size_t>(left.data() - piece_bytes_.data());
  OwnedPiece rest;
  rest.bytes.assign(left);
  rest.meta.length = left.size() + gap;
  rest.meta.start_ns = piece_start_ns_;
  rest.meta.end_ns = piece_end_ns_;
  rest.meta.tid = piece_tid_;
  if (piece_tcp_seq_) rest.meta.tcp_seq = *piece_tcp_seq_ + static_cast<uint32_t>(offset);
  rest_ = std::move(rest);
}

size_t MessageParser::Step(std::string_view data) {
  switch (state_) {
    case State::kExpectStart:
      return ExpectStart(data);
    case State::kSeekStart:
      return SeekStart(data);
    case State::kHeaderBlock:
      return CollectHeaderBlock(data);
    case State::kSkipHeaderTail:
      return SkipHeaderTail(data);
    case State::kFixedBody: {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(body_remaining_, data.size()));
      current_.body_bytes += n;
      body_remaining_ -= n;
      if (body_remaining_ == 0) Complete(MessageEnd::kComplete);
      return n;
    }
    case State::kBodyUntilClose:
      current_.body_bytes += data.size();
      return data.size();
    case State::kChunkSize:
      return ChunkSize(data);
    case State::kChunkSizeRest:
      return ChunkSizeRest(data);
    case State::kChunkData: {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(body_remaining_, data.size()));
      current_.body_bytes += n;
      body_remaining_ -= n;
      if (body_remaining_ == 0) state_ = State::kChunkDataCr;
      return n;
    }
    case State::kChunkDataCr:
      if (data[0] == '\r') {
        state_ = State::kChunkDataLf;
        return 1;
      }
      if (data[0] == '\n') {
        BeginChunkSizeLine();
        return 1;
      }
      FramingError();
      return 0;
    case State::kChunkDataLf:
      if (data[0] == '\n') {
        BeginChunkSizeLine();
        return 1;
      }
      FramingError();
      return 0;
    case State::kTrailerLineStart:
      if (data[0] == '\r') {
        state_ = State::kTrailerEndLf;
        return 1;
      }
      if (data[0] == '\n') {
        Complete(MessageEnd::kComplete);
        return 1;
      }
      state_ = State::kTrailerLine;
      return 0;
    case State::kTrailerLine:
      return TrailerLine(data);
    case State::kTrailerEndLf:
      if (data[0] == '\n') {
        Complete(MessageEnd::kComplete);
        return 1;
      }
      state_ = State::kTrailerLine;  // a CR inside a trailer line, oddly placed: keep walking
      return 0;
    case State::kStopped:
      return data.size();
  }
  return data.size();
}

size_t MessageParser::ExpectStart(std::string_view data) {
  // RFC 9112 section 2.2: empty lines before a start line are ignored (some clients send an
  // extra CRLF after a request body).
  if (data[0] == '\r' || data[0] == '\n') return 1;
  const StartLineScan scan = ScanStartLine(data, kind_, MethodPolicy::kAnyToken);
  if (scan.verdict == StartLineScan::kInvalid) {
    BeginResync();
  } else {
    BeginMessage(scan.verdict == StartLineScan::kComplete, MethodPolicy::kAnyToken, data.data());
  }
  return 0;
}

size_t MessageParser::SeekStart(std::string_view data) {
  for (size_t i = 0; i < data.size(); ++i) {
    if (!MayBeginStartLine(data[i])) continue;
    const StartLineScan scan = ScanStartLine(data.substr(i), kind_, MethodPolicy::kKnownOnly);
    if (scan.verdict == StartLineScan::kInvalid) continue;
    skipped_bytes_ += i;
    BeginMessage(scan.verdict == StartLineScan::kComplete, MethodPolicy::kKnownOnly,
                 data.data() + i);
    return i;
  }
  skipped_bytes_ += data.size();
  return data.size();
}

size_t MessageParser::CollectHeaderBlock(std::string_view data) {
  // Fast path, the common case: the whole block is in this piece; parse it in place.
  if (header_buf_.empty() && start_line_validated_) {
    const size_t end = FindHeaderBlockEnd(data, 0);
    if (end != kNpos && end <= kMaxHeaderBlockBytes) {
      ParseHeaderBlock(data.substr(0, end));
      FinishHeaders();
      return end;
    }
  }

  // The block is split across pieces: gather it, never beyond kMaxHeaderBlockBytes.
  const size_t old_size = header_buf_.size();
  const size_t take = std::min(data.size(), kMaxHeaderBlockBytes - old_size);
  GrowHeaderBuffer(old_size + take);
  header_buf_.append(data.data(), take);
  size_t search_from = old_size >= 3 ? old_size - 3 : 0;  // the blank line may straddle pieces

  if (!start_line_validated_) {
    const StartLineScan scan = ScanStartLine(header_buf_, kind_, method_policy_);
    if (scan.verdict == StartLineScan::kInvalid) {
      ReplayAfterFalseStart();
      return take;
    }
    if (scan.verdict == StartLineScan::kNeedMore) {
      if (header_buf_.size() >= kMaxHeaderBlockBytes) HeaderBlockOverflowed();
      return take;
    }
    start_line_validated_ = true;
    MarkRecognized();
    search_from = 0;
  }

  const size_t end = FindHeaderBlockEnd(header_buf_, search_from);
  if (end != kNpos) {
    // An unfinished start line holds no LF, so the blank line always ends in the new bytes.
    const size_t used = end - old_size;
    header_buf_.resize(end);
    ParseHeaderBlock(header_buf_);
    ReleaseHeaderBuffer();
    FinishHeaders();
    return used;
  }
  if (header_buf_.size() >= kMaxHeaderBlockBytes) HeaderBlockOverflowed();
  return take;
}

size_t MessageParser::SkipHeaderTail(std::string_view data) {
  for (size_t i = 0; i < data.size(); ++i) {
    const char c = data[i];
    if (!IsFramingTextByte(c)) {
      // Binary bytes inside a "header block": it was never HTTP. Forget it.
      DiscardMessage();
      BeginResync();
      return i;
    }
    // The blank line is LF LF or LF CR LF; blank_line_progress_ counts how much we have seen.
    const bool blank_line_ended = blank_line_progress_ > 0 && c == '\n';
    if (blank_line_ended) {
      blank_line_progress_ = 0;
      FinishHeaders();
      return i + 1;
    }
    blank_line_progress_ = (blank_line_progress_ == 1 && c == '\r') ? 2 : 0;
    if (c == '\n') blank_line_progress_ = 1;
  }
  return data.size();
}

void MessageParser::BeginChunkSizeLine() {
  chunk_size_ = 0;
  chunk_size_digits_ = 0;
  framing_line_bytes_ = 0;
  state_ = State::kChunkSize;
}

size_t MessageParser::ChunkSize(std::string_view data) {
  for (size_t i = 0; i < data.size(); ++i) {
    const int value = HexValue(data[i]);
    if (value < 0) {
      const char c = data[i];
      const bool may_follow_size = c == ';' || c == ' ' || c == '\t' || c == '\r' || c == '\n';
      if (chunk_size_digits_ == 0 || !may_follow_size) {
        FramingError();
      } else {
        state_ = State::kChunkSizeRest;
      }
      return i;
    }
    if (chunk_size_ > (std::numeric_limits<uint64_t>::max() >> 4)) {
      FramingError();
      return i;
    }
    chunk_size_ = chunk_size_ * 16 + static_cast<uint64_t>(value);
    ++chunk_size_digits_;
  }
  return data.size();
}

size_t MessageParser::ChunkSizeRest(std::string_view data) {
  for (size_t i = 0; i < data.size(); ++i) {
    const char c = data[i];
    if (c == '\n') {
      framing_line_bytes_ = 0;
      if (chunk_size_ == 0) {
        state_ = State::kTrailerLineStart;  // last chunk: trailers, then an empty line
      } else {
        body_remaining_ = chunk_size_;
        state_ = State::kChunkData;
      }
      return i + 1;
    }
    if (!IsFramingTextByte(c) || ++framing_line_bytes_ > kMaxFramingLineBytes) {
      FramingError();
      return i;
    }
  }
  return data.size();
}

size_t MessageParser::TrailerLine(std::string_view data) {
  for (size_t i = 0; i < data.size(); ++i) {
    const char c = data[i];
    if (c == '\n') {
      state_ = State::kTrailerLineStart;
      return i + 1;
    }
    if (!IsFramingTextByte(c) || ++framing_line_bytes_ > kMaxFramingLineBytes) {
      FramingError();
      return i;
    }
  }
  return data.size();
}

// ---------------------------------------------------------------------------------------
// Capture gaps: bytes the syscall moved but the kernel did not copy.

void MessageParser::ConsumeGap(uint64_t gap) {
  switch (state_) {
    case State::kExpectStart:
    case State::kSeekStart:
      // A message may have begun inside the gap; the next bytes are then its middle.
      skip_expected_ = true;
      return;
    case State::kHeaderBlock:
      if (!ParsePartialHeaderBlock()) {
        DiscardMessage();
        state_ = State::kExpectStart;
        skip_expected_ = true;
        return;
      }
      ReleaseHeaderBuffer();
      HeadersEndedInGap(gap);
      return;
    case State::kSkipHeaderTail:
      HeadersEndedInGap(gap);
      return;
    case State::kFixedBody:
      if (gap < body_remaining_) {
        body_remaining_ -= gap;
        current_.body_bytes += gap;
        return;
      }
      current_.body_bytes += body_remaining_;
      if (gap > body_remaining_) skip_expected_ = true;  // the next message began in the gap
      body_remaining_ = 0;
      Complete(MessageEnd::kComplete);
      return;
    case State::kBodyUntilClose:
      current_.body_bytes += gap;
      return;
    case State::kChunkData:
      if (gap <= body_remaining_) {
        body_remaining_ -= gap;
        current_.body_bytes += gap;
        if (body_remaining_ == 0) state_ = State::kChunkDataCr;
        return;
      }
      current_.body_bytes += body_remaining_;
      EndChunkedAfterGap();
      return;
    case State::kChunkSize:
    case State::kChunkSizeRest:
    case State::kChunkDataCr:
    case State::kChunkDataLf:
    case State::kTrailerLineStart:
    case State::kTrailerLine:
    case State::kTrailerEndLf:
      EndChunkedAfterGap();
      return;
    case State::kStopped:
      return;
  }
}

void MessageParser::HeadersEndedInGap(uint64_t gap) {
  // We assume the header block ended inside the gap. Only a Content-Length seen before the
  // gap can say where the body ends; without one, the piece is assumed to end the message.
  current_.truncated = true;
  skip_expected_ = true;  // our guess of the end may be off: misplaced bytes are no error
  sink_->OnHeadersComplete(current_);
  if (state_ == State::kStopped) return;
  if (DecideBody() == BodyKind::kFixed) {
    const uint64_t length = *framing_.usable_content_length();
    if (length > gap) {
      // The body goes on past this piece. Assume the gap was (almost) all body: the header
      // tail we missed is usually short, and erring this way ends the message a little
      // early (resynchronising on the rest) rather than eating the next message.
      current_.body_bytes = gap;
      body_remaining_ = length - gap;
      state_ = State::kFixedBody;
      return;
    }
    current_.body_bytes = length;
  }
  Complete(MessageEnd::kComplete);
}

void MessageParser::EndChunkedAfterGap() {
  // The gap hid chunk framing: we cannot follow the chunks any more. The message is taken to
  // end with this piece; what follows is skipped until a start line shows up.
  current_.truncated = true;
  skip_expected_ = true;
  Complete(MessageEnd::kComplete);
}

// ---------------------------------------------------------------------------------------
// Message lifecycle

void MessageParser::BeginMessage(bool start_line_complete, MethodPolicy policy,
                                 const char* first_byte) {
  current_ = Message{};
  framing_ = BodyFraming{};
  // Only a start line inside the piece has a known stream position; one found again in bytes
  // replayed from earlier pieces (ReplayAfterFalseStart) gets none rather than a guess.
  current_.first_byte_tcp_seq = framing::TcpSeqAt(piece_bytes_, piece_tcp_seq_, first_byte);
  current_.first_byte_ns = piece_start_ns_;
  current_.first_byte_tid = piece_tid_;
  current_.last_byte_ns = piece_end_ns_;
  start_line_validated_ = start_line_complete;
  method_policy_ = policy;
  if (start_line_complete) MarkRecognized();
  state_ = State::kHeaderBlock;
}

void MessageParser::MarkRecognized() {
  recognized_any_ = true;
  skip_expected_ = false;
}

void MessageParser::BeginResync() {
  // One parse error per episode of skipping, not per byte; none when the skip is explained.
  if (!skip_expected_) ++parse_errors_;
  skip_expected_ = true;
  state_ = State::kSeekStart;
}

void MessageParser::ReplayAfterFalseStart() {
  // What looked like the start of a start line was not one. A real one may begin anywhere
  // after its first byte, so scan the buffered bytes again (at most kMaxHeaderBlockBytes;
  // the replay cannot fail this way again, as its own candidates end with the replayed bytes).
  std::string bytes;
  bytes.swap(header_buf_);
  DiscardMessage();
  BeginResync();
  skipped_bytes_ += 1;
  (void)Consume(std::string_view(bytes).substr(1));
}

void MessageParser::ParseHeaderBlock(std::string_view block) {
  const size_t start_line_end = block.find('\n');  // validated: the start line ends with LF
  ParseStartLine(block.substr(0, start_line_end + 1), current_);
  ParseHeaderFields(block.substr(start_line_end + 1), current_, framing_,
                    HeaderSelection::kReported);
}

bool MessageParser::ParsePartialHeaderBlock() {
  // The block was cut (capture gap, close, or the size bound): keep what its complete lines say.
  // The start line itself may be the part that was cut (a very long target).
  if (header_buf_.find('\n') != std::string::npos) {
    ParseHeaderBlock(header_buf_);  // a complete first line is always a validated one
  } else {
    if (!ParseTruncatedStartLine(header_buf_, current_)) return false;
    MarkRecognized();
  }
  current_.truncated = true;
  return true;
}

void MessageParser::HeaderBlockOverflowed() {
  // Keep what the first kMaxHeaderBlockBytes said; skip the rest of the block unstored.
  if (!ParsePartialHeaderBlock()) {
    ReplayAfterFalseStart();
    return;
  }
  std::string_view tail = header_buf_;
  blank_line_progress_ = 0;
  if (tail.size() >= 1 && tail.back() == '\n') blank_line_progress_ = 1;
  if (tail.size() >= 2 && tail.substr(tail.size() - 2) == "\n\r") blank_line_progress_ = 2;
  ReleaseHeaderBuffer();
  state_ = State::kSkipHeaderTail;
}

void MessageParser::FinishHeaders() {
  sink_->OnHeadersComplete(current_);
  if (state_ == State::kStopped) return;
  StartBody(DecideBody());
}

MessageParser::BodyKind MessageParser::DecideBody() {
  // RFC 9112 section 6.3, in its order.
  if (!current_.is_request) {
    const int status = current_.status_code;
    const std::string_view method = sink_->MethodOfRequestAnswered();
    if (status < 200 || status == 204 || status == 304 || method == "HEAD") return BodyKind::kNone;
    if (method == "CONNECT" && status < 300) return BodyKind::kNone;  // a tunnel follows
    if (framing_.has_transfer_encoding) {
      return framing_.chunked ? BodyKind::kChunked : BodyKind::kUntilClose;
    }
    if (auto length = framing_.usable_content_length()) {
      return *length > 0 ? BodyKind::kFixed : BodyKind::kNone;
    }
    return BodyKind::kUntilClose;
  }
  // Requests are never close-delimited: no framing header means no body. A non-chunked
  // Transfer-Encoding on a request is invalid and leaves nothing we could delimit.
  if (framing_.has_transfer_encoding)
    return framing_.chunked ? BodyKind::kChunked : BodyKind::kNone;
  if (auto length = framing_.usable_content_length()) {
    return *length > 0 ? BodyKind::kFixed : BodyKind::kNone;
  }
  return BodyKind::kNone;
}

void MessageParser::StartBody(BodyKind kind) {
  switch (kind) {
    case BodyKind::kNone:
      Complete(MessageEnd::kComplete);
      return;
    case BodyKind::kFixed:
      body_remaining_ = *framing_.usable_content_length();
      state_ = State::kFixedBody;
      return;
    case BodyKind::kChunked:
      BeginChunkSizeLine();
      return;
    case BodyKind::kUntilClose:
      state_ = State::kBodyUntilClose;
      return;
  }
}

void MessageParser::FramingError() {
  // The chunked framing is not what it should be, so we lost track of this body. The head was
  // sound: report the message, then look for the next start line.
  current_.truncated = true;
  Complete(MessageEnd::kComplete);
  if (state_ == State::kExpectStart) BeginResync();
}

void MessageParser::Complete(MessageEnd end) {
  Message done = std::move(current_);
  current_ = Message{};
  state_ = State::kExpectStart;
  sink_->OnMessage(std::move(done), end);  // last: the sink may stop this parser
}

void MessageParser::DiscardMessage() {
  current_ = Message{};
  framing_ = BodyFraming{};
  start_line_validated_ = false;
  ReleaseHeaderBuffer();
}

void MessageParser::GrowHeaderBuffer(size_t needed) {
  if (needed <= header_buf_.capacity()) return;
  // Grow geometrically but never past the bound. A fresh string is reserved because
  // std::string may round an in-place growth up to twice its old capacity.
  std::string bigger;
  bigger.reserve(std::min(kMaxHeaderBlockBytes, std::max(needed, 2 * header_buf_.capacity())));
  bigger.append(header_buf_);
  header_buf_.swap(bigger);
}

void MessageParser::ReleaseHeaderBuffer() {
  header_buf_.clear();
  if (header_buf_.capacity() > kKeptHeaderBufferCapacity) std::string().swap(header_buf_);
}

}  // namespace otelbpf::http1
