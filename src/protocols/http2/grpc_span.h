// A gRPC call as an RPC span, by the OpenTelemetry RPC and gRPC semantic conventions
// (https://opentelemetry.io/docs/specs/semconv/rpc/grpc/). The names are those of the RPC
// conventions as reworked after semconv v1.37.0 (release candidate):
//   rpc.system.name          "grpc"      (renamed from rpc.system, semantic-conventions #3176)
//   rpc.method               "pkg.Service/Method", fully qualified; "_OTHER" (with
//                            rpc.method_original) when :path is not /service/method
//                            (rpc.service merged into it, semantic-conventions #3223)
//   rpc.response.status_code "OK", "UNAVAILABLE", ... (replaces the numeric rpc.grpc.status_code)
// plus server.address/server.port and network.peer.address/network.peer.port. The conventions
// dropped network.protocol.* and client.* from RPC spans; so do we.
#pragma once

#include "protocols/common/connection.h"
#include "protocols/common/protocol.h"
#include "protocols/http2/exchange.h"
#include "trace/span.h"

namespace otelbpf::http2 {

// Span name and kind: "pkg.Service/Method" (or "grpc" for _OTHER); CLIENT or SERVER by the
// connection's role. The status is grpc-status, else what gRPC libraries report for the way the
// stream ended (an HTTP status without grpc-status, RST_STREAM, a GOAWAY refusal); a call cut
// by the connection has no status and its error.type says how it ended. Errors follow
// IsGrpcError (grpc_status.h); error.type is then the status name.
Span BuildGrpcSpan(const Exchange& exchange, const ConnectionInfo& connection,
                   const SpanBuildOptions& options);

}  // namespace otelbpf::http2
