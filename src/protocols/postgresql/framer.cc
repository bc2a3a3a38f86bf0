#include "protocols/postgresql/framer.h"

#include <algorithm>

#include "protocols/common/stream_position.h"

namespace otelbpf::postgresql {
namespace {

constexpr size_t kNotInPiece = static_cast<size_t>(-1);

bool StartsTlsRecord(std::string_view data, size_t pos) {
  // A TLS handshake record: content type 22, then version 3.x.
  return data.size() >= pos + 2 && static_cast<uint8_t>(data[pos]) == 0x16 &&
         static_cast<uint8_t>(data[pos + 1]) == 0x03;
}

bool IsEncryptionAnswer(char c) {
  return c == kEncryptionAccepted || c == kGssEncryptionAccepted || c == kEncryptionRefused;
}

// StartupMessage parameters after the protocol version: NUL-terminated name/value pairs (names
// printable ASCII, at least one pair), then one NUL. `captured` may be a prefix of them
// (`complete` false): what it shows must fit.
bool WellFormedStartupParameters(std::string_view params, bool complete) {
  size_t pos = 0;
  size_t pairs = 0;
  while (true) {
    if (pos >= params.size()) return !complete;
    if (params[pos] == '\0') return pairs > 0 && (!complete || pos + 1 == params.size());
    const size_t name_end = params.find('\0', pos);
    for (size_t i = pos; i < std::min(name_end, params.size()); ++i) {
      if (params[i] < 0x20 || params[i] > 0x7e) return false;
    }
    if (name_end == std::string_view::npos) return !complete;
    const size_t value_end = params.find('\0', name_end + 1);
    if (value_end == std::string_view::npos) return !complete;
    ++pairs;
    pos = value_end + 1;
  }
}

// Whether a piece of `length` bytes (`data` captured of it) is exactly one startup-phase message,
// as a frontend writes it alone at the start of a connection.
bool IsWholeStartupPhaseMessage(std::string_view data, uint64_t length) {
  if (data.size() < kMinUntypedLength || data.size() > length) return false;
  const uint32_t declared = ReadUint32(data);
  const uint32_t code = ReadUint32(data.substr(4));
  if (declared != length || !PlausibleUntypedStart(declared, code)) return false;
  if (code == kSslRequestCode || code == kGssEncRequestCode || code == kCancelRequestCode) {
    return true;  // lengths checked by PlausibleUntypedStart
  }
  return WellFormedStartupParameters(data.substr(kMinUntypedLength), data.size() == length);
}

}  // namespace

MessageFramer::MessageFramer(Start start) : state_(State::kLost) {
  switch (start) {
    case Start::kUntyped:
      state_ = State::kHeader;
      untyped_ = true;
      break;
    case Start::kTyped:
      state_ = State::kHeader;
      break;
    case Start::kDetect:
      state_ = State::kDetect;
      break;
    case Start::kProbe:
      state_ = State::kProbe;
      break;
    case Start::kLost:
      // Joined mid-stream: skipping up to the first message is the expected cost, and it is
      // counted (once) like garbage would be.
      state_ = State::kLost;
      skipped_while_lost_ = false;
      lost_by_gap_ = false;
      break;
  }
}

void MessageFramer::ExpectSingleByteAnswer() {
  if (state_ == State::kDetect || (state_ == State::kHeader && header_have_ == 0) ||
      (state_ == State::kLost && !seen_bytes_)) {
    state_ = State::kSingleByte;
  }
}

void MessageFramer::ExpectTypedStart() {
  if (state_ == State::kLost && !seen_bytes_) {
    state_ = State::kHeader;
    untyped_ = false;
    header_have_ = 0;
  }
}

void MessageFramer::Probe(std::string_view data, uint64_t length) {
  if (IsWholeStartupPhaseMessage(data, length)) {
    state_ = State::kHeader;
    untyped_ = true;
    header_have_ = 0;
    return;
  }
  // Not the start after all (or not surely): joined mid-stream, as kLost.
  state_ = State::kLost;
  skipped_while_lost_ = false;
  lost_by_gap_ = false;
}

void MessageFramer::OnData(const Piece& piece, MessageSink& sink) {
  piece_ = &piece;
  sink_ = &sink;
  std::string_view data = piece.bytes;
  const uint64_t gap = std::max<uint64_t>(piece.length, data.size()) - data.size();
  std::string replay;  // `data` when bytes seen earlier are looked at again with this piece
  header_start_ = kNotInPiece;
  if (piece.length > 0 || !data.empty()) {
    if (state_ == State::kProbe) Probe(data, std::max<uint64_t>(piece.length, data.size()));
    seen_bytes_ = true;
  }
  if (state_ == State::kLost && !lost_tail_.empty()) {
    // A header may have begun in the last bytes of the previous piece.
    replay = std::move(lost_tail_) + std::string(data);
    lost_tail_.clear();
    data = replay;
  }
  if (state_ == State::kDetect && !data.empty()) Detect(data);
  size_t pos = 0;
  while (pos < data.size()) {
    switch (state_) {
      case State::kDetect:  // unreachable: detected above
      case State::kProbe:   // unreachable: probed above
      case State::kTls:
        pos = data.size();
        break;
      case State::kSingleByte:
        if (!IsEncryptionAnswer(data[pos])) {
          state_ = State::kHeader;  // not an answer after all (an old server's ErrorResponse)
          untyped_ = false;
          break;
        }
        current_ = Message{};
        current_.kind = Message::Kind::kSingleByte;
        current_.tcp_seq = framing::TcpSeqAt(piece.bytes, piece.tcp_seq, data.data() + pos);
        current_.type = data[pos++];
        current_.start_ns = piece.start_ns;
        current_.tid = piece.tid;
        body_.clear();
        intact_ = true;
        state_ = State::kHeader;
        untyped_ = false;
        Emit(sink);
        break;
      case State::kHeader:
        pos = ConsumeHeader(data, pos, sink);
        if (!replay_prefix_.empty()) {
          // A bad header begun in an earlier piece: its later bytes may start a real message.
          replay = std::move(replay_prefix_) + std::string(data.substr(pos));
          replay_prefix_.clear();
          data = replay;
          pos = 0;
        }
        break;
      case State::kBody:
        pos = ConsumeBody(data, pos, sink);
        break;
      case State::kLost:
        pos = Resync(data, pos);
        break;
    }
  }
  ConsumeGap(gap, sink);
  piece_ = nullptr;
  sink_ = nullptr;
}

void MessageFramer::Detect(std::string_view data) {
  if (StartsTlsRecord(data, 0)) {
    state_ = State::kTls;
    tls_ = true;
    return;
  }
  state_ = State::kHeader;
  untyped_ = data.size() >= kMinUntypedLength &&
             PlausibleUntypedStart(ReadUint32(data), ReadUint32(data.substr(4)));
}

size_t MessageFramer::ConsumeHeader(std::string_view data, size_t pos, MessageSink& sink) {
  const size_t need = untyped_ ? kUntypedHeaderSize : kTypedHeaderSize;
  if (header_have_ == 0) {
    if (untyped_ && StartsTlsRecord(data, pos)) {
      state_ = State::kTls;
      tls_ = true;
      return data.size();
    }
    header_start_ = pos;
    current_ = Message{};
    current_.start_ns = piece_->start_ns;
    current_.tid = piece_->tid;
    // `data` may be bytes replayed from an earlier piece: then no number (TcpSeqAt).
    current_.tcp_seq = framing::TcpSeqAt(piece_->bytes, piece_->tcp_seq, data.data() + pos);
  }
  while (header_have_ < need && pos < data.size()) header_[header_have_++] = data[pos++];
  if (header_have_ < need) return pos;

  bool plausible = false;
  if (untyped_) {
    const uint32_t length = ReadUint32(std::string_view(header_, kUntypedHeaderSize));
    plausible = length >= kMinUntypedLength && length <= kMaxUntypedLength;
    current_.kind = Message::Kind::kUntyped;
    current_.body_length = length - static_cast<uint32_t>(kLengthFieldSize);
  } else {
    const char type = header_[0];
    const uint32_t length = ReadUint32(std::string_view(header_ + 1, kLengthFieldSize));
    plausible = PlausibleTypedHeader(side_, type, length);
    current_.kind = Message::Kind::kTyped;
    current_.type = type;
    current_.body_length = length - static_cast<uint32_t>(kLengthFieldSize);
  }
  if (!plausible) {
    ++parse_errors_;  // garbage where a header belongs
    LoseSync(false);
    skipped_while_lost_ = true;  // already counted
    // Look again from the byte after the bad header's first one.
    if (header_start_ != kNotInPiece) return header_start_ + 1;
    replay_prefix_.assign(header_ + 1, need - 1);
    return pos;
  }
  BeginBody(sink);
  return pos;
}

void MessageFramer::BeginBody(MessageSink& sink) {
  remaining_ = current_.body_length;
  keep_ = current_.kind == Message::Kind::kUntyped ? kKeptStartupBytes
                                                   : KeptBodyBytes(side_, current_.type);
  body_.clear();
  intact_ = true;
  state_ = State::kBody;
  if (remaining_ == 0) Emit(sink);
}

size_t MessageFramer::ConsumeBody(std::string_view data, size_t pos, MessageSink& sink) {
  const size_t take = static_cast<size_t>(std::min<uint64_t>(remaining_, data.size() - pos));
  if (intact_ && body_.size() < keep_) {
    body_.append(data.substr(pos, std::min(take, keep_ - body_.size())));
  }
  remaining_ -= take;
  pos += take;
  if (remaining_ == 0) Emit(sink);
  return pos;
}

void MessageFramer::ConsumeGap(uint64_t gap, MessageSink& sink) {
  if (gap == 0) return;
  switch (state_) {
    case State::kBody:
      intact_ = false;  // bytes after the gap would not follow the kept ones
      if (gap < remaining_) {
        remaining_ -= gap;
        return;
      }
      gap -= remaining_;
      remaining_ = 0;
      Emit(sink);
      if (gap > 0) LoseSync(true);  // the next header is inside the gap
      return;
    case State::kHeader:
    case State::kSingleByte:
    case State::kDetect:
    case State::kProbe:  // unreachable: probed before
      LoseSync(true);
      return;
    case State::kLost:
      lost_tail_.clear();  // what follows the gap does not continue it
      return;
    case State::kTls:
      return;
  }
}

void MessageFramer::Emit(MessageSink& sink) {
  current_.body = body_;
  current_.complete = intact_ && body_.size() == current_.body_length;
  current_.end_ns = piece_->end_ns;
  state_ = State::kHeader;
  header_have_ = 0;
  // After SSLRequest / GSSENCRequest (refused) another untyped message follows; after a
  // StartupMessage the typed ones.
  if (current_.kind == Message::Kind::kUntyped) {
    const bool encryption_request = body_.size() >= 4 && (ReadUint32(body_) == kSslRequestCode ||
                                                          ReadUint32(body_) == kGssEncRequestCode);
    untyped_ = encryption_request;
  } else {
    untyped_ = false;
  }
  sink.OnMessage(current_);
}

void MessageFramer::LoseSync(bool by_gap) {
  state_ = State::kLost;
  header_have_ = 0;
  untyped_ = false;
  lost_by_gap_ = by_gap;
  skipped_while_lost_ = false;
  lost_tail_.clear();
  if (by_gap) {
    ++gap_losses_;
    if (sink_ && piece_) sink_->OnGapHidMessages(*piece_);
  }
}

size_t MessageFramer::Resync(std::string_view data, size_t pos) {
  size_t unverified = kNotInPiece;  // the first header whose message runs past the piece
  for (size_t i = pos; i < data.size(); ++i) {
    const Candidate candidate = CandidateAt(data, i);
    if (candidate == Candidate::kUnverified && unverified == kNotInPiece) unverified = i;
    if (candidate != Candidate::kBelieved) continue;
    if (i > pos) {
      if (!lost_by_gap_ && !skipped_while_lost_) ++parse_errors_;
      skipped_while_lost_ = true;
    }
    state_ = State::kHeader;
    untyped_ = false;
    header_have_ = 0;
    return i;
  }
  // The next piece may complete a small message that starts here (a header, or a short
  // message like CommandComplete or ReadyForQuery): look at these bytes again with it.
  size_t kept_from = data.size();
  if (unverified != kNotInPiece && data.size() - unverified <= kMaxLostTail) {
    kept_from = unverified;
  } else {
    for (size_t k = data.size() - std::min(data.size() - pos, kTypedHeaderSize - 1);
         k < data.size(); ++k) {
      if (KnownType(side_, data[k])) {
        kept_from = k;
        break;
      }
    }
  }
  lost_tail_.assign(data.substr(kept_from));
  if (kept_from > pos) {
    if (!lost_by_gap_ && !skipped_while_lost_) ++parse_errors_;
    skipped_while_lost_ = true;
  }
  return data.size();
}

// A header at `pos` is believed when its type and length fit and the message after it, when
// the captured bytes show its start, has a plausible header too. A message running past the
// captured bytes, with nothing after it to check, is believed only at the start of a piece,
// where syscalls usually put message boundaries.
MessageFramer::Candidate MessageFramer::CandidateAt(std::string_view data, size_t pos) const {
  if (data.size() - pos < kTypedHeaderSize) return Candidate::kNo;
  const uint32_t length = ReadUint32(data.substr(pos + 1));
  if (!PlausibleTypedHeader(side_, data[pos], length)) return Candidate::kNo;
  const uint64_t end = pos + 1 + static_cast<uint64_t>(length);
  if (end > data.size()) return pos == 0 ? Candidate::kBelieved : Candidate::kUnverified;
  if (end == data.size()) return Candidate::kBelieved;
  const size_t next = static_cast<size_t>(end);
  const bool next_plausible =
      data.size() - next < kTypedHeaderSize
          ? KnownType(side_, data[next])
          : PlausibleTypedHeader(side_, data[next], ReadUint32(data.substr(next + 1)));
  return next_plausible ? Candidate::kBelieved : Candidate::kNo;
}

}  // namespace otelbpf::postgresql
