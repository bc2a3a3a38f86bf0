#include "protocols/mysql/command.h"

#include <array>

#include "protocols/mysql/constants.h"
#include "protocols/mysql/wire_reader.h"

namespace otelbpf::mysql {
namespace {

using S = ResponseShape;

// Indexed by command byte, 0x00 .. 0x20 (COM_STMT_BULK_EXECUTE, 0xFA, is apart).
constexpr std::array<CommandInfo, 0x21> kCommands = {{
    {"COM_SLEEP", S::kGeneric, false},  // server-internal: a client gets ERR
    {"COM_QUIT", S::kNone, true},
    {"COM_INIT_DB", S::kGeneric, true},
    {"COM_QUERY", S::kGeneric, true},
    {"COM_FIELD_LIST", S::kFieldList, true},
    {"COM_CREATE_DB", S::kGeneric, false},
    {"COM_DROP_DB", S::kGeneric, false},
    {"COM_REFRESH", S::kGeneric, true},
    {"COM_SHUTDOWN", S::kGeneric, false},
    {"COM_STATISTICS", S::kSinglePacket, true},
    {"COM_PROCESS_INFO", S::kGeneric, false},
    {"COM_CONNECT", S::kGeneric, false},
    {"COM_PROCESS_KILL", S::kGeneric, true},
    {"COM_DEBUG", S::kGeneric, true},
    {"COM_PING", S::kGeneric, true},
    {"COM_TIME", S::kGeneric, false},
    {"COM_DELAYED_INSERT", S::kGeneric, false},
    {"COM_CHANGE_USER", S::kAuth, true},
    {"COM_BINLOG_DUMP", S::kGeneric, false, false},
    {"COM_TABLE_DUMP", S::kGeneric, false},
    {"COM_CONNECT_OUT", S::kGeneric, false},
    {"COM_REGISTER_SLAVE", S::kGeneric, false},
    {"COM_STMT_PREPARE", S::kPrepare, true},
    {"COM_STMT_EXECUTE", S::kGeneric, true},
    {"COM_STMT_SEND_LONG_DATA", S::kNone, true},
    {"COM_STMT_CLOSE", S::kNone, true},
    {"COM_STMT_RESET", S::kGeneric, true},
    {"COM_SET_OPTION", S::kGeneric, true},
    {"COM_STMT_FETCH", S::kRows, true},
    {"COM_DAEMON", S::kGeneric, false},
    {"COM_BINLOG_DUMP_GTID", S::kGeneric, false, false},
    {"COM_RESET_CONNECTION", S::kGeneric, true},
    {"COM_CLONE", S::kGeneric, false, false},
}};
constexpr CommandInfo kStmtBulkExecute = {"COM_STMT_BULK_EXECUTE", S::kGeneric, true};

// Field types (enum_field_types) of the binary protocol, as far as their value sizes differ.
enum FieldType : uint8_t {
  kTiny = 1,
  kShort = 2,
  kLong = 3,
  kFloat = 4,
  kDouble = 5,
  kNull = 6,
  kTimestamp = 7,
  kLongLong = 8,
  kInt24 = 9,
  kDate = 10,
  kTime = 11,
  kDateTime = 12,
  kYear = 13,
  kNewDate = 14,
  kVarchar = 15,
  kBit = 16,
  kTimestamp2 = 17,
  kDateTime2 = 18,
  kTime2 = 19,
};

// Skips one Binary Protocol Value of `type`.
bool SkipBinaryValue(WireReader& r, uint8_t type) {
  switch (type) {
    case kNull:
      return true;
    case kTiny:
      return r.Skip(1);
    case kShort:
    case kYear:
      return r.Skip(2);
    case kLong:
    case kInt24:
    case kFloat:
      return r.Skip(4);
    case kLongLong:
    case kDouble:
      return r.Skip(8);
    case kTimestamp:
    case kDate:
    case kTime:
    case kDateTime:
    case kNewDate:
    case kTimestamp2:
    case kDateTime2:
    case kTime2: {
      const std::optional<uint64_t> size = r.FixedInt(1);
      return size && r.Skip(static_cast<size_t>(*size));
    }
    default:
      // Strings, decimals, blobs, JSON, geometry, vectors, ...: string<lenenc>.
      if (type == kVarchar || type == kBit || type == 0 || type >= 0xF2)
        return r.LenencString().has_value();
      return false;
  }
}

// COM_QUERY with CLIENT_QUERY_ATTRIBUTES: parameter_count, parameter_set_count, and when there
// are parameters their NULL bitmap, types, names and values come before the text. The values
// are the caller's business (they may be secrets): they are only skipped.
std::optional<std::string_view> SkipQueryAttributes(std::string_view body) {
  WireReader r(body);
  const std::optional<uint64_t> count = r.LenencInt();
  const std::optional<uint64_t> sets = r.LenencInt();
  if (!count || !sets || *count > body.size()) return std::nullopt;
  if (*count > 0) {
    const std::optional<std::string_view> null_bitmap = r.Bytes((*count + 7) / 8);
    const std::optional<uint64_t> new_params_bound = r.FixedInt(1);
    if (!null_bitmap || new_params_bound != 1) return std::nullopt;
    uint8_t types[256];
    if (*count > sizeof(types)) return std::nullopt;
    for (uint64_t i = 0; i < *count; ++i) {
      const std::optional<uint64_t> type_and_flag = r.FixedInt(2);
      if (!type_and_flag || !r.LenencString()) return std::nullopt;
      types[i] = static_cast<uint8_t>(*type_and_flag & 0xFF);
    }
    for (uint64_t i = 0; i < *count; ++i) {
      const bool is_null = (static_cast<uint8_t>((*null_bitmap)[i / 8]) >> (i % 8)) & 1;
      if (!is_null && !SkipBinaryValue(r, types[i])) return std::nullopt;
    }
  }
  if (r.failed()) return std::nullopt;
  return r.Rest();
}

// Without the handshake the capability is unknown. Statement text never starts with a control
// byte other than whitespace, while attributes start with a small count followed by the set
// count, always 1.
bool LooksLikeQueryAttributes(std::string_view body) {
  if (body.size() < 2) return false;
  const auto first = static_cast<uint8_t>(body[0]);
  const bool whitespace = first == ' ' || (first >= '\t' && first <= '\r');
  return first < 0x20 && !whitespace && body[1] == '\x01';
}

std::optional<uint32_t> StatementId(std::string_view body) {
  WireReader r(body);
  const std::optional<uint64_t> id = r.FixedInt(4);
  if (!id) return std::nullopt;
  return static_cast<uint32_t>(*id);
}

}  // namespace

const CommandInfo* FindCommand(uint8_t command_byte) {
  if (command_byte < kCommands.size()) return &kCommands[command_byte];
  if (command_byte == command::kStmtBulkExecute) return &kStmtBulkExecute;
  return nullptr;
}

std::optional<Request> ParseRequest(std::string_view payload,
                                    std::optional<bool> query_attributes) {
  if (payload.empty() || FindCommand(static_cast<uint8_t>(payload[0])) == nullptr)
    return std::nullopt;
  Request request;
  request.command = static_cast<uint8_t>(payload[0]);
  const std::string_view body = payload.substr(1);
  switch (request.command) {
    case command::kQuery: {
      const bool attributes = query_attributes.value_or(LooksLikeQueryAttributes(body));
      if (!attributes) {
        request.text = body;
      } else if (std::optional<std::string_view> text = SkipQueryAttributes(body)) {
        request.text = *text;
      }
      break;
    }
    case command::kStmtPrepare:
    case command::kInitDb:
      request.text = body;
      break;
    case command::kFieldList: {
      const size_t end = body.find('\0');
      request.text = body.substr(0, end);
      break;
    }
    case command::kStmtExecute:
    case command::kStmtSendLongData:
    case command::kStmtClose:
    case command::kStmtReset:
    case command::kStmtFetch:
    case command::kStmtBulkExecute:
      request.statement_id = StatementId(body);
      break;
    default:
      break;
  }
  return request;
}

}  // namespace otelbpf::mysql
