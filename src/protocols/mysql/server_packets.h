// The server's generic packets (MySQL source documentation, "Generic Response Packets", "Text
// Resultset"; MariaDB KB, "4 - Server Response Packets"): what calls need from OK, ERR and EOF
// packets and from the first packet of a result set. The SQL state and message of an ERR packet
// are never read: they may quote the statement's values.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "protocols/mysql/packet_framer.h"

namespace otelbpf::mysql {

struct OkPacket {
  uint16_t status = 0;                     // server status flags
  std::optional<std::string_view> schema;  // the new default database (SESSION_TRACK_SCHEMA)
};

// An OK_Packet (header 0x00, or 0xFE when it ends a result set under CLIENT_DEPRECATE_EOF).
// `session_track`: CLIENT_SESSION_TRACK was agreed (std::nullopt: unknown; the state changes are
// then read when the status flags announce them).
std::optional<OkPacket> ParseOk(std::string_view payload, std::optional<bool> session_track);

// The status flags of an EOF_Packet (0xFE, warnings, status).
std::optional<uint16_t> ParseEofStatus(std::string_view payload);

// The error number of an ERR_Packet.
std::optional<uint16_t> ParseErrorCode(std::string_view payload);

struct ColumnCount {
  uint64_t columns = 0;
  bool metadata_follows = true;  // false: MariaDB's cached or MySQL's optional metadata skipped
};

// The first packet of a result set: int<lenenc> column count, optionally followed by one byte
// saying whether column definitions follow (MARIADB_CLIENT_CACHE_METADATA,
// CLIENT_OPTIONAL_RESULTSET_METADATA): its presence shows in the length, so neither capability
// needs to be known.
std::optional<ColumnCount> ParseColumnCount(const Message& message);

// A Column Definition packet of protocol 4.1 starts with its catalog, always "def".
bool IsColumnDefinition(const Message& message);

// An EOF or OK packet ending rows. A text row may also begin with 0xFE, but only when its first
// value is at least 16 MiB long, which makes the payload longer than any terminator.
bool IsRowsTerminator(const Message& message);

// A 4.1 EOF_Packet, which is exactly 5 bytes (an OK packet with 0xFE is at least 7).
bool IsEofPacket(const Message& message);

}  // namespace otelbpf::mysql
