#include "protocols/http2/grpc_span.h"

#include <optional>
#include <string>
#include <string_view>

#include "protocols/common/http_semantics.h"
#include "protocols/http2/grpc_status.h"
#include "protocols/http2/span_builder.h"

namespace otelbpf::http2 {
namespace {

constexpr std::string_view kSystem = "grpc";
constexpr std::string_view kOtherMethod = "_OTHER";

// "/pkg.Service/Method" -> "pkg.Service/Method"; empty when :path has another shape.
std::string_view MethodOfPath(std::string_view path) {
  if (path.size() < 4 || path.front() != '/') return {};
  const std::string_view method = path.substr(1);
  const size_t slash = method.find('/');
  if (slash == 0 || slash == std::string_view::npos || slash + 1 == method.size() ||
      method.find('/', slash + 1) != std::string_view::npos) {
    return {};
  }
  return method;
}

// The status the call ended with, as its client library saw it; empty when unknown.
std::optional<int> CallStatus(const Exchange& x) {
  if (x.response.grpc_status) return ParseGrpcStatus(*x.response.grpc_status);
  switch (x.end) {
    case StreamEnd::kComplete:
      // A response without grpc-status: the HTTP status decides, unless it said 200 (then the
      // status was in fields we could not read, or the server broke the protocol).
      if (x.response.status && *x.response.status != 200) {
        return GrpcStatusOfHttpStatus(*x.response.status);
      }
      return std::nullopt;
    case StreamEnd::kReset:
      return GrpcStatusOfResetStream(x.reset_code);
    case StreamEnd::kRefused:
      return kGrpcUnavailable;  // the server never processed it
    case StreamEnd::kConnectionClosed:
    case StreamEnd::kConnectionReset:
      break;
  }
  return std::nullopt;
}

}  // namespace

Span BuildGrpcSpan(const Exchange& x, const ConnectionInfo& connection,
                   const SpanBuildOptions& options) {
  Span span;
  span.resource = connection.resource;
  span.kind = http::KindFor(connection.role);
  span.family = SemanticFamily::kRpc;
  http::SetSpanTimes(span, x.first_byte_ns, x.last_byte_ns, options);

  Attributes& a = span.attributes;
  a.reserve(10);
  http::AddAttribute(a, "rpc.system.name", std::string(kSystem));
  const std::string_view method = x.request.path ? MethodOfPath(*x.request.path) : "";
  if (!method.empty()) {
    span.name = std::string(method);
    http::AddAttribute(a, "rpc.method", std::string(method));
  } else {
    span.name = std::string(kSystem);
    http::AddAttribute(a, "rpc.method", std::string(kOtherMethod));
    if (x.request.path) http::AddAttribute(a, "rpc.method_original", *x.request.path);
  }
  if (span.kind != SpanKind::kInternal) {
    http::AddServerAddress(a, x.request.authority, span.kind, connection);
  }
  http::AddPeerAddress(a, connection);

  if (const std::optional<int> status = CallStatus(x)) {
    const std::string name = GrpcStatusName(*status);
    http::AddAttribute(a, "rpc.response.status_code", name);
    if (IsGrpcError(*status, span.kind)) {
      http::AddAttribute(a, "error.type", name);
      span.status = StatusCode::kError;
    }
  } else if (const std::string_view failure = TransportFailure(x); !failure.empty()) {
    http::AddAttribute(a, "error.type", std::string(failure));
    span.status = StatusCode::kError;
  }
  return span;
}

}  // namespace otelbpf::http2
