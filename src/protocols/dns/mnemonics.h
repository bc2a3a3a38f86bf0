// Text for the numbers in DNS messages, from the IANA "Domain Name System (DNS) Parameters"
// registry: resource record types and response codes.
#pragma once

#include <cstdint>
#include <string>

namespace otelbpf::dns {

// Well-known type numbers the rest of the code refers to.
inline constexpr uint16_t kTypeA = 1;
inline constexpr uint16_t kTypeAaaa = 28;
inline constexpr uint16_t kTypeOpt = 41;  // EDNS pseudo-record (RFC 6891)

inline constexpr uint16_t kRcodeNoError = 0;

// "A", "AAAA", "HTTPS", ... else the number as text ("65280").
std::string TypeName(uint16_t type);
// Whether TypeName has a mnemonic for `type`.
bool IsKnownType(uint16_t type);
// "NOERROR", "NXDOMAIN", ..., the EDNS/TSIG extended codes ("BADVERS", "BADCOOKIE"), else the
// number as text.
std::string RcodeName(uint16_t rcode);

}  // namespace otelbpf::dns
