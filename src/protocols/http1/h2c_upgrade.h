// HTTP/1.1's upgrade to cleartext HTTP/2 (RFC 7540 section 3.2, "h2c"): a request carrying
// `Upgrade: h2c` answered by `101 Switching Protocols`. The request is then answered as HTTP/2
// stream 1, and every byte after the 101 is HTTP/2. Pure functions for the connection stitcher.
#pragma once

#include <cstdint>

#include "http_capture.h"
#include "protocols/common/protocol.h"
#include "protocols/http1/http1_exchange.h"

namespace otelbpf::http1 {

inline constexpr uint8_t kH2cProtocol = OTELBPF_PROTO_HTTP2;

// `request` offered h2c (its Upgrade list names it) and `response` is the 101 that took it.
bool IsH2cUpgrade(const Message& request, const Message& response);

// The upgraded request as HTTP/2 names it: :method, :scheme ("http"), :authority (from the
// absolute-form target, else Host), :path, then the other stored fields with lowercase names
// (Host and Upgrade are HTTP/1's connection business and are left out).
ProtocolSwitch::Request UpgradedRequest(const Message& request);

}  // namespace otelbpf::http1
