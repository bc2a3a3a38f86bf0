// Reading decoded header fields into the request and response heads of an exchange: the
// pseudo-header fields and the few regular fields spans use; every other field is dropped here.
#pragma once

#include <vector>

#include "protocols/http2/exchange.h"
#include "protocols/http2/hpack_decoder.h"

namespace otelbpf::http2 {

// What a decoded block says about its own kind, before it is applied to a stream.
enum class BlockKind : uint8_t {
  kRequest,      // carries :method
  kResponse,     // carries :status (interim or final)
  kUnknownKind,  // neither: trailers, or a block whose pseudo-fields are unknown
};
BlockKind KindOfBlock(const std::vector<HeaderField>& fields);

void ApplyRequestFields(const std::vector<HeaderField>& fields, RequestHead& head);
// A response block: interim (1xx) blocks say nothing; the first final block gives the status;
// trailers (no :status) give grpc-status.
void ApplyResponseFields(const std::vector<HeaderField>& fields, ResponseHead& head);

}  // namespace otelbpf::http2
