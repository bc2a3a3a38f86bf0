#include "protocols/memcached/text_framer.h"

#include <algorithm>
#include <iterator>
#include <utility>

#include "protocols/common/resync_scan.h"
#include "protocols/common/stream_position.h"

namespace otelbpf::memcached {
namespace {

constexpr size_t kMaxProbedLineBytes = 512;
constexpr size_t kMaxShortWordBytes = 20;  // lengths and "noreply"; longer words are keys
constexpr uint8_t kRequestMagic = 0x80;    // binary protocol
constexpr uint8_t kResponseMagic = 0x81;

constexpr std::string_view kCommands[] = {
    "get",       "gets",    "gat",         "gats",      "set",       "add",      "replace",
    "append",    "prepend", "cas",         "delete",    "incr",      "decr",     "touch",
    "flush_all", "version", "stats",       "verbosity", "quit",      "shutdown", "cache_memlimit",
    "slabs",     "lru",     "lru_crawler", "watch",     "misbehave", "mg",       "ms",
    "md",        "ma",      "mn",          "me"};

constexpr std::string_view kReplyKeywords[] = {
    "VALUE", "END",   "STORED",       "NOT_STORED",   "EXISTS",  "NOT_FOUND", "DELETED", "TOUCHED",
    "OK",    "ERROR", "CLIENT_ERROR", "SERVER_ERROR", "VERSION", "STAT",      "ITEM",    "PREFIX",
    "RESET", "BUSY",  "BADCLASS",     "NOSPARE",      "NOTFULL", "UNSAFE",    "SAME",    "VA",
    "HD",    "EN",    "NF",           "NS",           "EX",      "MN",        "ME"};

bool IsMagic(char c) {
  const auto u = static_cast<uint8_t>(c);
  return u == kRequestMagic || u == kResponseMagic;
}

// A whole binary-protocol header (24 bytes: magic, opcode, key length, extras length, data type
// 0, vbucket or status, total body length, opaque, cas) whose lengths agree: joining a stream
// mid-way, a magic byte alone could be any byte of a value.
bool LooksLikeBinaryHeader(std::string_view bytes) {
  if (bytes.size() < 24 || !IsMagic(bytes[0])) return false;
  const auto byte = [bytes](size_t i) {
    return static_cast<uint32_t>(static_cast<uint8_t>(bytes[i]));
  };
  const uint32_t key_length = byte(2) << 8 | byte(3);
  const uint32_t extras_length = byte(4);
  const uint32_t body_length = byte(8) << 24 | byte(9) << 16 | byte(10) << 8 | byte(11);
  return byte(5) == 0 && body_length >= key_length + extras_length;
}

bool IsDigits(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool IsPrintableWord(std::string_view word) {
  return !word.empty() && std::all_of(word.begin(), word.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u > 0x20 && u < 0x7f;
  });
}

std::optional<uint64_t> ParseLength(std::string_view digits) {
  if (!IsDigits(digits) || digits.size() > 20) return std::nullopt;
  uint64_t value = 0;
  for (char c : digits) {
    value = value * 10 + static_cast<uint64_t>(c - '0');
    if (value > kMaxDataBytes) return std::nullopt;
  }
  return value;
}

// Which word announces a data block: "set <key> <flags> <exptime> <bytes>" (and the other
// storage commands, "cas" too), "ms <key> <datalen>"; "VALUE <key> <flags> <bytes>",
// "VA <datalen>".
int DataLengthWord(std::string_view first, StreamKind kind) {
  if (kind != StreamKind::kResponses) {
    if (first == "set" || first == "add" || first == "replace" || first == "append" ||
        first == "prepend" || first == "cas") {
      return 4;
    }
    if (first == "ms") return 2;
  }
  if (kind != StreamKind::kRequests) {
    if (first == "VALUE") return 3;
    if (first == "VA") return 1;
  }
  return -1;
}

}  // namespace

bool IsKnownCommand(std::string_view word) {
  return std::find(std::begin(kCommands), std::end(kCommands), word) != std::end(kCommands);
}

bool IsReplyKeyword(std::string_view word) {
  return std::find(std::begin(kReplyKeywords), std::end(kReplyKeywords), word) !=
         std::end(kReplyKeywords);
}

bool PlausibleLineStart(std::string_view bytes, StreamKind kind) {
  const size_t end = bytes.find_first_of(" \r\n");
  if (end == std::string_view::npos || end == 0 || end > kMaxWordBytes) return false;
  const std::string_view word = bytes.substr(0, end);
  if (kind != StreamKind::kResponses && IsKnownCommand(word) &&
      (bytes[end] == ' ' || bytes.substr(end, 2) == "\r\n")) {
    return true;
  }
  if (kind == StreamKind::kRequests) return false;
  const size_t newline = bytes.substr(0, kMaxProbedLineBytes).find('\n');
  if (newline == std::string_view::npos || bytes[newline - 1] != '\r') return false;
  return IsReplyKeyword(word) || IsDigits(word);
}

TextFramer::TextFramer(StreamKind kind, bool start_lost)
    : kind_(kind), state_(start_lost ? State::kLost : State::kLineStart) {}

void TextFramer::OnData(std::string_view captured, uint64_t length, uint64_t start_ns,
                        uint64_t end_ns, uint32_t tid, std::optional<uint32_t> tcp_seq) {
  length = std::max<uint64_t>(length, captured.size());
  piece_start_ns_ = start_ns;
  piece_end_ns_ = end_ns;
  piece_tid_ = tid;
  piece_bytes_ = captured;
  piece_tcp_seq_ = tcp_seq;
  if (state_ == State::kLost && !seen_text_ && LooksLikeBinaryHeader(captured)) {
    state_ = State::kLineStart;  // StartLine reports it
  }
  if (state_ == State::kLost && PlausibleLineStart(captured, kind_)) state_ = State::kLineStart;
  Consume(captured);
  ConsumeGap(length - captured.size());
  piece_bytes_ = {};
}

void TextFramer::Consume(std::string_view data) {
  while (!data.empty()) {
    size_t used = 0;
    switch (state_) {
      case State::kLineStart:
        used = StartLine(data);
        break;
      case State::kLine:
        used = ReadLine(data);
        break;
      case State::kDiscardLine:
        used = DiscardLine(data);
        break;
      case State::kBlock:
        used = ReadBlock(data);
        break;
      case State::kLost:
        used = SkipWhileLost(data);
        break;
    }
    data.remove_prefix(used);
  }
}

size_t TextFramer::StartLine(std::string_view data) {
  const char c = data[0];
  if (!seen_text_ && IsMagic(c)) {
    // The binary protocol: nothing more here is text.
    Line binary;
    binary.kind = Line::Kind::kBinary;
    binary.start_ns = piece_start_ns_;
    binary.end_ns = piece_end_ns_;
    binary.tid = piece_tid_;
    lines_.push_back(std::move(binary));
    seen_text_ = true;
    state_ = State::kLost;
    skipped_bytes_ += data.size();
    return data.size();
  }
  current_ = Line{};
  current_.start_ns = piece_start_ns_;
  current_.tid = piece_tid_;
  current_.tcp_seq = framing::TcpSeqAt(piece_bytes_, piece_tcp_seq_, data.data());
  line_length_ = 0;
  in_word_ = false;
  word_.clear();
  word_length_ = 0;
  data_word_ = -1;
  data_length_word_.clear();
  last_word_.clear();
  state_ = State::kLine;
  return 0;
}

size_t TextFramer::ReadLine(std::string_view data) {
  for (size_t i = 0; i < data.size(); ++i) {
    const char c = data[i];
    if (c == '\n') {
      EndLine();
      return i + 1;
    }
    AddByte(c);
    if (++line_length_ > kMaxLineBytes) {
      ++parse_errors_;
      state_ = State::kDiscardLine;
      return i + 1;
    }
  }
  return data.size();
}

size_t TextFramer::DiscardLine(std::string_view data) {
  const size_t newline = data.find('\n');
  if (newline == std::string_view::npos) return data.size();
  state_ = State::kLineStart;
  return newline + 1;
}

size_t TextFramer::ReadBlock(std::string_view data) {
  const framing::CrlfBlock::Step step = block_.Read(data);
  switch (step.status) {
    case framing::CrlfBlock::Status::kMore:
      break;
    case framing::CrlfBlock::Status::kDone:
      Emit();
      break;
    case framing::CrlfBlock::Status::kBadTerminator:
      // The announced length was wrong ("CLIENT_ERROR bad data chunk"): where the next line
      // starts is unknown.
      ++parse_errors_;
      LoseBoundaries();
      break;
  }
  return step.used;
}

size_t TextFramer::SkipWhileLost(std::string_view data) {
  const framing::ResyncScan scan =
      framing::SkipToPlausibleLineStart(data, kind_, PlausibleLineStart);
  skipped_bytes_ += scan.skipped;
  if (scan.found) state_ = State::kLineStart;
  return scan.skipped;
}

void TextFramer::ConsumeGap(uint64_t gap) {
  if (gap == 0) return;
  if (state_ == State::kBlock) {
    // A data block's length is known: the gap only costs it its bytes.
    const std::optional<uint64_t> past_end = block_.SkipGap(gap);
    if (!past_end) return;
    Emit();
    gap = *past_end;
    if (gap == 0) return;
  }
  skipped_bytes_ += gap;
  if (state_ == State::kLost) return;
  ++sync_losses_;
  LoseBoundaries();
}

void TextFramer::AddByte(char c) {
  if (c == ' ' || c == '\t' || c == '\r') {
    if (in_word_) EndWord();
    return;
  }
  if (!in_word_) {
    in_word_ = true;
    word_.clear();
    word_length_ = 0;
  }
  const size_t keep = current_.words == 0 ? kMaxWordBytes : kMaxShortWordBytes;
  if (word_.size() < keep) word_ += c;
  ++word_length_;
}

void TextFramer::EndWord() {
  in_word_ = false;
  const uint64_t index = current_.words++;
  const bool whole = word_length_ == word_.size();
  if (index == 0) {
    current_.word = word_;
    current_.word_whole = whole;
    if (whole) data_word_ = DataLengthWord(word_, kind_);
  } else if (data_word_ >= 0 && index == static_cast<uint64_t>(data_word_)) {
    data_length_word_ = whole ? word_ : std::string();
  }
  if (index >= 2 && whole && word_ == "q") current_.quiet = true;
  last_word_ = whole && word_.size() <= 8 ? word_ : std::string();
  word_.clear();
}

void TextFramer::EndLine() {
  if (in_word_) EndWord();
  current_.noreply = current_.words > 1 && last_word_ == "noreply";
  last_word_.clear();
  if (current_.words == 0) {  // a blank line: servers send none
    if (kind_ == StreamKind::kResponses) ++parse_errors_;
    state_ = State::kLineStart;
    return;
  }
  if (!IsPrintableWord(current_.word)) {  // not text: garbage up to here
    ++parse_errors_;
    state_ = State::kLineStart;
    return;
  }
  seen_text_ = true;
  if (data_word_ >= 0) {
    // Without a valid length memcached refuses the line and reads no block ("CLIENT_ERROR bad
    // command line format").
    if (const std::optional<uint64_t> bytes = ParseLength(data_length_word_)) {
      current_.data_bytes = *bytes;
      block_.Start(*bytes);
      state_ = State::kBlock;
      return;
    }
  }
  Emit();
}

void TextFramer::Emit() {
  current_.end_ns = piece_end_ns_;
  lines_.push_back(std::move(current_));
  current_ = Line{};
  state_ = State::kLineStart;
}

void TextFramer::LoseBoundaries() {
  if (state_ == State::kLine || state_ == State::kBlock) {
    if (in_word_) {
      // A word cut by the gap is not a word we can trust.
      if (current_.words == 0) {
        current_.word = word_;
        current_.word_whole = false;
      }
      ++current_.words;
      in_word_ = false;
    }
    current_.cut = true;
    if (current_.words > 0 && IsPrintableWord(current_.word)) {
      seen_text_ = true;
      Emit();
    }
  }
  Line lost;
  lost.kind = Line::Kind::kSyncLost;
  lost.start_ns = piece_start_ns_;
  lost.end_ns = piece_end_ns_;
  lost.tid = piece_tid_;
  lines_.push_back(std::move(lost));
  current_ = Line{};
  word_.clear();
  last_word_.clear();
  block_.Clear();
  state_ = State::kLost;
}

}  // namespace otelbpf::memcached
