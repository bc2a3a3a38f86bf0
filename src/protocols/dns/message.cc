#include "protocols/dns/message.h"

#include <utility>

#include "protocols/dns/mnemonics.h"

namespace otelbpf::dns {
namespace {

// Header flag bits (RFC 1035 section 4.1.1), in the 16-bit word after the id.
constexpr uint16_t kFlagResponse = 0x8000;
constexpr uint16_t kFlagAuthoritative = 0x0400;
constexpr uint16_t kFlagTruncated = 0x0200;
constexpr uint16_t kFlagRecursionDesired = 0x0100;
constexpr uint16_t kFlagRecursionAvailable = 0x0080;
constexpr size_t kQuestionFixedSize = 4;  // QTYPE, QCLASS
constexpr size_t kRecordFixedSize = 10;   // TYPE, CLASS, TTL, RDLENGTH

uint16_t ReadU16(std::string_view wire, size_t offset) {
  return static_cast<uint16_t>((static_cast<uint8_t>(wire[offset]) << 8) |
                               static_cast<uint8_t>(wire[offset + 1]));
}

uint32_t ReadU32(std::string_view wire, size_t offset) {
  return (uint32_t{ReadU16(wire, offset)} << 16) | ReadU16(wire, offset + 2);
}

bool Fits(std::string_view wire, size_t offset, size_t size) {
  return offset <= wire.size() && size <= wire.size() - offset;
}

Header DecodeHeader(std::string_view wire) {
  const uint16_t flags = ReadU16(wire, 2);
  Header h;
  h.id = ReadU16(wire, 0);
  h.is_response = (flags & kFlagResponse) != 0;
  h.opcode = static_cast<uint8_t>((flags >> 11) & 0x0F);
  h.authoritative = (flags & kFlagAuthoritative) != 0;
  h.truncated = (flags & kFlagTruncated) != 0;
  h.recursion_desired = (flags & kFlagRecursionDesired) != 0;
  h.recursion_available = (flags & kFlagRecursionAvailable) != 0;
  h.rcode = static_cast<uint8_t>(flags & 0x0F);
  h.question_count = ReadU16(wire, 4);
  h.answer_count = ReadU16(wire, 6);
  h.authority_count = ReadU16(wire, 8);
  h.additional_count = ReadU16(wire, 10);
  return h;
}

// Walks the questions from `offset`; keeps the first one in `message`.
ParseError ParseQuestions(std::string_view wire, size_t& offset, Message& message) {
  for (uint32_t i = 0; i < message.header.question_count; ++i) {
    std::string name;
    size_t end = 0;
    const ParseError error =
        i == 0 ? DecodeName(wire, offset, name, end) : SkipName(wire, offset, end);
    if (error != ParseError::kNone) return error;
    if (!Fits(wire, end, kQuestionFixedSize)) return ParseError::kTruncated;
    if (i == 0) {
      message.question = Question{std::move(name), ReadU16(wire, end), ReadU16(wire, end + 2)};
    }
    offset = end + kQuestionFixedSize;
  }
  return ParseError::kNone;
}

// Walks `count` resource records from `offset` without decoding their data, except that an OPT
// record in the additional section extends the response code (RFC 6891 section 6.1.3: the
// upper 8 bits of the 12-bit code are the first octet of the OPT record's TTL field).
ParseError SkipRecords(std::string_view wire, size_t& offset, uint16_t count, Section section,
                       Message& message, bool& seen_opt) {
  for (uint32_t i = 0; i < count; ++i) {
    size_t end = 0;
    const ParseError error = SkipName(wire, offset, end);
    if (error != ParseError::kNone) return error;
    if (!Fits(wire, end, kRecordFixedSize)) return ParseError::kTruncated;
    const uint16_t type = ReadU16(wire, end);
    const uint32_t ttl = ReadU32(wire, end + 4);
    const uint16_t data_length = ReadU16(wire, end + 8);
    if (!Fits(wire, end + kRecordFixedSize, data_length)) return ParseError::kTruncated;
    if (type == kTypeOpt && section == Section::kAdditional && !seen_opt) {
      seen_opt = true;  // a second OPT record is itself an error (FORMERR); the first one counts
      message.rcode = static_cast<uint16_t>(((ttl >> 24) << 4) | message.header.rcode);
    }
    offset = end + kRecordFixedSize + data_length;
  }
  return ParseError::kNone;
}

}  // namespace

std::optional<Header> ParseHeader(std::string_view wire) {
  if (wire.size() < kHeaderSize) return std::nullopt;
  return DecodeHeader(wire);
}

ParseResult ParseMessage(std::string_view wire) {
  ParseResult result;
  if (wire.size() < kHeaderSize) {
    result.error = ParseError::kTruncated;
    result.failed_in = Section::kHeader;
    return result;
  }
  Message& message = result.message;
  message.header = DecodeHeader(wire);
  message.rcode = message.header.rcode;

  size_t offset = kHeaderSize;
  result.failed_in = Section::kQuestion;
  result.error = ParseQuestions(wire, offset, message);
  if (result.error != ParseError::kNone) return result;

  const Header& h = message.header;
  const std::pair<Section, uint16_t> sections[] = {{Section::kAnswer, h.answer_count},
                                                   {Section::kAuthority, h.authority_count},
                                                   {Section::kAdditional, h.additional_count}};
  bool seen_opt = false;
  for (const auto& [section, count] : sections) {
    result.failed_in = section;
    result.error = SkipRecords(wire, offset, count, section, message, seen_opt);
    if (result.error != ParseError::kNone) return result;
  }
  return result;
}

}  // namespace otelbpf::dns
