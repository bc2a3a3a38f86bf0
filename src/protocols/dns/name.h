// Domain names in DNS wire form (RFC 1035 sections 3.1 and 4.1.4): labels, compression
// pointers, and the checks that keep hostile bytes from looping or reading out of bounds.
//
// Names are reported as sent, case preserved: the semantic conventions ask for dns.question.name
// "without any additional normalization", and resolvers that randomise case (DNS 0x20) make the
// case itself meaningful. Comparisons (NamesEqual) ignore ASCII case, as DNS does (RFC 4343).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace otelbpf::dns {

inline constexpr size_t kMaxLabelLength = 63;      // RFC 1035 section 2.3.4
inline constexpr size_t kMaxNameWireLength = 255;  // octets, length bytes and root label included
// A name has at most 127 labels, so a legitimate name never follows more pointers than that.
inline constexpr size_t kMaxPointerJumps = 127;

// Why a parse stopped. kNone: well-formed.
enum class ParseError : uint8_t {
  kNone = 0,
  kTruncated,    // the bytes ended inside the header, a name or a record (or counts lied)
  kNameTooLong,  // a name longer than 255 octets in wire form
  // A length octet with type bits 01 or 10 (0x40..0xBF). A label longer than 63 octets shows up
  // this way, as its length does not fit in the 6 bits; otherwise it is an extended label type
  // (RFC 6891 deprecated them) or the reserved type 10.
  kBadLabelType,
  kBadPointer,       // a compression pointer that does not point strictly backwards (loop/forward)
  kTooManyPointers,  // more than kMaxPointerJumps pointers followed for one name
};

// "truncated", "label_too_long", ... for logs and tests.
const char* ParseErrorName(ParseError error);

// Decodes the (possibly compressed) name starting at `offset` of `wire`. On success appends its
// presentation form to `out` and sets `end` to the offset just after the name's own bytes at
// `offset` (after its first pointer, if any). Presentation form: labels joined by '.', no
// trailing dot, "." for the root; '.', '\\' and '"' inside a label are escaped with '\\'; tab,
// CR and LF become \t \r \n; other bytes outside 32..126 become \DDD (decimal), as the semantic
// conventions ask for dns.question.name. On error `out` may hold a partial name.
//
// Pointer rule: every pointer must point strictly before the start of the run of labels it ends
// (the name's start, or the previous pointer's target). Offsets then strictly decrease from jump
// to jump, so no loop can exist, and a name can only refer to names written before it, which is
// what RFC 1035 compression produces.
ParseError DecodeName(std::string_view wire, size_t offset, std::string& out, size_t& end);
// The same walk and checks without building the text (validating records).
ParseError SkipName(std::string_view wire, size_t offset, size_t& end);

// DNS name equality on presentation forms: ASCII case-insensitive (RFC 4343), exact otherwise.
bool NamesEqual(std::string_view a, std::string_view b);

}  // namespace otelbpf::dns
