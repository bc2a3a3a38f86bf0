// The PostgreSQL frontend/backend protocol, version 3 (PostgreSQL documentation, chapter
// "Frontend/Backend Protocol", sections "Message Formats" and "Message Flow"): the vocabulary the
// framer and the matcher share.
//
// Every message but the first ones of a connection is typed: one type byte, then an int32
// big-endian length that counts itself and the body but not the type byte. The frontend's first
// message (StartupMessage, or SSLRequest / GSSENCRequest / CancelRequest before it) is untyped:
// the int32 length, then an int32 code. A backend answers SSLRequest and GSSENCRequest with one
// untyped byte ('S'/'G': encryption follows, 'N': go on in plaintext).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace otelbpf::postgresql {

// Which end of the protocol wrote a stream: the same type byte means different messages.
enum class Side : uint8_t { kUnknown = 0, kFrontend = 1, kBackend = 2 };

inline constexpr size_t kTypedHeaderSize = 5;    // type byte + int32 length
inline constexpr size_t kUntypedHeaderSize = 4;  // int32 length
inline constexpr size_t kLengthFieldSize = 4;

// Untyped first messages: the code after the length.
inline constexpr uint32_t kProtocolMajor3 = 3;  // StartupMessage: major version in the high 16 bits
inline constexpr uint32_t kCancelRequestCode = 80877102;
inline constexpr uint32_t kSslRequestCode = 80877103;
inline constexpr uint32_t kGssEncRequestCode = 80877104;
inline constexpr uint32_t kMinUntypedLength = 8;      // length + code
inline constexpr uint32_t kMaxUntypedLength = 10000;  // the postmaster refuses longer ones

// Frontend message types.
namespace frontend {
inline constexpr char kBind = 'B';
inline constexpr char kClose = 'C';
inline constexpr char kCopyData = 'd';
inline constexpr char kCopyDone = 'c';
inline constexpr char kCopyFail = 'f';
inline constexpr char kDescribe = 'D';
inline constexpr char kExecute = 'E';
inline constexpr char kFlush = 'H';
inline constexpr char kFunctionCall = 'F';
inline constexpr char kParse = 'P';
inline constexpr char kPassword = 'p';  // also SASLInitialResponse, SASLResponse, GSSResponse
inline constexpr char kQuery = 'Q';
inline constexpr char kSync = 'S';
inline constexpr char kTerminate = 'X';
}  // namespace frontend

// Backend message types.
namespace backend {
inline constexpr char kAuthentication = 'R';
inline constexpr char kBackendKeyData = 'K';
inline constexpr char kBindComplete = '2';
inline constexpr char kCloseComplete = '3';
inline constexpr char kCommandComplete = 'C';
inline constexpr char kCopyBothResponse = 'W';
inline constexpr char kCopyData = 'd';
inline constexpr char kCopyDone = 'c';
inline constexpr char kCopyInResponse = 'G';
inline constexpr char kCopyOutResponse = 'H';
inline constexpr char kDataRow = 'D';
inline constexpr char kEmptyQueryResponse = 'I';
inline constexpr char kErrorResponse = 'E';
inline constexpr char kFunctionCallResponse = 'V';
inline constexpr char kNegotiateProtocolVersion = 'v';
inline constexpr char kNoData = 'n';
inline constexpr char kNoticeResponse = 'N';
inline constexpr char kNotificationResponse = 'A';
inline constexpr char kParameterDescription = 't';
inline constexpr char kParameterStatus = 'S';
inline constexpr char kParseComplete = '1';
inline constexpr char kPortalSuspended = 's';
inline constexpr char kReadyForQuery = 'Z';
inline constexpr char kRowDescription = 'T';
}  // namespace backend

// Answers to SSLRequest / GSSENCRequest.
inline constexpr char kEncryptionAccepted = 'S';
inline constexpr char kGssEncryptionAccepted = 'G';
inline constexpr char kEncryptionRefused = 'N';

// Big-endian integers; `bytes` must hold enough.
uint32_t ReadUint32(std::string_view bytes);
uint16_t ReadUint16(std::string_view bytes);

// Whether a typed header could start a message written by `side` (kUnknown: by either): a known
// type and a length within what that message can have. Used to validate every header and to
// find messages again after losing track of boundaries.
bool PlausibleTypedHeader(Side side, char type, uint32_t length);
// Whether `type` is a message type `side` (kUnknown: either) writes.
bool KnownType(Side side, char type);

// Whether an untyped header + code could be a frontend's first message.
bool PlausibleUntypedStart(uint32_t length, uint32_t code);

// How many body bytes of a message are worth keeping: the rest is counted and skipped, so a
// DataRow or CopyData of any size streams through in constant memory. Authentication messages
// ('p' from the frontend) keep nothing: nothing in them may ever be exported.
size_t KeptBodyBytes(Side side, char type);

// How many bytes of a statement's text are kept (Query, Parse): enough for the statement's
// shape and for db.query.text, bounded per connection.
inline constexpr size_t kMaxQueryTextBytes = 8 * 1024;

}  // namespace otelbpf::postgresql
