#include "protocols/http1/headers.h"

#include <string>

#include "protocols/common/ascii.h"

namespace otelbpf::http1 {
namespace {

// RFC 9110 tchar.
bool IsTokenChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return c != '\0' && std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsTokenChar(c)) return false;
  }
  return true;
}

// Transfer-Encoding is a comma-separated list; the body is chunked when chunked is last.
bool FinalCodingIsChunked(std::string_view value) {
  const size_t comma = value.rfind(',');
  std::string_view last = comma == std::string_view::npos ? value : value.substr(comma + 1);
  return ascii::EqualsIgnoreCase(TrimOws(last), "chunked");
}

void NoteFraming(std::string_view name, std::string_view value, BodyFraming& framing) {
  if (ascii::EqualsIgnoreCase(name, "content-length")) {
    std::optional<uint64_t> length = ParseContentLength(value);
    if (!length || (framing.content_length && *framing.content_length != *length)) {
      framing.content_length_invalid = true;
    } else {
      framing.content_length = length;
    }
  } else if (ascii::EqualsIgnoreCase(name, "transfer-encoding")) {
    // Several Transfer-Encoding lines form one list: the last line holds the final coding.
    framing.has_transfer_encoding = true;
    framing.chunked = FinalCodingIsChunked(value);
  }
}

}  // namespace

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

const std::string* Message::FindHeader(std::string_view name) const {
  for (const Header& h : headers) {
    if (ascii::EqualsIgnoreCase(h.name, name)) return &h.value;
  }
  return nullptr;
}

std::optional<uint64_t> ParseContentLength(std::string_view value) {
  constexpr size_t kMaxDigits = 18;  // fits uint64_t with room; no real body is larger
  std::optional<uint64_t> result;
  while (true) {
    const size_t comma = value.find(',');
    std::string_view item = TrimOws(value.substr(0, comma));
    if (item.empty() || item.size() > kMaxDigits) return std::nullopt;
    uint64_t n = 0;
    for (char c : item) {
      if (c < '0' || c > '9') return std::nullopt;
      n = n * 10 + static_cast<uint64_t>(c - '0');
    }
    if (result && *result != n) return std::nullopt;
    result = n;
    if (comma == std::string_view::npos) return result;
    value.remove_prefix(comma + 1);
  }
}

bool IsReportedHeader(std::string_view name) {
  switch (name.size()) {  // the length first: most fields are none of these
    case 4:
      return ascii::EqualsIgnoreCase(name, "host");
    case 7:
      return ascii::EqualsIgnoreCase(name, "upgrade");
    case 10:
      return ascii::EqualsIgnoreCase(name, "user-agent") || ascii::EqualsIgnoreCase(name, "tracestate");
    case 11:
      return ascii::EqualsIgnoreCase(name, "traceparent");
    default:
      return false;
  }
}

void ParseHeaderFields(std::string_view field_lines, Message& message, BodyFraming& framing,
                       HeaderSelection keep) {
  size_t stored_bytes = 0;
  for (const Header& h : message.headers) stored_bytes += h.name.size() + h.value.size();
  while (true) {
    const size_t lf = field_lines.find('\n');
    if (lf == std::string_view::npos) return;  // no more complete lines
    std::string_view line = field_lines.substr(0, lf);
    field_lines.remove_prefix(lf + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) return;  // the blank line: end of the header block
    // Obsolete line folding (a line starting with whitespace) continues the previous value;
    // nothing we report needs it, so the continuation is ignored.
    if (line.front() == ' ' || line.front() == '\t') continue;
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view name = line.substr(0, colon);
    // Content-Length and Transfer-Encoding decide framing; only they and the stored fields are
    // looked at further. A name equal to one of those (any case) is a valid token already.
    const bool framing_name = name.size() == 14 || name.size() == 17;
    const bool store = keep == HeaderSelection::kAll ? IsToken(name) : IsReportedHeader(name);
    if (!store && !framing_name) continue;
    std::string_view value = TrimOws(line.substr(colon + 1));
    if (framing_name) NoteFraming(name, value, framing);
    if (!store) continue;
    const size_t cost = name.size() + value.size();
    if (message.headers.size() >= kMaxHeaders || stored_bytes + cost > kMaxHeaderBytes) {
      message.truncated = true;
      continue;
    }
    stored_bytes += cost;
    // Most requests and responses carry a handful to a dozen fields: growing the vector one
    // doubling at a time moved every stored string 4 times (11 % of replay CPU with malloc).
    if (message.headers.empty())
      message.headers.reserve(keep == HeaderSelection::kReported ? 4 : kTypicalHeaders);
    message.headers.push_back(Header{std::string(name), std::string(value)});
  }
}

}  // namespace otelbpf::http1
