#include "protocols/redis/resp_framer.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "protocols/common/resync_scan.h"
#include "protocols/common/stream_position.h"
#include "protocols/redis/command_table.h"

namespace otelbpf::redis {
namespace {

// A header line longer than this cannot be a message start worth resynchronising on.
constexpr size_t kMaxProbedLineBytes = 512;
constexpr uint64_t kMaxCommandNameBytes = 64;

bool IsTypeByte(char c) {
  switch (c) {
    case '+':
    case '-':
    case ':':
    case '$':
    case '*':  // RESP2
    case '_':
    case ',':
    case '#':
    case '!':
    case '=':
    case '(':  // RESP3 simple
    case '%':
    case '~':
    case '>':
    case '|':  // RESP3 aggregate
      return true;
    default:
      return false;
  }
}

bool IsAsciiLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool IsCommandNameByte(char c) {
  return IsAsciiLetter(c) || IsDigit(c) || c == '_' || c == '.' || c == '|' || c == ':' || c == '-';
}

// Maps and attributes announce pairs: twice as many values follow.
uint64_t ValuesPerEntry(char type) { return type == '%' || type == '|' ? 2 : 1; }

struct Header {
  enum class Kind : uint8_t { kLength, kNull, kStreamed };
  Kind kind = Kind::kLength;
  uint64_t value = 0;
};

// The number after a string's or an aggregate's type byte: "-1" is RESP2's null, "?" RESP3's
// streamed form.
std::optional<Header> ParseHeader(std::string_view text, uint64_t max, bool allow_streamed) {
  if (text == "-1") return Header{Header::Kind::kNull, 0};
  if (text == "?" && allow_streamed) return Header{Header::Kind::kStreamed, 0};
  if (text.empty() || text.size() > 20) return std::nullopt;
  uint64_t value = 0;
  for (char c : text) {
    if (!IsDigit(c)) return std::nullopt;
    value = value * 10 + static_cast<uint64_t>(c - '0');
    if (value > max) return std::nullopt;
  }
  return Header{Header::Kind::kLength, value};
}

bool IsInteger(std::string_view text) {
  if (!text.empty() && (text[0] == '-' || text[0] == '+')) text.remove_prefix(1);
  return !text.empty() && std::all_of(text.begin(), text.end(), IsDigit);
}

bool IsDouble(std::string_view text) {
  if (text == "inf" || text == "-inf" || text == "nan" || text == "-nan") return true;
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return IsDigit(c) || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E';
  });
}

bool IsPrintable(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u == '\t' || (u >= 0x20 && u != 0x7f);
  });
}

struct ProbedLine {
  std::string_view text;  // without its line end
  size_t next = 0;        // offset of the byte after the line feed
};

// The first line of `bytes` if it ends (with CRLF, or a bare LF when `bare_lf`) within the probe
// window.
std::optional<ProbedLine> ProbeLine(std::string_view bytes, bool bare_lf) {
  const size_t newline = bytes.substr(0, kMaxProbedLineBytes).find('\n');
  if (newline == std::string_view::npos) return std::nullopt;
  std::string_view text = bytes.substr(0, newline);
  if (!text.empty() && text.back() == '\r') {
    text.remove_suffix(1);
  } else if (!bare_lf) {
    return std::nullopt;
  }
  return ProbedLine{text, newline + 1};
}

bool PlausibleRequestStart(std::string_view bytes) {
  if (bytes.empty()) return false;
  if (bytes[0] != '*') {
    // An inline command: its first word must be a command we know.
    if (!IsAsciiLetter(bytes[0])) return false;
    const std::optional<ProbedLine> line = ProbeLine(bytes, /*bare_lf=*/true);
    if (!line) return false;
    return IsKnownCommand(line->text.substr(0, line->text.find_first_of(" \t")));
  }
  const std::optional<ProbedLine> count = ProbeLine(bytes, false);
  if (!count) return false;
  const std::optional<Header> elements =
      ParseHeader(count->text.substr(1), kMaxAggregateCount, false);
  if (!elements || elements->kind != Header::Kind::kLength || elements->value == 0) return false;
  const std::string_view rest = bytes.substr(count->next);
  const std::optional<ProbedLine> name_header = ProbeLine(rest, false);
  if (!name_header || name_header->text.empty() || name_header->text[0] != '$') return false;
  const std::optional<Header> name_length =
      ParseHeader(name_header->text.substr(1), kMaxCommandNameBytes, false);
  if (!name_length || name_length->kind != Header::Kind::kLength || name_length->value == 0) {
    return false;
  }
  const std::string_view name = rest.substr(name_header->next, name_length->value);
  return std::all_of(name.begin(), name.end(), IsCommandNameByte);
}

