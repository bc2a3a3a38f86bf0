// The HTTP semantic conventions every HTTP version shares
// (https://opentelemetry.io/docs/specs/semconv/http/http-spans/): one exchange, described the
// same way whatever its wire version (HttpCall), becomes one span. HTTP/1 and HTTP/2 fill an
// HttpCall from what they parsed; redaction, server address, URL building and the error rules
// live here once.
//
// Secrets stay home: no header is copied except User-Agent and the authority; no body ever;
// credential query values and URL userinfo are replaced by "REDACTED".
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "protocols/common/connection.h"
#include "protocols/common/protocol.h"
#include "trace/span.h"

namespace otelbpf::http {

// The methods OpenTelemetry treats as known: RFC 9110's and PATCH (RFC 5789). Case-sensitive.
inline constexpr std::array<std::string_view, 9> kKnownMethods = {
    "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"};
bool IsKnownMethod(std::string_view method);

// error.type of exchanges that failed before a complete response (the documented list; HTTP/2
// adds the names of RST_STREAM error codes).
inline constexpr std::string_view kErrorConnectionReset = "connection_reset";
inline constexpr std::string_view kErrorClosedBeforeResponse = "closed_before_response";
inline constexpr std::string_view kErrorResponseIncomplete = "response_incomplete";

// One exchange as the conventions see it. Views into the parser's records.
struct HttpCall {
  std::string_view method;
  // The request target as sent: origin form "/p?q", absolute form (to proxies), authority form
  // (CONNECT) or "*". Empty when it is not known (an HTTP/2 :path we could not decode).
  std::optional<std::string_view> target;
  std::string_view authority;         // Host / :authority as sent; empty when absent
  std::string_view protocol_version;  // "1.1", "2"; empty when unknown
  std::optional<std::string_view> user_agent;
  uint64_t request_body_bytes = 0;
  std::optional<int> status_code;  // the final response's; empty without one
  uint64_t response_body_bytes = 0;
  // error.type when the exchange did not end cleanly (kError* above); empty when it did.
  std::string_view failure;
  uint64_t first_byte_ns = 0;  // monotonic: the request's first byte
  uint64_t last_byte_ns = 0;   // monotonic: the response's last byte (the request's without one)
};

// The span of `call` observed on `connection` (ids are trace assembly's job). Its family is
// kHttp; its kind comes from the connection's role (INTERNAL when unknown).
Span BuildHttpSpan(const HttpCall& call, const ConnectionInfo& connection,
                   const SpanBuildOptions& options);

// Shared with the builders of protocols carried by HTTP (gRPC).
SpanKind KindFor(ConnectionRole role);
// `key` must be a string literal: kept as a view (see AttributeKey). Each value is built in
// its slot of the vector, never as a temporary moved in (span building's largest cost was
// copying strings and variants around).
void AddAttribute(Attributes& attributes, std::string_view key, std::string_view text);
void AddAttribute(Attributes& attributes, std::string_view key, const char* text);
void AddAttribute(Attributes& attributes, std::string_view key, std::string&& text);
void AddAttribute(Attributes& attributes, std::string_view key, int64_t number);
// The port an authority without one means: 443 over TLS, 80 otherwise.
uint16_t DefaultPort(const ConnectionInfo& connection);
// server.address/server.port from the authority the client addressed, else from the socket's
// server-side endpoint.
void AddServerAddress(Attributes& attributes, std::string_view authority, SpanKind kind,
                      const ConnectionInfo& connection);
// network.peer.address/network.peer.port, when the socket's peer is known.
void AddPeerAddress(Attributes& attributes, const ConnectionInfo& connection);
// The span's window in wall time: monotonic nanoseconds shifted, never ending before it starts.
void SetSpanTimes(Span& span, uint64_t first_byte_ns, uint64_t last_byte_ns,
                  const SpanBuildOptions& options);

}  // namespace otelbpf::http
