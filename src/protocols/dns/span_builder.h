// One DNS lookup -> one CLIENT span.
//
// The OpenTelemetry semantic conventions define DNS metrics but no DNS spans, and their registry
// has only dns.question.name (and dns.answers, a string list, which our span model cannot carry
// and which would put resolved addresses on the wire). The attributes, for the docs:
//
//   dns.question.name        string  registry   queried name, as sent ("www.Example.com")
//   dns.question.type        string  ours       "A", "AAAA", ...; the number as text when unnamed
//   dns.response_code        string  ours       "NOERROR", "NXDOMAIN", ...; with a response only
//   dns.answer.count         int     ours       ANCOUNT of the response; with a response only
//   dns.response.truncated   bool    ours       true when the response had TC set (else absent)
//   dns.query.retransmissions int    ours       identical queries re-sent while pending (if > 0)
//   network.protocol.name    string  registry   "dns"
//   network.transport        string  registry   "udp" / "tcp"
//   network.peer.address/.port       registry   the resolver's socket address
//   server.address/.port             registry   the same (a resolver is known by its address)
//   error.type               string  registry   response code name for any code but NOERROR,
//                                               "timeout", or "closed_before_response"
//
// Span name: "DNS {type}" ("DNS AAAA") for types with a mnemonic, else "DNS": bounded
// cardinality; the queried name is an attribute, never part of the name. Status ERROR exactly
// when error.type is set (NXDOMAIN included: the lookup found nothing).
#pragma once

#include <cstdint>

#include "protocols/common/connection.h"
#include "protocols/dns/exchange.h"
#include "trace/span.h"

namespace otelbpf::dns {

// Ids stay zero: trace assembly assigns them. `monotonic_to_realtime_ns` is added to the
// exchange's monotonic timestamps.
Span BuildDnsSpan(const Exchange& exchange, const ConnectionInfo& connection,
                  uint64_t monotonic_to_realtime_ns);

}  // namespace otelbpf::dns
