// BuildSpan: one HTTP/1 exchange -> one span, per the stable OpenTelemetry HTTP semantic
// conventions (https://opentelemetry.io/docs/specs/semconv/http/http-spans/).
//
// Secrets stay home: no header is copied except User-Agent and Host; no body ever; credential
// query values and URL userinfo are replaced by "REDACTED".
#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "protocols/common/ascii.h"
#include "protocols/http1/headers.h"
#include "protocols/http1/http1_exchange.h"
#include "protocols/http1/start_line.h"
#include "protocols/http1/url.h"
#include "trace/traceparent.h"

namespace otelbpf::http1 {
namespace {

// error.type values for exchanges that failed before a complete response (documented list).
constexpr std::string_view kErrorConnectionReset = "connection_reset";
constexpr std::string_view kErrorClosedBeforeResponse = "closed_before_response";
constexpr std::string_view kErrorResponseIncomplete = "response_incomplete";
constexpr uint16_t kHttpDefaultPort = 80;

// `key` is always a string literal here: kept as a view, not copied (see AttributeKey).
void Add(Attributes& attributes, std::string_view key, AttributeValue value) {
  attributes.push_back(Attribute{AttributeKey::Static(key), std::move(value)});
}

SpanKind KindFor(ConnectionRole role) {
  switch (role) {
    case ConnectionRole::kServer:
      return SpanKind::kServer;
    case ConnectionRole::kClient:
      return SpanKind::kClient;
    case ConnectionRole::kUnknown:
      break;
  }
  return SpanKind::kInternal;  // the caller could not tell the side: claim neither
}

// IPv6 literals need brackets inside URLs.
std::string FormatAuthority(std::string_view host, uint16_t port) {
  std::string out;
  if (host.find(':') != std::string_view::npos) {
    out.append("[").append(host).append("]");
  } else {
    out.append(host);
  }
  out.append(":").append(std::to_string(port));
  return out;
}

// The authority the client addressed: from an absolute-form target, else the Host header.
std::string_view AddressedAuthority(const TargetParts& target, const Message& request) {
  if (target.form == TargetParts::Form::kAbsolute || target.form == TargetParts::Form::kAuthority) {
    return target.authority;
  }
  const std::string* host = request.FindHeader("Host");
  return host ? std::string_view(*host) : std::string_view();
}

void AddServerAddress(Attributes& attributes, std::string_view authority, SpanKind kind,
                      const ConnectionInfo& connection) {
  if (!authority.empty()) {
    const HostAndPort host = SplitHostAndPort(authority);
    if (host.host.empty()) return;
    Add(attributes, "server.address", std::string(host.host));
    Add(attributes, "server.port", static_cast<int64_t>(host.port.value_or(kHttpDefaultPort)));
    return;
  }
  // No Host header: the socket's server-side endpoint is the best we know.
  const Endpoint& server = kind == SpanKind::kServer ? connection.local : connection.peer;
  if (server.address.empty()) return;
  Add(attributes, "server.address", server.address);
  if (server.port != 0) Add(attributes, "server.port", static_cast<int64_t>(server.port));
}

// `redacted_query`: RedactQuery of the target's query (computed once per span: it is also
// url.query), or nullptr when the target has none.
std::string PathAndQuery(const TargetParts& target, const std::string* redacted_query) {
  std::string out(target.path);
  if (redacted_query) out.append("?").append(*redacted_query);
  return out;
}

// url.full for client spans: the absolute URL, reconstructed when the target is origin-form.
std::optional<std::string> FullUrl(const TargetParts& target, std::string_view authority,
                                   const ConnectionInfo& connection,
                                   const std::string* redacted_query) {
  if (target.form == TargetParts::Form::kAbsolute) {
    std::string url(target.scheme);
    url.append("://");
    if (!target.userinfo.empty()) {
      url.append(target.userinfo.find(':') != std::string_view::npos ? "REDACTED:REDACTED@"
                                                                     : "REDACTED@");
    }
    url.append(target.authority).append(PathAndQuery(target, redacted_query));
    return url;
  }
  std::string host(authority);
  if (host.empty()) {
    if (connection.peer.address.empty()) return std::nullopt;
    host = FormatAuthority(connection.peer.address, connection.peer.port);
  }
  std::string url = "http://" + host;
  if (target.form == TargetParts::Form::kOrigin) url.append(PathAndQuery(target, redacted_query));
  return url;
}

// error.type and span status: 5xx always, 4xx on the client side only (the server answered
// correctly; the client's request failed), and any exchange without a complete response.
std::optional<std::string> ErrorType(const Exchange& exchange, SpanKind kind) {
  if (!exchange.response) {
    return std::string(exchange.error == ExchangeError::kConnectionReset
                           ? kErrorConnectionReset
                           : kErrorClosedBeforeResponse);
  }
  const int status = exchange.response->status_code;
  if (status >= 500 || (status >= 400 && kind == SpanKind::kClient)) return std::to_string(status);
  switch (exchange.error) {
    case ExchangeError::kConnectionReset:
      return std::string(kErrorConnectionReset);
    case ExchangeError::kClosedEarly:
      return std::string(kErrorResponseIncomplete);
    case ExchangeError::kNone:
      break;
  }
  return std::nullopt;
}

}  // namespace

Span BuildSpan(const Exchange& exchange, const ConnectionInfo& connection,
               const SpanBuildOptions& options) {
  const Message& request = exchange.request;
  const Message* response = exchange.response ? &*exchange.response : nullptr;
  const TargetParts target = SplitTarget(request.target);

  Span span;
  span.resource = connection.resource;
  span.kind = KindFor(connection.role);
  span.family = SemanticFamily::kHttp;
  const bool known_method = IsKnownMethod(request.method);
  // Routes are unknown at this stage, and a raw path must never name a span.
  span.name = known_method ? request.method : "HTTP";

  span.start_time_unix_nano = request.first_byte_ns + options.monotonic_to_realtime_ns;
  const uint64_t last_byte_ns = response ? response->last_byte_ns : request.last_byte_ns;
  span.end_time_unix_nano =
      std::max(last_byte_ns + options.monotonic_to_realtime_ns, span.start_time_unix_nano);

  Attributes& a = span.attributes;
  a.reserve(20);
  Add(a, "http.request.method", known_method ? request.method : std::string("_OTHER"));
  if (!known_method) Add(a, "http.request.method_original", request.method);
  Add(a, "url.scheme", std::string("http"));
  if (!target.path.empty()) Add(a, "url.path", std::string(target.path));
  std::optional<std::string> query;
  if (target.query) query = RedactQuery(*target.query);
  if (query && !query->empty()) Add(a, "url.query", *query);

  const std::string_view authority = AddressedAuthority(target, request);
  if (span.kind == SpanKind::kClient) {
    if (auto url = FullUrl(target, authority, connection, query ? &*query : nullptr))
      Add(a, "url.full", std::move(*url));
  }
  if (span.kind != SpanKind::kInternal) AddServerAddress(a, authority, span.kind, connection);
  if (span.kind == SpanKind::kServer && !connection.peer.address.empty()) {
    Add(a, "client.address", connection.peer.address);
  }
  if (!connection.peer.address.empty()) {
    Add(a, "network.peer.address", connection.peer.address);
    if (connection.peer.port != 0) {
      Add(a, "network.peer.port", static_cast<int64_t>(connection.peer.port));
    }
  }

  const std::string& version = !request.version.empty() ? request.version
                               : response               ? response->version
                                                        : request.version;
  if (!version.empty()) Add(a, "network.protocol.version", version);
  if (const std::string* user_agent = request.FindHeader("User-Agent")) {
    Add(a, "user_agent.original", *user_agent);
  }
  if (request.body_bytes > 0) {
    Add(a, "http.request.body.size", static_cast<int64_t>(request.body_bytes));
  }
  if (response) {
    Add(a, "http.response.status_code", static_cast<int64_t>(response->status_code));
    if (response->body_bytes > 0) {
      Add(a, "http.response.body.size", static_cast<int64_t>(response->body_bytes));
    }
  }

  if (std::optional<std::string> error = ErrorType(exchange, span.kind)) {
    Add(a, "error.type", std::move(*error));
    span.status = StatusCode::kError;
  }
  return span;
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