bool PlausibleReplyStart(std::string_view bytes) {
  if (bytes.empty() || !IsTypeByte(bytes[0])) return false;
  const std::optional<ProbedLine> line = ProbeLine(bytes, false);
  if (!line) return false;
  const char type = bytes[0];
  const std::string_view text = line->text.substr(1);
  switch (type) {
    case '+':
      return IsPrintable(text);
    case '-':  // an error starts with its upper-case code
      return IsPrintable(text) && !text.empty() && text[0] >= 'A' && text[0] <= 'Z';
    case ':':
    case '(':
      return IsInteger(text);
    case ',':
      return IsDouble(text);
    case '#':
      return text == "t" || text == "f";
    case '_':
      return text.empty();
    case '$':
    case '!':
    case '=':
      return ParseHeader(text, kMaxStringLength, type == '$').has_value();
    default: {
      const std::optional<Header> count =
          ParseHeader(text, kMaxAggregateCount, type != '>' && type != '|');
      if (!count) return false;
      if (count->kind == Header::Kind::kLength && count->value > 0 && line->next < bytes.size()) {
        return IsTypeByte(bytes[line->next]);
      }
      return true;
    }
  }
}

}  // namespace

bool PlausibleMessageStart(std::string_view bytes, StreamKind kind) {
  switch (kind) {
    case StreamKind::kRequests:
      return PlausibleRequestStart(bytes);
    case StreamKind::kResponses:
      return PlausibleReplyStart(bytes);
    case StreamKind::kUnknown:
      break;
  }
  return PlausibleRequestStart(bytes) || PlausibleReplyStart(bytes);
}

RespFramer::RespFramer(StreamKind kind, bool start_lost)
    : kind_(kind), state_(start_lost ? State::kLost : State::kValueStart) {
  stack_.reserve(kMaxDepth);
}

void RespFramer::OnData(std::string_view captured, uint64_t length, uint64_t start_ns,
                        uint64_t end_ns, uint32_t tid, std::optional<uint32_t> tcp_seq) {
  length = std::max<uint64_t>(length, captured.size());
  piece_start_ns_ = start_ns;
  piece_end_ns_ = end_ns;
  piece_tid_ = tid;
  piece_bytes_ = captured;
  piece_tcp_seq_ = tcp_seq;
  // Syscalls usually begin at a message: the start of a piece is the first place to look.
  if (state_ == State::kLost && PlausibleMessageStart(captured, kind_)) state_ = State::kValueStart;
  Consume(captured);
  ConsumeGap(length - captured.size());
  piece_bytes_ = {};
}

void RespFramer::Consume(std::string_view data) {
  while (!data.empty()) {
    size_t used = 0;
    switch (state_) {
      case State::kValueStart:
        used = StartValue(data);
        break;
      case State::kLine:
        used = ReadLine(data);
        break;
      case State::kBody:
        used = ReadBody(data);
        break;
      case State::kLost:
        used = SkipWhileLost(data);
        break;
    }
    data.remove_prefix(used);
  }
}

