// The commands a client sends once connected (MySQL source documentation, "Command Phase";
// MariaDB KB, "2 - Text Protocol" / "3 - Binary Protocol"): what each is called, what its response
// looks like, and the fields of its request that spans use.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace otelbpf::mysql {

// How the server answers a command, which decides how its response is framed into one call.
enum class ResponseShape : uint8_t {
  kNone,          // no response (COM_QUIT, COM_STMT_CLOSE, COM_STMT_SEND_LONG_DATA)
  kGeneric,       // OK, ERR, EOF, LOCAL INFILE request or result sets (COM_QUERY, ...)
  kPrepare,       // COM_STMT_PREPARE_OK and its parameter and column definitions, or ERR
  kFieldList,     // column definitions up to EOF, or ERR (COM_FIELD_LIST)
  kRows,          // rows up to EOF, or ERR (COM_STMT_FETCH)
  kSinglePacket,  // one string packet (COM_STATISTICS)
  kAuth,          // an authentication exchange ending in OK or ERR (COM_CHANGE_USER)
};

struct CommandInfo {
  std::string_view name;  // "COM_QUERY": db.operation.name when there is no statement
  ResponseShape response = ResponseShape::kGeneric;
  // Sent by ordinary clients: a piece beginning with it may re-join a stream.
  bool common = false;
  // False when the connection turns into a stream this parser does not follow (replication
  // binlog dumps, clone).
  bool followed = true;
};

// nullptr for a byte that is no command.
const CommandInfo* FindCommand(uint8_t command_byte);

// The fields of a command's payload (its first byte is the command) that calls use.
struct Request {
  uint8_t command = 0;
  // COM_QUERY, COM_STMT_PREPARE: the statement; COM_INIT_DB: the schema; COM_FIELD_LIST: the
  // table. A prefix when the message was cut. Empty when it could not be read.
  std::string_view text;
  std::optional<uint32_t> statement_id;  // COM_STMT_* commands
};

// `query_attributes`: whether COM_QUERY carries CLIENT_QUERY_ATTRIBUTES parameters before its
// text (std::nullopt: unknown, guessed from the bytes). std::nullopt for an unknown command.
std::optional<Request> ParseRequest(std::string_view payload, std::optional<bool> query_attributes);

}  // namespace otelbpf::mysql
