// What one direction of a connection carries, as far as a framer needs to know. Until the
// connection's role is known a direction is kUnknown, and its framer accepts what either side
// could send.
#pragma once

#include <cstdint>

namespace otelbpf::framing {

enum class StreamKind : uint8_t { kUnknown, kRequests, kResponses };

}  // namespace otelbpf::framing
