// MySQL / MariaDB on the protocol seam: registered under OTELBPF_PROTO_MYSQL, spans by the
// stable database semantic conventions (db.system.name "mysql" or "mariadb").
#include "http_capture.h"
#include "protocols/common/protocol.h"
#include "protocols/mysql/connection_parser.h"

namespace otelbpf::mysql {

extern const Protocol kProtocol;
const Protocol kProtocol = {OTELBPF_PROTO_MYSQL, "mysql", SemanticFamily::kDb,
                            &MakeConnectionParser};

}  // namespace otelbpf::mysql
