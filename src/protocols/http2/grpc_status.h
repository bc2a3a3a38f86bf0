// gRPC status codes (https://grpc.github.io/grpc/core/md_doc_statuscodes.html): their names,
// which of them the semantic conventions call errors, and the status a call gets when no
// grpc-status was sent (gRPC's PROTOCOL-HTTP2.md and http-grpc-status-mapping.md).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "trace/span.h"

namespace otelbpf::http2 {

enum GrpcCode : int {
  kGrpcOk = 0,
  kGrpcCancelled = 1,
  kGrpcUnknown = 2,
  kGrpcDeadlineExceeded = 4,
  kGrpcPermissionDenied = 7,
  kGrpcResourceExhausted = 8,
  kGrpcUnimplemented = 12,
  kGrpcInternal = 13,
  kGrpcUnavailable = 14,
  kGrpcDataLoss = 15,
  kGrpcUnauthenticated = 16,
};

// The grpc-status value: a decimal code. Empty when it is not one.
std::optional<int> ParseGrpcStatus(std::string_view value);
// "OK", "CANCELLED", ... for 0-16; other codes by their number (gRPC says clients must accept
// codes they do not know).
std::string GrpcStatusName(int code);
// The conventions' rule (semconv RPC/gRPC spans): a CLIENT span is an error for every code but
// OK; a SERVER span only for UNKNOWN, DEADLINE_EXCEEDED, UNIMPLEMENTED, INTERNAL, UNAVAILABLE
// and DATA_LOSS (the others are the caller's fault, not the server's).
bool IsGrpcError(int code, SpanKind kind);
// The status a gRPC library reports for a stream reset with this HTTP/2 error code.
int GrpcStatusOfResetStream(uint32_t h2_error_code);
// The status a gRPC client reports for an HTTP response without grpc-status.
int GrpcStatusOfHttpStatus(int http_status);

}  // namespace otelbpf::http2
