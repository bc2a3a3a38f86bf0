// BuildSpan: one HTTP/1 exchange -> one span. The conventions themselves (attributes, redaction,
// error rules) are shared with HTTP/2 (protocols/common/http_semantics.h); this only says what
// an HTTP/1 exchange tells them.
#include <string>
#include <string_view>
#include <vector>

#include "protocols/common/ascii.h"
#include "protocols/common/http_semantics.h"
#include "protocols/http1/headers.h"
#include "protocols/http1/http1_exchange.h"
#include "trace/traceparent.h"

namespace otelbpf::http1 {
namespace {

// error.type of an exchange that did not end cleanly; empty when it did.
std::string_view FailureOf(const Exchange& exchange) {
  const bool reset = exchange.error == ExchangeError::kConnectionReset;
  if (!exchange.response) {
    return reset ? http::kErrorConnectionReset : http::kErrorClosedBeforeResponse;
  }
  switch (exchange.error) {
    case ExchangeError::kConnectionReset:
      return http::kErrorConnectionReset;
    case ExchangeError::kClosedEarly:
      return http::kErrorResponseIncomplete;
    case ExchangeError::kNone:
      break;
  }
  return {};
}

}  // namespace

Span BuildSpan(const Exchange& exchange, const ConnectionInfo& connection,
               const SpanBuildOptions& options) {
  const Message& request = exchange.request;
  const Message* response = exchange.response ? &*exchange.response : nullptr;

  http::HttpCall call;
  call.method = request.method;
  call.target = request.target;
  if (const std::string* host = request.FindHeader("Host")) call.authority = *host;
  call.protocol_version = !request.version.empty() ? request.version
                          : response               ? response->version
                                                   : request.version;
  if (const std::string* user_agent = request.FindHeader("User-Agent")) {
    call.user_agent = *user_agent;
  }
  call.request_body_bytes = request.body_bytes;
  if (response) {
    call.status_code = response->status_code;
    call.response_body_bytes = response->body_bytes;
  }
  call.failure = FailureOf(exchange);
  call.first_byte_ns = request.first_byte_ns;
  call.last_byte_ns = response ? response->last_byte_ns : request.last_byte_ns;
  return http::BuildHttpSpan(call, connection, options);
}

SpanOrigin BuildSpanOrigin(const Exchange& exchange) {
  SpanOrigin origin;
  origin.tid = exchange.request.first_byte_tid;
  origin.exchange_index = exchange.index;
  origin.request_tcp_seq = exchange.request.first_byte_tcp_seq;
  std::vector<std::string_view> traceparents, tracestates;
  for (const Header& h : exchange.request.headers) {
    if (ascii::EqualsIgnoreCase(h.name, "traceparent")) traceparents.push_back(h.value);
    if (ascii::EqualsIgnoreCase(h.name, "tracestate")) tracestates.push_back(h.value);
  }
  // Two traceparent headers would join into one invalid value ("a,b"): ignore both.
  if (traceparents.size() == 1)
    origin.incoming = ParseTraceContext(traceparents.front(), tracestates);
  return origin;
}

}  // namespace otelbpf::http1
