#include "protocols/http2/span_builder.h"

#include <array>
#include <string_view>
#include <vector>

#include "protocols/common/ascii.h"
#include "protocols/common/http_semantics.h"
#include "protocols/http2/grpc_span.h"
#include "trace/traceparent.h"

namespace otelbpf::http2 {
namespace {

// RFC 9113 section 7, in order of their codes.
constexpr std::array<std::string_view, 14> kResetCodeNames = {
    "no_error",
    "protocol_error",
    "internal_error",
    "flow_control_error",
    "settings_timeout",
    "stream_closed",
    "frame_size_error",
    "refused_stream",
    "cancel",
    "compression_error",
    "connect_error",
    "enhance_your_calm",
    "inadequate_security",
    "http_1_1_required",
};
constexpr std::string_view kUnknownResetCode = "stream_reset";
constexpr std::string_view kRefusedByGoaway = "goaway";

// application/grpc, application/grpc+proto, application/grpc;charset=...; not grpc-web.
bool IsGrpcContentType(std::string_view type) {
  constexpr std::string_view kGrpc = "application/grpc";
  if (type.size() < kGrpc.size() || !ascii::EqualsIgnoreCase(type.substr(0, kGrpc.size()), kGrpc)) {
    return false;
  }
  return type.size() == kGrpc.size() || type[kGrpc.size()] == '+' || type[kGrpc.size()] == ';';
}

Span BuildHttpSpan(const Exchange& x, const ConnectionInfo& connection,
                   const SpanBuildOptions& options) {
  const RequestHead& request = x.request;
  http::HttpCall call;
  call.method = request.method;
  // CONNECT names its target by :authority alone (RFC 9113 section 8.5).
  if (request.method == "CONNECT") {
    call.target = request.authority;
  } else if (request.path) {
    call.target = *request.path;
  }
  call.authority = request.authority;
  call.protocol_version = "2";
  if (request.user_agent) call.user_agent = *request.user_agent;
  call.request_body_bytes = x.request_body_bytes;
  call.status_code = x.response.status;
  call.response_body_bytes = x.response_body_bytes;
  call.failure = TransportFailure(x);
  call.first_byte_ns = x.first_byte_ns;
  call.last_byte_ns = x.last_byte_ns;
  return http::BuildHttpSpan(call, connection, options);
}

}  // namespace

std::string_view TransportFailure(const Exchange& x) {
  switch (x.end) {
    case StreamEnd::kComplete:
      return {};
    case StreamEnd::kReset:
      return x.reset_code < kResetCodeNames.size() ? kResetCodeNames[x.reset_code]
                                                   : kUnknownResetCode;
    case StreamEnd::kRefused:
      return kRefusedByGoaway;
    case StreamEnd::kConnectionClosed:
      return x.response_started ? http::kErrorResponseIncomplete : http::kErrorClosedBeforeResponse;
    case StreamEnd::kConnectionReset:
      return http::kErrorConnectionReset;
  }
  return {};
}

bool IsGrpcCall(const Exchange& x) {
  return IsGrpcContentType(x.request.content_type) || IsGrpcContentType(x.response.content_type) ||
         x.response.grpc_status.has_value();
}

bool HasKnownOutcome(const Exchange& x) {
  if (x.request.method.empty()) return false;
  if (x.end != StreamEnd::kComplete) return true;
  if (x.response_head_lost) return false;
  return x.response.status.has_value() || x.response.grpc_status.has_value();
}

Span BuildSpan(const Exchange& x, const ConnectionInfo& connection,
               const SpanBuildOptions& options) {
  Span span =
      IsGrpcCall(x) ? BuildGrpcSpan(x, connection, options) : BuildHttpSpan(x, connection, options);
  // Mark, never invent: fields that referenced HPACK entries we never saw (a connection
  // learned mid-stream) are counted on the span.
  const uint32_t unknown = x.request.unknown_fields + x.response.unknown_fields;
  if (unknown > 0) {
    http::AddAttribute(span.attributes, "otelbpf.http2.unknown_header_fields",
                       static_cast<int64_t>(unknown));
  }
  return span;
}

SpanOrigin BuildSpanOrigin(const Exchange& x) {
  SpanOrigin origin;
  origin.tid = x.tid;
  // Same-host stitching: both ends of a connection number a stream alike, whatever either end
  // missed, so the stream id is this exchange's position (streams are multiplexed: no order,
  // and TLS or not, no TCP sequence number of its own).
  origin.exchange_index = x.stream_id;
  // Two traceparent fields would join into one invalid value ("a,b"): ignore both.
  if (x.request.traceparents.size() == 1) {
    const std::vector<std::string_view> tracestates(x.request.tracestates.begin(),
                                                    x.request.tracestates.end());
    origin.incoming = ParseTraceContext(x.request.traceparents.front(), tracestates);
  }
  return origin;
}

}  // namespace otelbpf::http2