size_t RespFramer::StartValue(std::string_view data) {
  const char b = data[0];
  if (!in_message_) {
    if (b == '\r' || b == '\n') {
      // Redis skips empty lines between inline commands; a reply stream never has them.
      if (kind_ == StreamKind::kResponses) {
        ++parse_errors_;
        ResetParse();
        state_ = State::kLost;
      }
      return 1;
    }
    if (IsTypeByte(b)) {
      BeginMessage(data.data());
      current_.type = b;
      line_type_ = b;
    } else if (kind_ != StreamKind::kResponses && IsAsciiLetter(b)) {
      BeginMessage(data.data());
      current_.type = 'I';
      line_type_ = 'I';
    } else {
      ++parse_errors_;  // garbage where a message should start
      ResetParse();
      state_ = State::kLost;
      return 1;
    }
  } else {
    const Level* open = stack_.empty() ? nullptr : &stack_.back();
    const bool in_streamed_string = open && open->streamed && open->type == '$';
    bool valid = false;
    if (b == ';') {
      valid = in_streamed_string;
    } else if (in_streamed_string) {
      valid = false;  // only chunks until ";0"
    } else if (b == '.') {
      valid = open && open->streamed;
    } else {
      valid = IsTypeByte(b);
    }
    if (!valid) {
      BreakMessage();
      return 0;  // looked at again while lost
    }
    if (stack_.empty()) current_.type = b;  // the value an attribute annotated
    line_type_ = b;
  }
  line_.clear();
  line_length_ = 0;
  line_last_byte_ = 0;
  state_ = State::kLine;
  return line_type_ == 'I' ? 0 : 1;  // an inline command's first letter is part of its line
}

size_t RespFramer::ReadLine(std::string_view data) {
  const size_t newline = data.find('\n');
  const size_t take = newline == std::string_view::npos ? data.size() : newline;
  const size_t limit = line_type_ == 'I' ? kMaxKeptInlineBytes : kMaxKeptLineBytes;
  if (line_.size() < limit) line_.append(data.data(), std::min(take, limit - line_.size()));
  if (take > 0) line_last_byte_ = data[take - 1];
  line_length_ += take;
  if (line_length_ > kMaxLineBytes) {
    if (stack_.empty() && !after_attribute_) {
      ++parse_errors_;  // nothing announced this line: just garbage
      ResetParse();
      state_ = State::kLost;
    } else {
      BreakMessage();
    }
    return take;
  }
  if (newline == std::string_view::npos) return take;
  if (line_last_byte_ == '\r') {
    --line_length_;
    if (line_.size() > line_length_) line_.resize(line_length_);
  }
  OnLine();
  return take + 1;
}

size_t RespFramer::ReadBody(std::string_view data) {
  const framing::CrlfBlock::Step step = body_.Read(data);
  std::string& kept = body_value_.prefix;
  if (keep_body_ && kept.size() < kMaxKeptElementBytes) {
    kept.append(step.data.data(), std::min(step.data.size(), kMaxKeptElementBytes - kept.size()));
  }
  switch (step.status) {
    case framing::CrlfBlock::Status::kMore:
      break;
    case framing::CrlfBlock::Status::kDone:
      FinishBody();
      break;
    case framing::CrlfBlock::Status::kBadTerminator:  // the announced length was wrong: not RESP
      BreakMessage();
      break;
  }
  return step.used;
}

size_t RespFramer::SkipWhileLost(std::string_view data) {
  const framing::ResyncScan scan =
      framing::SkipToPlausibleLineStart(data, kind_, PlausibleMessageStart);
  skipped_bytes_ += scan.skipped;
  if (scan.found) state_ = State::kValueStart;
  return scan.skipped;
}

void RespFramer::ConsumeGap(uint64_t gap) {
  if (gap == 0) return;
  if (state_ == State::kBody) {
    // Inside a string the length is known: the gap only costs the string its bytes.
    const std::optional<uint64_t> past_end = body_.SkipGap(gap);
    if (!past_end) return;
    FinishBody();
    gap = *past_end;
    if (gap == 0) return;
  }
  skipped_bytes_ += gap;
  if (state_ == State::kLost) return;
  ++sync_losses_;
  LoseBoundaries();
}

void RespFramer::OnLine() {
  state_ = State::kValueStart;
  switch (line_type_) {
    case 'I':
      return OnInline();
    case '$':
    case '!':
    case '=':
      return OnStringHeader();
    case ';':
      return OnChunkHeader();
    case '*':
    case '%':
    case '~':
    case '>':
    case '|':
      return OnAggregateHeader();
    case '.':
      return OnStreamEnd();
    default:
      break;
  }
  const std::string_view text = line_;
  bool valid = true;
  switch (line_type_) {
    case ':':
    case '(':
      valid = IsInteger(text);
      break;
    case ',':
      valid = IsDouble(text);
      break;
    case '#':
      valid = text == "t" || text == "f";
      break;
    case '_':
      valid = line_length_ == 0;
      break;
    default:  // '+', '-': any text
      break;
  }
  if (!valid) {
    if (stack_.empty() && !after_attribute_) {
      RejectLine();
    } else {
      BreakMessage();
    }
    return;
  }
  Element value;
  value.type = line_type_;
  value.prefix = line_;
  value.size = line_length_;
  value.null = line_type_ == '_';
  if (stack_.empty()) {
    current_.head = line_;
    current_.null = value.null;
  }
  CompleteValue(std::move(value));
}

