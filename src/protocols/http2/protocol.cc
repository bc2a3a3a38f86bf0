// HTTP/2 (and gRPC, which it carries), as the protocol registry lists it. Its spans are HTTP
// spans, except gRPC calls, whose spans say kRpc themselves (span_builder.h).
#include "http_capture.h"
#include "protocols/common/protocol.h"
#include "protocols/http2/connection_parser.h"

namespace otelbpf::http2 {

extern const Protocol kProtocol;
const Protocol kProtocol = {OTELBPF_PROTO_HTTP2, "http2", SemanticFamily::kHttp, &MakeParser};

}  // namespace otelbpf::http2
