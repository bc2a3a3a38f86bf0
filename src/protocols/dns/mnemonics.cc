#include "protocols/dns/mnemonics.h"

#include <algorithm>
#include <array>
#include <string_view>
#include <utility>

namespace otelbpf::dns {
namespace {

using Entry = std::pair<uint16_t, std::string_view>;

// IANA "Resource Record (RR) TYPEs": the data types in use today plus the query-only types.
// Obsolete and experimental types (MD, MF, MB, NULL, ...) are left to their numbers.
// Sorted by number for the binary search.
constexpr std::array kTypes = {
    Entry{1, "A"},      Entry{2, "NS"},          Entry{5, "CNAME"},    Entry{6, "SOA"},
    Entry{12, "PTR"},   Entry{13, "HINFO"},      Entry{15, "MX"},      Entry{16, "TXT"},
    Entry{17, "RP"},    Entry{18, "AFSDB"},      Entry{24, "SIG"},     Entry{25, "KEY"},
    Entry{28, "AAAA"},  Entry{29, "LOC"},        Entry{33, "SRV"},     Entry{35, "NAPTR"},
    Entry{36, "KX"},    Entry{37, "CERT"},       Entry{39, "DNAME"},   Entry{41, "OPT"},
    Entry{42, "APL"},   Entry{43, "DS"},         Entry{44, "SSHFP"},   Entry{45, "IPSECKEY"},
    Entry{46, "RRSIG"}, Entry{47, "NSEC"},       Entry{48, "DNSKEY"},  Entry{49, "DHCID"},
    Entry{50, "NSEC3"}, Entry{51, "NSEC3PARAM"}, Entry{52, "TLSA"},    Entry{53, "SMIMEA"},
    Entry{55, "HIP"},   Entry{59, "CDS"},        Entry{60, "CDNSKEY"}, Entry{61, "OPENPGPKEY"},
    Entry{62, "CSYNC"}, Entry{63, "ZONEMD"},     Entry{64, "SVCB"},    Entry{65, "HTTPS"},
    Entry{99, "SPF"},   Entry{108, "EUI48"},     Entry{109, "EUI64"},  Entry{249, "TKEY"},
    Entry{250, "TSIG"}, Entry{251, "IXFR"},      Entry{252, "AXFR"},   Entry{255, "ANY"},
    Entry{256, "URI"},  Entry{257, "CAA"},
};

// IANA "DNS RCODEs". 16 is BADVERS in an OPT record and BADSIG in a TSIG record; a response
// code taken from a header and its OPT record (what we report) means BADVERS.
constexpr std::array kRcodes = {
    Entry{0, "NOERROR"},  Entry{1, "FORMERR"}, Entry{2, "SERVFAIL"},  Entry{3, "NXDOMAIN"},
    Entry{4, "NOTIMP"},   Entry{5, "REFUSED"}, Entry{6, "YXDOMAIN"},  Entry{7, "YXRRSET"},
    Entry{8, "NXRRSET"},  Entry{9, "NOTAUTH"}, Entry{10, "NOTZONE"},  Entry{11, "DSOTYPENI"},
    Entry{16, "BADVERS"}, Entry{17, "BADKEY"}, Entry{18, "BADTIME"},  Entry{19, "BADMODE"},
    Entry{20, "BADNAME"}, Entry{21, "BADALG"}, Entry{22, "BADTRUNC"}, Entry{23, "BADCOOKIE"},
};

static_assert(std::is_sorted(kTypes.begin(), kTypes.end()));
static_assert(std::is_sorted(kRcodes.begin(), kRcodes.end()));

template <size_t N>
const std::string_view* Find(const std::array<Entry, N>& table, uint16_t value) {
  const auto it = std::lower_bound(table.begin(), table.end(), value,
                                   [](const Entry& e, uint16_t v) { return e.first < v; });
  return it != table.end() && it->first == value ? &it->second : nullptr;
}

template <size_t N>
std::string NameOrNumber(const std::array<Entry, N>& table, uint16_t value) {
  const std::string_view* name = Find(table, value);
  return name != nullptr ? std::string(*name) : std::to_string(value);
}

}  // namespace

std::string TypeName(uint16_t type) { return NameOrNumber(kTypes, type); }

bool IsKnownType(uint16_t type) { return Find(kTypes, type) != nullptr; }

std::string RcodeName(uint16_t rcode) { return NameOrNumber(kRcodes, rcode); }

}  // namespace otelbpf::dns
