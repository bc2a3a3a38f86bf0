#include "protocols/dns/name.h"

namespace otelbpf::dns {
namespace {

constexpr uint8_t kLabelTypeMask = 0xC0;
constexpr uint8_t kPlainLabel = 0x00;
constexpr uint8_t kPointer = 0xC0;

// Appends one label's octets in presentation form (see DecodeName).
void AppendEscapedLabel(std::string_view label, std::string& out) {
  for (const char ch : label) {
    const auto c = static_cast<uint8_t>(ch);
    switch (c) {
      case '.':
      case '\\':
      case '"':
        out.push_back('\\');
        out.push_back(ch);
        break;
      case '\t':
        out.append("\\t");
        break;
      case '\r':
        out.append("\\r");
        break;
      case '\n':
        out.append("\\n");
        break;
      default:
        if (c < 32 || c > 126) {
          out.push_back('\\');
          out.push_back(static_cast<char>('0' + c / 100));
          out.push_back(static_cast<char>('0' + c / 10 % 10));
          out.push_back(static_cast<char>('0' + c % 10));
        } else {
          out.push_back(ch);
        }
    }
  }
}

// The one walk behind DecodeName and SkipName; `out` is null when only validating.
ParseError WalkName(std::string_view wire, size_t offset, std::string* out, size_t& end) {
  size_t pos = offset;
  size_t run_start = offset;  // pointers must land strictly below this
  size_t jumps = 0;
  bool jumped = false;
  size_t wire_length = 1;  // the root label's length octet, counted up front
  size_t labels = 0;
  while (true) {
    if (pos >= wire.size()) return ParseError::kTruncated;
    const auto length = static_cast<uint8_t>(wire[pos]);
    const uint8_t type = length & kLabelTypeMask;
    if (type == kPointer) {
      if (pos + 1 >= wire.size()) return ParseError::kTruncated;
      const size_t target = (size_t{length & 0x3Fu} << 8) | static_cast<uint8_t>(wire[pos + 1]);
      if (target >= run_start) return ParseError::kBadPointer;
      if (++jumps > kMaxPointerJumps) return ParseError::kTooManyPointers;
      if (!jumped) end = pos + 2;
      jumped = true;
      pos = run_start = target;
      continue;
    }
    if (type != kPlainLabel) return ParseError::kBadLabelType;
    if (length == 0) {
      if (!jumped) end = pos + 1;
      if (out != nullptr && labels == 0) out->push_back('.');
      return ParseError::kNone;
    }
    wire_length += 1 + length;
    if (wire_length > kMaxNameWireLength) return ParseError::kNameTooLong;
    if (length > wire.size() - pos - 1) return ParseError::kTruncated;
    if (out != nullptr) {
      if (labels > 0) out->push_back('.');
      AppendEscapedLabel(wire.substr(pos + 1, length), *out);
    }
    ++labels;
    pos += 1 + length;
  }
}

char AsciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

}  // namespace

const char* ParseErrorName(ParseError error) {
  switch (error) {
    case ParseError::kNone:
      return "none";
    case ParseError::kTruncated:
      return "truncated";
    case ParseError::kNameTooLong:
      return "name_too_long";
    case ParseError::kBadLabelType:
      return "bad_label_type";
    case ParseError::kBadPointer:
      return "bad_pointer";
    case ParseError::kTooManyPointers:
      return "too_many_pointers";
  }
  return "unknown";
}

ParseError DecodeName(std::string_view wire, size_t offset, std::string& out, size_t& end) {
  return WalkName(wire, offset, &out, end);
}

ParseError SkipName(std::string_view wire, size_t offset, size_t& end) {
  return WalkName(wire, offset, nullptr, end);
}

bool NamesEqual(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (AsciiLower(a[i]) != AsciiLower(b[i])) return false;
  }
  return true;
}

}  // namespace otelbpf::dns
