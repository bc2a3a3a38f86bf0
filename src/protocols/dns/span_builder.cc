#include "protocols/dns/span_builder.h"

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "protocols/dns/mnemonics.h"

namespace otelbpf::dns {
namespace {

// error.type values for lookups that got no response (documented in span_builder.h).
constexpr std::string_view kErrorTimeout = "timeout";
constexpr std::string_view kErrorClosed = "closed_before_response";

std::optional<std::string> ErrorType(const Exchange& exchange) {
  switch (exchange.error) {
    case ExchangeError::kTimeout:
      return std::string(kErrorTimeout);
    case ExchangeError::kClosed:
      return std::string(kErrorClosed);
    case ExchangeError::kNone:
      break;
  }
  if (exchange.response && exchange.response->rcode != kRcodeNoError) {
    return RcodeName(exchange.response->rcode);
  }
  return std::nullopt;
}

}  // namespace

Span BuildDnsSpan(const Exchange& exchange, const ConnectionInfo& connection,
                  uint64_t monotonic_to_realtime_ns) {
  Span span;
  span.resource = connection.resource;
  span.kind = SpanKind::kClient;
  span.family = SemanticFamily::kDns;
  const std::string type = TypeName(exchange.question_type);
  span.name = IsKnownType(exchange.question_type) ? "DNS " + type : "DNS";
  span.start_time_unix_nano = exchange.query_start_ns + monotonic_to_realtime_ns;
  span.end_time_unix_nano =
      std::max(exchange.end_ns + monotonic_to_realtime_ns, span.start_time_unix_nano);

  Attributes& a = span.attributes;
  a.reserve(14);
  a.push_back({"dns.question.name", exchange.question_name});
  a.push_back({"dns.question.type", type});
  if (const std::optional<ResponseInfo>& response = exchange.response) {
    a.push_back({"dns.response_code", RcodeName(response->rcode)});
    a.push_back({"dns.answer.count", static_cast<int64_t>(response->answer_count)});
    if (response->truncated) a.push_back({"dns.response.truncated", true});
  }
  if (exchange.retransmissions > 0) {
    a.push_back({"dns.query.retransmissions", static_cast<int64_t>(exchange.retransmissions)});
  }
  a.push_back({"network.protocol.name", std::string("dns")});
  a.push_back({"network.transport", std::string(exchange.over_tcp ? "tcp" : "udp")});
  const Endpoint& server = connection.peer;
  if (!server.address.empty()) {
    a.push_back({"network.peer.address", server.address});
    a.push_back({"server.address", server.address});
    if (server.port != 0) {
      a.push_back({"network.peer.port", static_cast<int64_t>(server.port)});
      a.push_back({"server.port", static_cast<int64_t>(server.port)});
    }
  }
  if (std::optional<std::string> error = ErrorType(exchange)) {
    a.push_back({"error.type", std::move(*error)});
    span.status = StatusCode::kError;
  }
  return span;
}

}  // namespace otelbpf::dns
