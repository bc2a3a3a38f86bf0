#include "protocols/mysql/handshake.h"

#include "protocols/mysql/constants.h"
#include "protocols/mysql/wire_reader.h"

namespace otelbpf::mysql {
namespace {

// Server versions are short printable strings ("8.0.36", "5.5.5-10.11.6-MariaDB-log").
constexpr size_t kMaxServerVersionBytes = 128;
// HandshakeResponse41 up to its user name: capabilities, max packet size, character set, filler.
constexpr size_t kResponse41FixedBytes = 4 + 4 + 1 + 23;

bool Printable(std::string_view text) {
  for (char c : text)
    if (static_cast<uint8_t>(c) < 0x20 || static_cast<uint8_t>(c) > 0x7E) return false;
  return true;
}

// Skips the authentication response as `capabilities` frame it; the data itself is never read.
bool SkipAuthResponse(WireReader& r, uint32_t capabilities) {
  if (capabilities & capability::kPluginAuthLenencClientData) return r.LenencString().has_value();
  if (capabilities & capability::kSecureConnection) {
    const std::optional<uint64_t> size = r.FixedInt(1);
    return size && r.Skip(static_cast<size_t>(*size));
  }
  return r.NulString().has_value();
}

std::optional<HandshakeResponse> ParseResponse320(std::string_view payload, uint16_t caps) {
  HandshakeResponse out;
  out.capabilities = caps;
  out.ssl_request = (caps & capability::kSsl) != 0;
  if (out.ssl_request) return out;
  WireReader r(payload);
  r.Skip(2 + 3);                            // capabilities, max packet size
  if (!r.NulString()) return std::nullopt;  // user
  if (caps & capability::kConnectWithDb) {
    if (!r.NulString()) return out;  // auth response
    if (std::optional<std::string_view> db = r.NulString()) out.database = db;
  }
  return out;
}

}  // namespace

std::optional<Greeting> ParseGreeting(std::string_view payload) {
  WireReader r(payload);
  if (r.FixedInt(1) != kHandshakeV10) return std::nullopt;
  const std::optional<std::string_view> version = r.NulString();
  if (!version || version->empty() || version->size() > kMaxServerVersionBytes ||
      !Printable(*version))
    return std::nullopt;
  r.Skip(4 + 8 + 1);  // connection id, auth-plugin-data-part-1, filler
  const std::optional<uint64_t> low = r.FixedInt(2);
  if (!low) return std::nullopt;
  Greeting out;
  out.system = version->find("MariaDB") != std::string_view::npos ? "mariadb" : "mysql";
  out.capabilities = static_cast<uint32_t>(*low);
  r.Skip(1 + 2);  // character set, status flags
  if (const std::optional<uint64_t> high = r.FixedInt(2))
    out.capabilities |= static_cast<uint32_t>(*high) << 16;
  return out;
}

std::optional<HandshakeResponse> ParseHandshakeResponse(std::string_view payload) {
  // CLIENT_PROTOCOL_41 is in the low two bytes, the only ones a 3.20 response has.
  const std::optional<uint64_t> low = WireReader(payload).FixedInt(2);
  if (!low) return std::nullopt;
  if (!(*low & capability::kProtocol41))
    return ParseResponse320(payload, static_cast<uint16_t>(*low));
  WireReader r(payload);
  const std::optional<uint64_t> caps = r.FixedInt(4);
  if (!caps) return std::nullopt;
  HandshakeResponse out;
  out.capabilities = static_cast<uint32_t>(*caps);
  out.ssl_request = (out.capabilities & capability::kSsl) != 0;
  if (out.ssl_request) return out;
  if (!r.Skip(kResponse41FixedBytes - 4) || !r.NulString()) return std::nullopt;  // .. user
  if (!SkipAuthResponse(r, out.capabilities)) return out;
  if (out.capabilities & capability::kConnectWithDb) {
    if (std::optional<std::string_view> db = r.NulString()) out.database = db;
  }
  return out;
}

std::optional<std::string_view> ChangeUserDatabase(std::string_view payload,
                                                   std::optional<uint32_t> client_capabilities) {
  WireReader r(payload);
  r.Skip(1);                                // command
  if (!r.NulString()) return std::nullopt;  // user
  const uint32_t caps = client_capabilities.value_or(capability::kSecureConnection);
  const bool secure = (caps & capability::kSecureConnection) != 0;
  if (!SkipAuthResponse(r, secure ? capability::kSecureConnection : 0)) return std::nullopt;
  return r.NulString();
}

}  // namespace otelbpf::mysql