void RespFramer::OnInline() {
  // Words split on blanks. (Redis also honours quotes in inline commands; the command name, the
  // part that matters, never needs them.) A line longer than what is kept loses its last words.
  std::vector<Element> words;
  uint64_t count = 0;
  std::string_view rest = line_;
  for (;;) {
    const size_t begin = rest.find_first_not_of(" \t");
    if (begin == std::string_view::npos) break;
    rest.remove_prefix(begin);
    const size_t end = std::min(rest.find_first_of(" \t"), rest.size());
    ++count;
    if (words.size() < kMaxKeptElements) {
      Element word;
      word.type = '$';
      word.prefix = std::string(rest.substr(0, end));
      word.size = end;
      words.push_back(std::move(word));
    }
    rest.remove_prefix(end);
  }
  if (count == 0) {  // a blank line: Redis ignores it
    ResetParse();
    return;
  }
  if (!IsKnownCommand(words[0].prefix)) {
    RejectLine();
    return;
  }
  current_.elements = std::move(words);
  current_.count = count;
  EmitMessage();
}

void RespFramer::OnStringHeader() {
  const std::optional<Header> header =
      ParseHeader(line_, kMaxStringLength, /*allow_streamed=*/line_type_ == '$');
  if (!header || line_length_ > line_.size()) {
    if (stack_.empty() && !after_attribute_) {
      RejectLine();
    } else {
      BreakMessage();
    }
    return;
  }
  if (header->kind == Header::Kind::kNull) {
    Element value;
    value.type = line_type_;
    value.null = true;
    if (stack_.empty()) current_.null = true;
    CompleteValue(std::move(value));
    return;
  }
  if (header->kind == Header::Kind::kStreamed) {
    PushLevel('$', 0, /*streamed=*/true);
    return;
  }
  body_value_ = Element{};
  body_value_.type = line_type_;
  body_value_.size = header->value;
  keep_body_ = (stack_.empty() && line_type_ == '!') || KeepsBytesOfNextElement();
  StartBody(header->value, /*chunk=*/false);
}

void RespFramer::OnChunkHeader() {
  const std::optional<Header> header = ParseHeader(line_, kMaxStringLength, false);
  if (!header || header->kind != Header::Kind::kLength) {
    BreakMessage();
    return;
  }
  if (header->value == 0) {  // ";0": the streamed string is complete
    Element value;
    value.type = '$';
    value.size = stack_.back().seen;
    stack_.pop_back();
    CompleteValue(std::move(value));
    return;
  }
  stack_.back().seen += header->value;
  keep_body_ = false;
  StartBody(header->value, /*chunk=*/true);
}

void RespFramer::OnAggregateHeader() {
  const std::optional<Header> header =
      ParseHeader(line_, kMaxAggregateCount, line_type_ != '>' && line_type_ != '|');
  if (!header || line_length_ > line_.size()) {
    if (stack_.empty() && !after_attribute_) {
      RejectLine();
    } else {
      BreakMessage();
    }
    return;
  }
  if (stack_.empty() && line_type_ != '|') current_.count = header->value;
  if (header->kind == Header::Kind::kNull) {
    Element value;
    value.type = line_type_;
    value.null = true;
    if (stack_.empty()) current_.null = true;
    CompleteValue(std::move(value));
    return;
  }
  if (header->kind == Header::Kind::kStreamed) {
    PushLevel(line_type_, 0, /*streamed=*/true);
    return;
  }
  if (header->value == 0) {
    Element value;
    value.type = line_type_;
    CompleteValue(std::move(value));
    return;
  }
  PushLevel(line_type_, header->value * ValuesPerEntry(line_type_), /*streamed=*/false);
}

