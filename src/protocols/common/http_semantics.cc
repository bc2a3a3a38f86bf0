#include "protocols/common/http_semantics.h"

#include <algorithm>
#include <string>
#include <utility>

#include "protocols/common/http_url.h"

namespace otelbpf::http {
namespace {

constexpr uint16_t kHttpPort = 80;
constexpr uint16_t kHttpsPort = 443;

// IPv6 literals need brackets inside URLs.
// Appends host:port, bracketing an IPv6 address.
void AppendAuthority(std::string& out, std::string_view host, uint16_t port) {
  if (host.find(':') != std::string_view::npos) {
    out.append("[").append(host).append("]");
  } else {
    out.append(host);
  }
  out.append(":").append(std::to_string(port));
}

// The authority the client addressed: from an absolute-form or authority-form target, else the
// Host header (HTTP/1) or :authority (HTTP/2).
std::string_view AddressedAuthority(const TargetParts& target, std::string_view authority) {
  if (target.form == TargetParts::Form::kAbsolute || target.form == TargetParts::Form::kAuthority) {
    return target.authority;
  }
  return authority;
}

// `redacted_query`: RedactQuery of the target's query (computed once per span: it is also
// url.query), or nullptr when the target has none.
void AppendPathAndQuery(std::string& out, const TargetParts& target,
                        const std::string* redacted_query) {
  out.append(target.path);
  if (redacted_query) out.append("?").append(*redacted_query);
}

// url.full for client spans: the absolute URL, reconstructed when the target is origin-form.
// Built in one string (it is one of a client span's few heap allocations).
std::optional<std::string> FullUrl(const TargetParts& target, std::string_view authority,
                                   std::string_view scheme, const ConnectionInfo& connection,
                                   const std::string* redacted_query) {
  std::string url;
  url.reserve(64);
  if (target.form == TargetParts::Form::kAbsolute) {
    url.append(target.scheme).append("://");
    if (!target.userinfo.empty()) {
      url.append(target.userinfo.find(':') != std::string_view::npos ? "REDACTED:REDACTED@"
                                                                     : "REDACTED@");
    }
    url.append(target.authority);
    AppendPathAndQuery(url, target, redacted_query);
    return url;
  }
  if (authority.empty() && connection.peer.address.empty()) return std::nullopt;
  url.append(scheme).append("://");
  if (!authority.empty()) {
    url.append(authority);
  } else {
    AppendAuthority(url, connection.peer.address, connection.peer.port);
  }
  if (target.form == TargetParts::Form::kOrigin) AppendPathAndQuery(url, target, redacted_query);
  return url;
}

// error.type and span status: 5xx always, 4xx on the client side only (the server answered
// correctly; the client's request failed), and any exchange that did not end cleanly.
std::optional<std::string> ErrorType(const HttpCall& call, SpanKind kind) {
  if (call.status_code) {
    const int status = *call.status_code;
    if (status >= 500 || (status >= 400 && kind == SpanKind::kClient)) {
      return std::to_string(status);
    }
  }
  if (!call.failure.empty()) return std::string(call.failure);
  return std::nullopt;
}

}  // namespace

bool IsKnownMethod(std::string_view method) {
  return std::find(kKnownMethods.begin(), kKnownMethods.end(), method) != kKnownMethods.end();
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

namespace {
AttributeValue& AddKey(Attributes& attributes, std::string_view key) {
  Attribute& a = attributes.emplace_back();
  a.key = AttributeKey::Static(key);
  return a.value;
}
}  // namespace

void AddAttribute(Attributes& attributes, std::string_view key, std::string_view text) {
  AddKey(attributes, key).emplace<std::string>(text);
}

void AddAttribute(Attributes& attributes, std::string_view key, const char* text) {
  AddAttribute(attributes, key, std::string_view(text));
}

void AddAttribute(Attributes& attributes, std::string_view key, std::string&& text) {
  AddKey(attributes, key).emplace<std::string>(std::move(text));
}

void AddAttribute(Attributes& attributes, std::string_view key, int64_t number) {
  AddKey(attributes, key).emplace<int64_t>(number);
}

uint16_t DefaultPort(const ConnectionInfo& connection) {
  return connection.tls ? kHttpsPort : kHttpPort;
}

void AddServerAddress(Attributes& attributes, std::string_view authority, SpanKind kind,
                      const ConnectionInfo& connection) {
  if (!authority.empty()) {
    const HostAndPort host = SplitHostAndPort(authority);
    if (host.host.empty()) return;
    AddAttribute(attributes, "server.address", host.host);
    AddAttribute(attributes, "server.port",
                 static_cast<int64_t>(host.port.value_or(DefaultPort(connection))));
    return;
  }
  // No authority: the socket's server-side endpoint is the best we know.
  const Endpoint& server = kind == SpanKind::kServer ? connection.local : connection.peer;
  if (server.address.empty()) return;
  AddAttribute(attributes, "server.address", server.address);
  if (server.port != 0) AddAttribute(attributes, "server.port", static_cast<int64_t>(server.port));
}

void AddPeerAddress(Attributes& attributes, const ConnectionInfo& connection) {
  if (connection.peer.address.empty()) return;
  AddAttribute(attributes, "network.peer.address", connection.peer.address);
  if (connection.peer.port != 0) {
    AddAttribute(attributes, "network.peer.port", static_cast<int64_t>(connection.peer.port));
  }
}

void SetSpanTimes(Span& span, uint64_t first_byte_ns, uint64_t last_byte_ns,
                  const SpanBuildOptions& options) {
  span.start_time_unix_nano = first_byte_ns + options.monotonic_to_realtime_ns;
  span.end_time_unix_nano =
      std::max(last_byte_ns + options.monotonic_to_realtime_ns, span.start_time_unix_nano);
}

Span BuildHttpSpan(const HttpCall& call, const ConnectionInfo& connection,
                   const SpanBuildOptions& options) {
  const TargetParts target = call.target ? SplitTarget(*call.target) : TargetParts{};
  const std::string_view scheme = connection.tls ? "https" : "http";

  Span span;
  span.resource = connection.resource;
  span.kind = KindFor(connection.role);
  span.family = SemanticFamily::kHttp;
  const bool known_method = IsKnownMethod(call.method);
  // A raw path must never name a span: the route or template, when there is one, is appended
  // later (routes/route_decorator.h, run by SpanPipeline before metrics and assembly).
  span.name = known_method ? std::string(call.method) : "HTTP";
  SetSpanTimes(span, call.first_byte_ns, call.last_byte_ns, options);

  Attributes& a = span.attributes;
  a.reserve(20);
  AddAttribute(a, "http.request.method", known_method ? call.method : std::string_view("_OTHER"));
  if (!known_method) AddAttribute(a, "http.request.method_original", call.method);
  AddAttribute(a, "url.scheme", scheme);
  if (!target.path.empty()) AddAttribute(a, "url.path", target.path);
  std::optional<std::string> query;
  if (target.query) query = RedactQuery(*target.query);
  if (query && !query->empty()) AddAttribute(a, "url.query", *query);

  const std::string_view authority = AddressedAuthority(target, call.authority);
  if (span.kind == SpanKind::kClient && call.target) {
    if (auto url = FullUrl(target, authority, scheme, connection, query ? &*query : nullptr)) {
      AddAttribute(a, "url.full", std::move(*url));
    }
  }
  if (span.kind != SpanKind::kInternal) AddServerAddress(a, authority, span.kind, connection);
  if (span.kind == SpanKind::kServer && !connection.peer.address.empty()) {
    AddAttribute(a, "client.address", connection.peer.address);
  }
  AddPeerAddress(a, connection);

  if (!call.protocol_version.empty()) {
    AddAttribute(a, "network.protocol.version", call.protocol_version);
  }
  if (call.user_agent) AddAttribute(a, "user_agent.original", *call.user_agent);
  if (call.request_body_bytes > 0) {
    AddAttribute(a, "http.request.body.size", static_cast<int64_t>(call.request_body_bytes));
  }
  if (call.status_code) {
    AddAttribute(a, "http.response.status_code", static_cast<int64_t>(*call.status_code));
    if (call.response_body_bytes > 0) {
      AddAttribute(a, "http.response.body.size", static_cast<int64_t>(call.response_body_bytes));
    }
  }

  if (std::optional<std::string> error = ErrorType(call, span.kind)) {
    AddAttribute(a, "error.type", std::move(*error));
    span.status = StatusCode::kError;
  }
  return span;
}

}  // namespace otelbpf::http
