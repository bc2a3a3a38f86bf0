// PostgreSQL (frontend/backend protocol 3) on the protocol seam: database spans by the stable
// PostgreSQL semantic conventions, one per Query and one per Execute (connection_parser.h).
#include <memory>

#include "http_capture.h"
#include "protocols/common/protocol.h"
#include "protocols/postgresql/connection_parser.h"

namespace otelbpf::postgresql {
namespace {

std::unique_ptr<ConnectionParser> MakeParser(const ParserSetup& setup) {
  return std::make_unique<PostgresParser>(setup);
}

}  // namespace

extern const Protocol kProtocol;
const Protocol kProtocol = {OTELBPF_PROTO_POSTGRESQL, "postgresql", SemanticFamily::kDb,
                            &MakeParser};

}  // namespace otelbpf::postgresql
