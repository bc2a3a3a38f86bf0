// Which protocols the user wants followed (--protocols, OTEL_EBPF_PROTOCOLS) and which port
// carries which protocol (--protocol-port). Pure parsing against the registry's names.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace otelbpf {

// "all", or a comma-separated list of protocol names ("http1,redis,postgresql"); also accepts
// the aliases users type: http (http1), postgres (postgresql), mariadb (mysql). Returns one bit
// per enum otelbpf_protocol value, or nullopt with `error` naming the unknown protocol and the
// known ones.
std::optional<uint32_t> ParseProtocolList(std::string_view list, std::string* error);

struct ProtocolPort {
  uint8_t protocol = 0;  // enum otelbpf_protocol
  uint16_t port = 0;
};
// "redis=6380" → {REDIS, 6380}; nullopt with `error` otherwise.
std::optional<ProtocolPort> ParseProtocolPort(std::string_view text, std::string* error);

// "http1, dns, redis, ..." for --help and `otelbpf version`.
std::string KnownProtocolNames();

}  // namespace otelbpf
