#include "protocols/postgresql/wire.h"

#include <algorithm>

namespace otelbpf::postgresql {
namespace {

constexpr uint32_t kKiB = 1024;
constexpr uint32_t kMiB = 1024 * kKiB;
constexpr uint32_t kMaxAlloc = 0x3fffffff;  // the server's largest allocation (MaxAllocSize)

struct LengthRange {
  uint32_t min = 0;  // 0: not a message type of that side
  uint32_t max = 0;
};

// Lengths count the length field itself. Minimums are each message's fixed part (a C string is
// at least its terminator); maximums are generous bounds on what the server builds or accepts.
LengthRange FrontendRange(char type) {
  switch (type) {
    case frontend::kQuery:
      return {5, kMaxAlloc};
    case frontend::kParse:
      return {8, kMaxAlloc};  // name, text, int16 count
    case frontend::kBind:
      return {12, kMaxAlloc};  // portal, statement, 3 int16 counts
    case frontend::kExecute:
      return {9, 64 * kKiB};  // portal, int32 row limit
    case frontend::kDescribe:
    case frontend::kClose:
      return {6, 64 * kKiB};  // 'S'/'P', name
    case frontend::kSync:
    case frontend::kFlush:
    case frontend::kTerminate:
    case frontend::kCopyDone:
      return {4, 4};
    case frontend::kFunctionCall:
      return {14, kMaxAlloc};
    case frontend::kCopyData:
      return {4, kMaxAlloc};
    case frontend::kCopyFail:
      return {5, 64 * kKiB};
    case frontend::kPassword:
      return {4, 64 * kKiB};
    default:
      return {};
  }
}

LengthRange BackendRange(char type) {
  switch (type) {
    case backend::kAuthentication:
      return {8, 64 * kKiB};
    case backend::kBackendKeyData:
      return {12, 4 + 4 + 256};  // 3.2: keys up to 256 bytes
    case backend::kParameterStatus:
      return {6, 64 * kKiB};
    case backend::kReadyForQuery:
      return {5, 5};
    case backend::kRowDescription:
      return {6, 16 * kMiB};
    case backend::kDataRow:
      return {6, kMaxAlloc};
    case backend::kCommandComplete:
      return {5, kKiB};
    case backend::kErrorResponse:
    case backend::kNoticeResponse:
      return {5, kMiB};
    case backend::kNotificationResponse:
      return {10, 64 * kKiB};
    case backend::kEmptyQueryResponse:
    case backend::kParseComplete:
    case backend::kBindComplete:
    case backend::kCloseComplete:
    case backend::kNoData:
    case backend::kPortalSuspended:
    case backend::kCopyDone:
      return {4, 4};
    case backend::kParameterDescription:
      return {6, kMiB};
    case backend::kCopyInResponse:
    case backend::kCopyOutResponse:
    case backend::kCopyBothResponse:
      return {7, 64 * kKiB};
    case backend::kCopyData:
      return {4, kMaxAlloc};
    case backend::kFunctionCallResponse:
      return {8, kMaxAlloc};
    case backend::kNegotiateProtocolVersion:
      return {12, 64 * kKiB};
    default:
      return {};
  }
}

bool InRange(LengthRange range, uint32_t length) {
  return range.min != 0 && length >= range.min && length <= range.max;
}

size_t FrontendKept(char type) {
  switch (type) {
    case frontend::kQuery:
      return kMaxQueryTextBytes + 1;  // the text and its terminator
    case frontend::kParse:
      return 256 + kMaxQueryTextBytes + 1;  // a name first
    case frontend::kBind:
    case frontend::kExecute:
    case frontend::kDescribe:
    case frontend::kClose:
      return 512;  // names (the server cuts them to 63 bytes anyway)
    default:
      return 0;  // passwords, parameters, COPY data: never read
  }
}

size_t BackendKept(char type) {
  switch (type) {
    case backend::kCommandComplete:
      return 128;
    case backend::kErrorResponse:
    case backend::kNoticeResponse:
      return 1024;  // the SQLSTATE field comes early
    case backend::kReadyForQuery:
      return 1;
    default:
      return 0;  // rows, descriptions, COPY data, authentication
  }
}

}  // namespace

uint32_t ReadUint32(std::string_view bytes) {
  return (static_cast<uint32_t>(static_cast<uint8_t>(bytes[0])) << 24) |
         (static_cast<uint32_t>(static_cast<uint8_t>(bytes[1])) << 16) |
         (static_cast<uint32_t>(static_cast<uint8_t>(bytes[2])) << 8) |
         static_cast<uint32_t>(static_cast<uint8_t>(bytes[3]));
}

uint16_t ReadUint16(std::string_view bytes) {
  return static_cast<uint16_t>((static_cast<uint8_t>(bytes[0]) << 8) |
                               static_cast<uint8_t>(bytes[1]));
}

bool PlausibleTypedHeader(Side side, char type, uint32_t length) {
  switch (side) {
    case Side::kFrontend:
      return InRange(FrontendRange(type), length);
    case Side::kBackend:
      return InRange(BackendRange(type), length);
    case Side::kUnknown:
      break;
  }
  return InRange(FrontendRange(type), length) || InRange(BackendRange(type), length);
}

bool KnownType(Side side, char type) {
  const bool frontend = FrontendRange(type).min != 0;
  const bool backend = BackendRange(type).min != 0;
  switch (side) {
    case Side::kFrontend:
      return frontend;
    case Side::kBackend:
      return backend;
    case Side::kUnknown:
      break;
  }
  return frontend || backend;
}

bool PlausibleUntypedStart(uint32_t length, uint32_t code) {
  if (length < kMinUntypedLength || length > kMaxUntypedLength) return false;
  if (code == kSslRequestCode || code == kGssEncRequestCode) return length == 8;
  if (code == kCancelRequestCode) return length >= 16 && length <= 16 + 256;
  return (code >> 16) == kProtocolMajor3 && (code & 0xffff) < 100 && length >= 9;
}

size_t KeptBodyBytes(Side side, char type) {
  switch (side) {
    case Side::kFrontend:
      return FrontendKept(type);
    case Side::kBackend:
      return BackendKept(type);
    case Side::kUnknown:
      break;
  }
  return std::max(FrontendKept(type), BackendKept(type));
}

}  // namespace otelbpf::postgresql
