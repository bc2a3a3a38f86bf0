// Every protocol otelbpf understands, by its kernel id (enum otelbpf_protocol) and by the name
// users type (--protocols). Adding a protocol = one line in registry.cc (see docs/design.md).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "protocols/common/protocol.h"

namespace otelbpf {

// All registered protocols, in enum order.
std::span<const Protocol* const> RegisteredProtocols();
// nullptr for UNKNOWN and for ids no protocol has.
const Protocol* ProtocolById(uint8_t id);
const Protocol* ProtocolByName(std::string_view name);

}  // namespace otelbpf
