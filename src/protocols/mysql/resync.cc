#include "protocols/mysql/resync.h"

#include <optional>

#include "protocols/mysql/constants.h"
#include "protocols/mysql/handshake.h"

namespace otelbpf::mysql {
namespace {

struct Header {
  uint32_t length = 0;
  uint8_t seq = 0;
};

std::optional<Header> ReadHeader(std::string_view bytes) {
  if (bytes.size() < kPacketHeaderSize) return std::nullopt;
  const auto b = [&](size_t i) { return static_cast<uint32_t>(static_cast<uint8_t>(bytes[i])); };
  return Header{b(0) | (b(1) << 8) | (b(2) << 16), static_cast<uint8_t>(b(3))};
}

bool HeaderAlone(std::string_view captured, uint64_t length) {
  return captured.size() == kPacketHeaderSize && length == kPacketHeaderSize;
}

bool PlausibleTextStart(uint8_t first) {
  return first >= 0x20 || first == '\t' || first == '\n' || first == '\r';
}

// Payload sizes of the fixed-size commands; 0 for commands of any size.
uint32_t FixedCommandSize(uint8_t command_byte) {
  switch (command_byte) {
    case command::kQuit:
    case command::kStatistics:
    case command::kPing:
    case command::kResetConnection:
      return 1;
    case command::kStmtClose:
    case command::kStmtReset:
      return 5;
    case command::kStmtFetch:
      return 9;
    default:
      return 0;
  }
}

// Commands whose payload may outgrow one syscall (statements, parameter values).
bool MayBeLong(uint8_t command_byte) {
  switch (command_byte) {
    case command::kQuery:
    case command::kStmtPrepare:
    case command::kStmtExecute:
    case command::kStmtSendLongData:
    case command::kStmtBulkExecute:
      return true;
    default:
      return false;
  }
}

bool PlausibleCommandPayload(std::string_view payload, uint32_t length) {
  const auto command_byte = static_cast<uint8_t>(payload[0]);
  const CommandInfo* info = FindCommand(command_byte);
  if (info == nullptr || !info->common) return false;
  const uint32_t fixed = FixedCommandSize(command_byte);
  if (fixed != 0 && length != fixed) return false;
  if (payload.size() >= 2 &&
      (command_byte == command::kQuery || command_byte == command::kStmtPrepare)) {
    const auto first = static_cast<uint8_t>(payload[1]);
    const bool attributes = command_byte == command::kQuery && first < 0x20 &&
                            payload.size() >= 3 && payload[2] == '\x01';
    if (!PlausibleTextStart(first) && !attributes) return false;
  }
  return true;
}

}  // namespace

bool PlausibleGreetingStart(std::string_view captured, uint64_t length) {
  const std::optional<Header> header = ReadHeader(captured);
  if (!header || header->seq != 0 || header->length < kMinGreetingBytes ||
      header->length > kMaxGreetingBytes)
    return false;
  if (HeaderAlone(captured, length)) return true;
  const std::string_view payload = captured.substr(kPacketHeaderSize, header->length);
  if (payload.empty() || static_cast<uint8_t>(payload[0]) != kHandshakeV10) return false;
  return payload.size() < header->length || ParseGreeting(payload).has_value();
}

bool PlausibleCommandStart(std::string_view captured, uint64_t length) {
  const std::optional<Header> header = ReadHeader(captured);
  if (!header || header->seq != 0 || header->length == 0) return false;
  if (HeaderAlone(captured, length)) return header->length < kMaxPacketPayload;
  if (captured.size() == kPacketHeaderSize) return false;
  const std::string_view payload = captured.substr(kPacketHeaderSize, header->length);
  if (!PlausibleCommandPayload(payload, header->length)) return false;
  const uint64_t end = kPacketHeaderSize + uint64_t{header->length};
  if (end > length) return MayBeLong(static_cast<uint8_t>(payload[0]));
  if (end == length || end >= captured.size()) return true;
  // More follows in the same syscall: pipelined commands, each with sequence id 0.
  const std::optional<Header> next = ReadHeader(captured.substr(end));
  return !next || next->seq == 0 || MayBeLong(static_cast<uint8_t>(payload[0]));
}

bool PlausibleResponseStart(std::string_view captured, uint64_t length, uint8_t seq,
                            ResponseShape shape) {
  const std::optional<Header> header = ReadHeader(captured);
  if (!header || header->seq != seq || header->length == 0 || header->length >= kMaxPacketPayload)
    return false;
  if (HeaderAlone(captured, length)) return true;
  if (kPacketHeaderSize + uint64_t{header->length} > length) return false;
  if (captured.size() == kPacketHeaderSize) return false;
  const auto first = static_cast<uint8_t>(captured[kPacketHeaderSize]);
  const uint32_t size = header->length;
  switch (shape) {
    case ResponseShape::kGeneric:
      if (first == kOkHeader) return size >= 7;
      if (first == kErrHeader) return size >= 3;
      if (first == kEofHeader) return size < 9;
      if (first == kLocalInfileHeader) return true;
      if (first == 0xFC) return size == 3 || size == 4;  // a column count of 251 or more
      return first < 0xFB && size <= 2;
    case ResponseShape::kPrepare:
      return (first == kOkHeader && (size == 12 || size == 13)) ||
             (first == kErrHeader && size >= 3);
    case ResponseShape::kFieldList:
      return first == 0x03 || first == kErrHeader || first == kEofHeader;
    case ResponseShape::kRows:
      return first == kOkHeader || first == kErrHeader || first == kEofHeader;
    case ResponseShape::kAuth:
      return first == kOkHeader || first == kErrHeader || first == kEofHeader ||
             first == kAuthMoreDataHeader;
    case ResponseShape::kSinglePacket:
      return true;
    case ResponseShape::kNone:
      return false;
  }
  return false;
}

size_t FindCommandEndingPiece(std::string_view captured, uint64_t length, size_t from) {
  if (captured.size() != length) return std::string_view::npos;
  for (size_t at = from; at + kPacketHeaderSize < captured.size(); ++at) {
    const std::optional<Header> header = ReadHeader(captured.substr(at));
    if (header && header->seq == 0 && header->length > 0 &&
        at + kPacketHeaderSize + header->length == captured.size() &&
        PlausibleCommandPayload(captured.substr(at + kPacketHeaderSize), header->length))
      return at;
  }
  return std::string_view::npos;
}

}  // namespace otelbpf::mysql
