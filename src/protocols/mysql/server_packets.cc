#include "protocols/mysql/server_packets.h"

#include "protocols/mysql/constants.h"
#include "protocols/mysql/wire_reader.h"

namespace otelbpf::mysql {
namespace {

// MySQL and MariaDB cap tables at 4096 columns; a count far beyond it is not a result set.
constexpr uint64_t kMaxColumns = 0xFFFF;

// The session state changes of an OK packet: entries of int<1> type and string<lenenc> data.
std::optional<std::string_view> TrackedSchema(std::string_view changes) {
  std::optional<std::string_view> schema;
  WireReader r(changes);
  while (r.remaining() > 0) {
    const std::optional<uint64_t> type = r.FixedInt(1);
    const std::optional<std::string_view> data = r.LenencString();
    if (!type || !data) break;
    if (*type == kSessionTrackSchema) {
      WireReader name(*data);
      if (std::optional<std::string_view> value = name.LenencString()) schema = value;
    }
  }
  return schema;
}

}  // namespace

std::optional<OkPacket> ParseOk(std::string_view payload, std::optional<bool> session_track) {
  WireReader r(payload);
  r.Skip(1);      // header
  r.LenencInt();  // affected rows
  r.LenencInt();  // last insert id
  const std::optional<uint64_t> status = r.FixedInt(2);
  r.Skip(2);  // warnings
  if (!status) return std::nullopt;
  OkPacket ok;
  ok.status = static_cast<uint16_t>(*status);
  const bool changed = (ok.status & server_status::kSessionStateChanged) != 0;
  if (changed && session_track.value_or(true)) {
    r.LenencString();  // info
    if (std::optional<std::string_view> changes = r.LenencString())
      ok.schema = TrackedSchema(*changes);
  }
  return ok;
}

std::optional<uint16_t> ParseEofStatus(std::string_view payload) {
  WireReader r(payload);
  r.Skip(1 + 2);  // header, warnings
  const std::optional<uint64_t> status = r.FixedInt(2);
  if (!status) return std::nullopt;
  return static_cast<uint16_t>(*status);
}

std::optional<uint16_t> ParseErrorCode(std::string_view payload) {
  WireReader r(payload);
  r.Skip(1);
  const std::optional<uint64_t> code = r.FixedInt(2);
  if (!code) return std::nullopt;
  return static_cast<uint16_t>(*code);
}

std::optional<ColumnCount> ParseColumnCount(const Message& message) {
  WireReader r(message.payload);
  const std::optional<uint64_t> columns = r.LenencInt();
  if (!columns || *columns == 0 || *columns > kMaxColumns) return std::nullopt;
  ColumnCount out;
  out.columns = *columns;
  const size_t count_size = r.position();
  if (message.length == count_size + 1) {
    const std::optional<uint64_t> follows = r.FixedInt(1);
    if (!follows || *follows > 1) return std::nullopt;
    out.metadata_follows = *follows == 1;
  } else if (message.length != count_size) {
    return std::nullopt;
  }
  return out;
}

bool IsColumnDefinition(const Message& message) {
  return message.payload.substr(0, 4) == std::string_view(
                                             "\x03"
                                             "def",
                                             4);
}

bool IsRowsTerminator(const Message& message) {
  return message.length > 0 && message.length < kMaxPacketPayload &&
         message.first_byte() == kEofHeader && !message.payload.empty();
}

bool IsEofPacket(const Message& message) {
  return message.length == kEofPacketSize && message.first_byte() == kEofHeader;
}

}  // namespace otelbpf::mysql
