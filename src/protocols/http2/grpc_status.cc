#include "protocols/http2/grpc_status.h"

#include <array>

namespace otelbpf::http2 {
namespace {

constexpr std::array<std::string_view, 17> kNames = {
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED",
};

// HTTP/2 error codes (RFC 9113 section 7) gRPC maps to something other than INTERNAL.
constexpr uint32_t kRefusedStream = 0x7;
constexpr uint32_t kCancel = 0x8;
constexpr uint32_t kEnhanceYourCalm = 0xb;
constexpr uint32_t kInadequateSecurity = 0xc;

constexpr int kMaxParsedCode = 1 << 20;  // far above any code; keeps the parse from overflowing

}  // namespace

std::optional<int> ParseGrpcStatus(std::string_view value) {
  if (value.empty()) return std::nullopt;
  int code = 0;
  for (char c : value) {
    if (c < '0' || c > '9') return std::nullopt;
    code = code * 10 + (c - '0');
    if (code > kMaxParsedCode) return std::nullopt;
  }
  return code;
}

std::string GrpcStatusName(int code) {
  if (code >= 0 && static_cast<size_t>(code) < kNames.size()) return std::string(kNames[code]);
  return std::to_string(code);
}

bool IsGrpcError(int code, SpanKind kind) {
  if (kind != SpanKind::kServer) return code != kGrpcOk;
  switch (code) {
    case kGrpcUnknown:
    case kGrpcDeadlineExceeded:
    case kGrpcUnimplemented:
    case kGrpcInternal:
    case kGrpcUnavailable:
    case kGrpcDataLoss:
      return true;
    default:
      return false;
  }
}

int GrpcStatusOfResetStream(uint32_t h2_error_code) {
  switch (h2_error_code) {
    case kRefusedStream:
      return kGrpcUnavailable;
    case kCancel:
      return kGrpcCancelled;
    case kEnhanceYourCalm:
      return kGrpcResourceExhausted;
    case kInadequateSecurity:
      return kGrpcPermissionDenied;
    default:
      return kGrpcInternal;
  }
}

int GrpcStatusOfHttpStatus(int http_status) {
  switch (http_status) {
    case 400:
      return kGrpcInternal;
    case 401:
      return kGrpcUnauthenticated;
    case 403:
      return kGrpcPermissionDenied;
    case 404:
      return kGrpcUnimplemented;
    case 429:
    case 502:
    case 503:
    case 504:
      return kGrpcUnavailable;
    default:
      return kGrpcUnknown;
  }
}

}  // namespace otelbpf::http2
