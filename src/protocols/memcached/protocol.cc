// memcached, as the protocol registry lists it.
#include "http_capture.h"
#include "protocols/common/protocol.h"
#include "protocols/memcached/connection_parser.h"

namespace otelbpf::memcached {

extern const Protocol kProtocol;
const Protocol kProtocol = {OTELBPF_PROTO_MEMCACHED, "memcached", SemanticFamily::kDb, &MakeParser};

}  // namespace otelbpf::memcached
