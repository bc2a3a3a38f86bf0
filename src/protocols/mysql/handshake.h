// The connection phase (MySQL source documentation, "Connection Phase"; MariaDB KB, "1 -
// Connecting"): the server's Initial Handshake, the client's HandshakeResponse (or the short SSL
// request that starts TLS), and COM_CHANGE_USER, which authenticates again.
//
// Only what spans need is read: the server's flavour, the capabilities that shape later packets,
// and the database. User names and authentication data are skipped, never returned.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace otelbpf::mysql {

struct Greeting {
  std::string_view system;    // db.system.name: "mariadb" when the version says so, else "mysql"
  uint32_t capabilities = 0;  // the server's (the 4 bytes MySQL and MariaDB share)
};

// The Initial Handshake Packet, protocol version 10. std::nullopt when the payload is not one.
std::optional<Greeting> ParseGreeting(std::string_view payload);

struct HandshakeResponse {
  uint32_t capabilities = 0;                 // the client's
  bool ssl_request = false;                  // CLIENT_SSL: TLS starts right after this packet
  std::optional<std::string_view> database;  // CLIENT_CONNECT_WITH_DB
};

// HandshakeResponse41 (or the pre-4.1 HandshakeResponse320, or an SSLRequest). std::nullopt when
// the payload is too short to be one.
std::optional<HandshakeResponse> ParseHandshakeResponse(std::string_view payload);

// The database a COM_CHANGE_USER payload (command byte included) asks for; "" for none.
// `client_capabilities` decides how its authentication data is framed (std::nullopt: unknown,
// CLIENT_SECURE_CONNECTION assumed, as every 4.1+ client sets it).
std::optional<std::string_view> ChangeUserDatabase(std::string_view payload,
                                                   std::optional<uint32_t> client_capabilities);

}  // namespace otelbpf::mysql
