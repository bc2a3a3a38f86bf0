// One DNS message (RFC 1035 section 4) decoded from its wire bytes: the header, the first
// question, and a validating walk over the resource records. Pure: bytes in, struct out.
//
// Never reads outside `wire`, never throws, allocates only the question name. Hostile input
// (pointer loops, forward pointers, oversized labels or names, counts that promise more records
// than there are bytes) ends the parse with a ParseError; what was decoded before it is kept, so
// a message cut by the capture limit still yields its header and question.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "protocols/dns/name.h"

namespace otelbpf::dns {

inline constexpr size_t kHeaderSize = 12;

// Where in the message the parse stopped (meaningful when the error is not kNone).
enum class Section : uint8_t { kHeader, kQuestion, kAnswer, kAuthority, kAdditional };

struct Header {
  uint16_t id = 0;
  bool is_response = false;          // QR
  uint8_t opcode = 0;                // 0 QUERY, 1 IQUERY, 2 STATUS, 4 NOTIFY, 5 UPDATE, 6 DSO
  bool authoritative = false;        // AA
  bool truncated = false;            // TC: the answer did not fit (UDP); the client retries on TCP
  bool recursion_desired = false;    // RD
  bool recursion_available = false;  // RA
  uint8_t rcode = 0;                 // the header's 4 bits; see Message::rcode for the full code
  uint16_t question_count = 0;       // QDCOUNT
  uint16_t answer_count = 0;         // ANCOUNT
  uint16_t authority_count = 0;      // NSCOUNT
  uint16_t additional_count = 0;     // ARCOUNT
};

struct Question {
  std::string name;  // presentation form, case preserved: see name.h
  uint16_t type = 0;
  uint16_t qclass = 0;  // 1 IN
};

struct Message {
  Header header;
  // The first question, when it decoded. Further questions (rare: most servers refuse them)
  // are only validated; header.question_count tells how many there were.
  std::optional<Question> question;
  // The response code with the EDNS extension (RFC 6891: the OPT record's upper 8 bits above the
  // header's 4); equals header.rcode when there is no OPT record or the walk did not reach it.
  uint16_t rcode = 0;
};

struct ParseResult {
  ParseError error = ParseError::kNone;
  Section failed_in = Section::kHeader;  // meaningful when error != kNone
  Message message;                       // what was decoded before the error

  bool ok() const { return error == ParseError::kNone; }
  // The header fields are valid (the message was at least 12 bytes long).
  bool header_ok() const { return ok() || failed_in != Section::kHeader; }
};

ParseResult ParseMessage(std::string_view wire);
// Only the fixed 12-byte header; nullopt when `wire` is shorter.
std::optional<Header> ParseHeader(std::string_view wire);

}  // namespace otelbpf::dns
