// Numbers of the MySQL / MariaDB client/server protocol (MySQL source documentation, "Client/Server
// Protocol"; MariaDB KB, "Client/Server Protocol"), and the caps this parser keeps per connection.
#pragma once

#include <cstddef>
#include <cstdint>

namespace otelbpf::mysql {

// Every packet: int<3> payload length, int<1> sequence id, payload. A payload of exactly
// kMaxPacketPayload bytes continues in the next packet.
inline constexpr size_t kPacketHeaderSize = 4;
inline constexpr uint32_t kMaxPacketPayload = 0xFFFFFF;

// Capability flags (Initial Handshake, HandshakeResponse41).
namespace capability {
inline constexpr uint32_t kConnectWithDb = 1u << 3;
inline constexpr uint32_t kCompress = 1u << 5;
inline constexpr uint32_t kProtocol41 = 1u << 9;
inline constexpr uint32_t kSsl = 1u << 11;
inline constexpr uint32_t kSecureConnection = 1u << 15;
inline constexpr uint32_t kPluginAuth = 1u << 19;
inline constexpr uint32_t kPluginAuthLenencClientData = 1u << 21;
inline constexpr uint32_t kSessionTrack = 1u << 23;
inline constexpr uint32_t kDeprecateEof = 1u << 24;
inline constexpr uint32_t kZstdCompression = 1u << 26;
inline constexpr uint32_t kQueryAttributes = 1u << 27;
}  // namespace capability

// Server status flags (OK and EOF packets).
namespace server_status {
inline constexpr uint16_t kMoreResultsExist = 0x0008;
inline constexpr uint16_t kCursorExists = 0x0040;
inline constexpr uint16_t kSessionStateChanged = 0x4000;
}  // namespace server_status

// First payload byte of the server's generic packets.
inline constexpr uint8_t kOkHeader = 0x00;
inline constexpr uint8_t kAuthMoreDataHeader = 0x01;
inline constexpr uint8_t kLocalInfileHeader = 0xFB;
inline constexpr uint8_t kEofHeader = 0xFE;  // also AuthSwitchRequest, and OK ending result sets
inline constexpr uint8_t kErrHeader = 0xFF;
inline constexpr uint8_t kHandshakeV10 = 0x0A;
// An EOF_Packet of protocol 4.1 is always 5 bytes; an OK_Packet is at least 7.
inline constexpr size_t kEofPacketSize = 5;
// An Initial Handshake holds a short version string, ids, the scramble and a plugin name.
inline constexpr uint32_t kMinGreetingBytes = 30;
inline constexpr uint32_t kMaxGreetingBytes = 1024;
// MariaDB sends progress reports (MARIADB_CLIENT_PROGRESS) as ERR packets with this code.
inline constexpr uint16_t kProgressReportCode = 0xFFFF;
// SESSION_TRACK_SCHEMA in an OK packet's session state changes.
inline constexpr uint8_t kSessionTrackSchema = 0x01;

// Command bytes (first payload byte of a packet with sequence id 0 from the client).
namespace command {
inline constexpr uint8_t kSleep = 0x00;
inline constexpr uint8_t kQuit = 0x01;
inline constexpr uint8_t kInitDb = 0x02;
inline constexpr uint8_t kQuery = 0x03;
inline constexpr uint8_t kFieldList = 0x04;
inline constexpr uint8_t kStatistics = 0x09;
inline constexpr uint8_t kPing = 0x0E;
inline constexpr uint8_t kChangeUser = 0x11;
inline constexpr uint8_t kBinlogDump = 0x12;
inline constexpr uint8_t kStmtPrepare = 0x16;
inline constexpr uint8_t kStmtExecute = 0x17;
inline constexpr uint8_t kStmtSendLongData = 0x18;
inline constexpr uint8_t kStmtClose = 0x19;
inline constexpr uint8_t kStmtReset = 0x1A;
inline constexpr uint8_t kStmtFetch = 0x1C;
inline constexpr uint8_t kBinlogDumpGtid = 0x1E;
inline constexpr uint8_t kResetConnection = 0x1F;
inline constexpr uint8_t kClone = 0x20;
inline constexpr uint8_t kStmtBulkExecute = 0xFA;  // MariaDB
}  // namespace command

// COM_STMT_EXECUTE / COM_STMT_BULK_EXECUTE with this id run the statement prepared last
// (MariaDB, so that prepare and execute can be sent together).
inline constexpr uint32_t kLastPreparedStatementId = 0xFFFFFFFF;

// Per-connection caps: memory stays bounded whatever the peer sends.
//
// Bytes of one message kept for parsing: handshakes, commands with their statement text, OK and
// ERR packets fit; of rows only the first bytes matter.
inline constexpr size_t kMaxKeptPayloadBytes = 4096;
// Statement text kept per command and per prepared statement (the exported text is at most
// 2048 bytes, sql::Sanitize's default).
inline constexpr size_t kMaxStatementTextBytes = 2048;
// Prepared statements remembered per connection; the oldest is forgotten beyond it.
inline constexpr size_t kMaxPreparedStatements = 64;
// Commands awaiting their response with their details; beyond it a command is still followed
// (its response must be framed) but only as a bare entry that never becomes a span.
inline constexpr size_t kMaxTracedPendingCommands = 32;
// Commands awaiting their response at all; beyond it the parser gives up on the pending ones.
inline constexpr size_t kMaxPendingCommands = 1024;
// Completed calls waiting for Drain().
inline constexpr size_t kMaxCompletedCalls = 1024;
// Database names (MySQL allows 64 characters, up to 4 bytes each).
inline constexpr size_t kMaxNamespaceBytes = 256;

}  // namespace otelbpf::mysql