void RespFramer::OnStreamEnd() {
  const Level level = stack_.back();
  stack_.pop_back();
  if (stack_.empty() && level.type != '|') current_.count = level.seen;
  Element value;
  value.type = level.type;
  value.size = level.seen;
  CompleteValue(std::move(value));
}

void RespFramer::StartBody(uint64_t size, bool chunk) {
  body_.Start(size);
  body_is_chunk_ = chunk;
  state_ = State::kBody;
}

void RespFramer::FinishBody() {
  state_ = State::kValueStart;
  if (body_is_chunk_) return;  // the next chunk header follows
  Element value = std::move(body_value_);
  body_value_ = Element{};
  if (stack_.empty() && value.type == '!') current_.head = value.prefix;
  CompleteValue(std::move(value));
}

void RespFramer::PushLevel(char type, uint64_t remaining, bool streamed) {
  if (stack_.size() >= kMaxDepth) {
    BreakMessage();
    return;
  }
  Level level;
  level.type = type;
  level.remaining = remaining;
  level.streamed = streamed;
  stack_.push_back(level);
  state_ = State::kValueStart;
}

void RespFramer::CompleteValue(Element value) {
  state_ = State::kValueStart;
  for (;;) {
    if (stack_.empty()) {
      if (value.type == '|') {
        // An attribute only annotates the value that follows it: the message goes on.
        current_.type = 0;
        current_.count = 0;
        current_.elements.clear();
        after_attribute_ = true;
        return;
      }
      EmitMessage();
      return;
    }
    if (value.type == '|') return;  // not an element of its aggregate either
    Level& parent = stack_.back();
    if (stack_.size() == 1 && parent.type != '|') KeepElement(std::move(value));
    ++parent.seen;
    if (parent.streamed) return;  // ends with "."
    if (--parent.remaining > 0) return;
    value = Element{};
    value.type = parent.type;
    value.size = parent.seen / ValuesPerEntry(parent.type);
    stack_.pop_back();
  }
}

void RespFramer::KeepElement(Element value) {
  if (current_.elements.size() >= MaxKeptElements()) return;
  // Of a reply, only the first element's bytes (a pub/sub event name) and integers (a
  // confirmation's subscription count) are of use: values stay out of memory.
  if (kind_ == StreamKind::kResponses && !current_.elements.empty() && value.type != ':') {
    value.prefix.clear();
  }
  current_.elements.push_back(std::move(value));
}

bool RespFramer::KeepsBytesOfNextElement() const {
  return stack_.size() == 1 && stack_[0].type != '|' &&
         current_.elements.size() < MaxKeptElements() &&
         (kind_ != StreamKind::kResponses || current_.elements.empty());
}

size_t RespFramer::MaxKeptElements() const {
  return kind_ == StreamKind::kResponses ? kMaxKeptReplyElements : kMaxKeptElements;
}

void RespFramer::BeginMessage(const char* first_byte) {
  ResetParse();
  current_.start_ns = piece_start_ns_;
  current_.tid = piece_tid_;
  current_.tcp_seq = framing::TcpSeqAt(piece_bytes_, piece_tcp_seq_, first_byte);
  in_message_ = true;
}

void RespFramer::EmitMessage() {
  current_.end_ns = piece_end_ns_;
  frames_.push_back(std::move(current_));
  ResetParse();
}

void RespFramer::RejectLine() {
  ++parse_errors_;
  ResetParse();
}

void RespFramer::BreakMessage() {
  ++parse_errors_;
  LoseBoundaries();
}

void RespFramer::LoseBoundaries() {
  if (in_message_ && current_.type != 0) {
    current_.cut = true;
    EmitMessage();
  }
  Frame lost;
  lost.kind = Frame::Kind::kSyncLost;
  lost.start_ns = piece_start_ns_;
  lost.end_ns = piece_end_ns_;
  lost.tid = piece_tid_;
  frames_.push_back(std::move(lost));
  ResetParse();
  state_ = State::kLost;
}

void RespFramer::ResetParse() {
  current_ = Frame{};
  stack_.clear();
  in_message_ = false;
  after_attribute_ = false;
  body_.Clear();
  state_ = State::kValueStart;
}

}  // namespace otelbpf::redis
