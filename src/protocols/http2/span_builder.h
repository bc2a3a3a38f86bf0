// HTTP/2 exchanges as spans: a gRPC call (content-type application/grpc[+...]) becomes an RPC
// span (grpc_span.h, family kRpc, feeding rpc.* metrics); any other request an HTTP span built
// exactly like HTTP/1's (protocols/common/http_semantics.h, family kHttp) with
// network.protocol.version "2".
#pragma once

#include "protocols/common/connection.h"
#include "protocols/common/protocol.h"
#include "protocols/http2/exchange.h"
#include "trace/span.h"
#include "trace/span_origin.h"

namespace otelbpf::http2 {

// Whether a span can be built without guessing: the request's method is known, and the
// exchange either failed at the transport level or its response said how it went.
bool HasKnownOutcome(const Exchange& exchange);

bool IsGrpcCall(const Exchange& exchange);

Span BuildSpan(const Exchange& exchange, const ConnectionInfo& connection,
               const SpanBuildOptions& options);
// The thread of the request's first octet and the incoming trace context. No exchange index
// and no TCP sequence: streams are multiplexed, their positions say nothing about pairing.
SpanOrigin BuildSpanOrigin(const Exchange& exchange);

// error.type of a stream that did not end cleanly (no error: empty). RST_STREAM error codes
// by their RFC 9113 names in lower case ("cancel", "refused_stream", ...).
std::string_view TransportFailure(const Exchange& exchange);

}  // namespace otelbpf::http2
