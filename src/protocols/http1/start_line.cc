#include "protocols/http1/start_line.h"

#include <algorithm>

#include "protocols/common/http_semantics.h"

namespace otelbpf::http1 {
namespace {

constexpr std::string_view kVersionPrefix = "HTTP/1.";
constexpr size_t kMaxMethodLength = 20;
// Reason phrases are a few words; a bound keeps resynchronisation over text linear-ish and
// rejects long runs of text that merely start like a status line.
constexpr size_t kMaxReasonPhraseLength = 512;

enum class Match : uint8_t { kYes, kNo, kNeedMore };

bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsMethodChar(char c) { return IsUpper(c) || c == '-' || c == '_'; }
// Visible ASCII, plus bytes >= 0x80 (some clients send raw UTF-8 paths); never space/controls.
bool IsTargetChar(char c) {
  auto u = static_cast<unsigned char>(c);
  return u > 0x20 && u != 0x7f;
}
bool IsReasonChar(char c) {
  auto u = static_cast<unsigned char>(c);
  return u == '\t' || (u >= 0x20 && u != 0x7f);
}

bool IsPrefixOfKnownMethod(std::string_view partial) {
  return std::any_of(http::kKnownMethods.begin(), http::kKnownMethods.end(),
                     [&](std::string_view m) { return m.substr(0, partial.size()) == partial; });
}

StartLineScan Verdict(Match m, size_t length) {
  switch (m) {
    case Match::kYes:
      return {StartLineScan::kComplete, length};
    case Match::kNeedMore:
      return {StartLineScan::kNeedMore, 0};
    case Match::kNo:
      break;
  }
  return {StartLineScan::kInvalid, 0};
}

// "HTTP/1.0" or "HTTP/1.1" at `pos`; advances past it on kYes.
Match MatchVersion(std::string_view b, size_t& pos) {
  for (char expected : kVersionPrefix) {
    if (pos >= b.size()) return Match::kNeedMore;
    if (b[pos] != expected) return Match::kNo;
    ++pos;
  }
  if (pos >= b.size()) return Match::kNeedMore;
  if (b[pos] != '0' && b[pos] != '1') return Match::kNo;
  ++pos;
  return Match::kYes;
}

// "\r\n" or a bare "\n" (RFC 9112 lets recipients accept it) at `pos`; advances past it.
Match MatchLineEnd(std::string_view b, size_t& pos) {
  if (pos >= b.size()) return Match::kNeedMore;
  if (b[pos] == '\n') {
    ++pos;
    return Match::kYes;
  }
  if (b[pos] != '\r') return Match::kNo;
  if (pos + 1 >= b.size()) return Match::kNeedMore;
  if (b[pos + 1] != '\n') return Match::kNo;
  pos += 2;
  return Match::kYes;
}

// method SP request-target SP HTTP-version CRLF
StartLineScan ScanRequestLine(std::string_view b, MethodPolicy policy) {
  size_t pos = 0;
  while (pos < b.size() && b[pos] != ' ') {
    if (pos >= kMaxMethodLength) return {};
    if (pos == 0 ? !IsUpper(b[pos]) : !IsMethodChar(b[pos])) return {};
    ++pos;
  }
  std::string_view method = b.substr(0, pos);
  const bool method_complete = pos < b.size();
  if (policy == MethodPolicy::kKnownOnly &&
      !(method_complete ? IsKnownMethod(method) : IsPrefixOfKnownMethod(method))) {
    return {};
  }
  if (!method_complete) return {StartLineScan::kNeedMore, 0};
  if (method.empty()) return {};
  ++pos;  // SP

  const size_t target_begin = pos;
  while (pos < b.size() && b[pos] != ' ') {
    if (!IsTargetChar(b[pos])) return {};
    ++pos;
  }
  if (pos >= b.size()) return {StartLineScan::kNeedMore, 0};
  if (pos == target_begin) return {};
  ++pos;  // SP

  Match m = MatchVersion(b, pos);
  if (m != Match::kYes) return Verdict(m, 0);
  m = MatchLineEnd(b, pos);
  return Verdict(m, pos);
}

// HTTP-version SP 3DIGIT [SP reason-phrase] CRLF. Some servers omit the reason and its space.
StartLineScan ScanStatusLine(std::string_view b) {
  size_t pos = 0;
  Match m = MatchVersion(b, pos);
  if (m != Match::kYes) return Verdict(m, 0);
  if (pos >= b.size()) return {StartLineScan::kNeedMore, 0};
  if (b[pos++] != ' ') return {};
  for (int digit = 0; digit < 3; ++digit, ++pos) {
    if (pos >= b.size()) return {StartLineScan::kNeedMore, 0};
    const char c = b[pos];
    if (digit == 0 ? (c < '1' || c > '5') : !IsDigit(c)) return {};
  }
  if (pos >= b.size()) return {StartLineScan::kNeedMore, 0};
  if (b[pos] == ' ') {
    ++pos;
    const size_t reason_begin = pos;
    while (pos < b.size() && b[pos] != '\r' && b[pos] != '\n') {
      if (!IsReasonChar(b[pos]) || pos - reason_begin >= kMaxReasonPhraseLength) return {};
      ++pos;
    }
  }
  m = MatchLineEnd(b, pos);
  return Verdict(m, pos);
}

}  // namespace

bool MayBeginStartLine(char c) {
  // First letters of the known methods, and 'H' of "HTTP/1.".
  switch (c) {
    case 'G':
    case 'H':
    case 'P':
    case 'D':
    case 'C':
    case 'O':
    case 'T':
      return true;
    default:
      return false;
  }
}

StartLineScan ScanStartLine(std::string_view bytes, StreamKind kind, MethodPolicy policy) {
  if (bytes.empty()) return {StartLineScan::kNeedMore, 0};
  if (kind != StreamKind::kRequests) {
    const size_t n = std::min(bytes.size(), kVersionPrefix.size());
    if (bytes.substr(0, n) == kVersionPrefix.substr(0, n)) {
      // "HTT" could still turn out to be a method on a stream of unknown kind: wait and see.
      if (n < kVersionPrefix.size() && kind == StreamKind::kAny) {
        return {StartLineScan::kNeedMore, 0};
      }
      return ScanStatusLine(bytes);
    }
    if (kind == StreamKind::kResponses) return {};
  }
  return ScanRequestLine(bytes, policy);
}

void ParseStartLine(std::string_view line, Message& message) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (line.substr(0, kVersionPrefix.size()) == kVersionPrefix) {
    // "HTTP/1.1 200 OK": validated, so the offsets are fixed.
    message.is_request = false;
    message.version.assign(line.substr(5, 3));
    message.status_code = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
    return;
  }
  message.is_request = true;
  const size_t first_space = line.find(' ');
  const size_t last_space = line.rfind(' ');
  message.method.assign(line.substr(0, first_space));
  message.target.assign(line.substr(first_space + 1, last_space - first_space - 1));
  message.version.assign(line.substr(last_space + 1 + 5, 3));  // skip "HTTP/"
}

bool ParseTruncatedStartLine(std::string_view prefix, Message& message) {
  if (prefix.substr(0, std::min(prefix.size(), kVersionPrefix.size())) ==
      kVersionPrefix.substr(0, std::min(prefix.size(), kVersionPrefix.size()))) {
    constexpr size_t kStatusEnd = 12;  // "HTTP/1.1 200"
    if (prefix.size() < kStatusEnd) return false;
    ParseStartLine(prefix.substr(0, kStatusEnd), message);
    return true;
  }
  const size_t first_space = prefix.find(' ');
  if (first_space == std::string_view::npos || first_space + 1 >= prefix.size()) return false;
  message.is_request = true;
  message.method.assign(prefix.substr(0, first_space));
  std::string_view rest = prefix.substr(first_space + 1);
  const size_t second_space = rest.find(' ');
  message.target.assign(rest.substr(0, second_space));
  if (second_space != std::string_view::npos) {
    std::string_view version = rest.substr(second_space + 1);
    if (version.size() >= kVersionPrefix.size() + 1) message.version.assign(version.substr(5, 3));
  }
  return true;
}

}  // namespace otelbpf::http1
