// Redis, as the protocol registry lists it.
#include "http_capture.h"
#include "protocols/common/protocol.h"
#include "protocols/redis/connection_parser.h"

namespace otelbpf::redis {

extern const Protocol kProtocol;
const Protocol kProtocol = {OTELBPF_PROTO_REDIS, "redis", SemanticFamily::kDb, &MakeParser};

}  // namespace otelbpf::redis
