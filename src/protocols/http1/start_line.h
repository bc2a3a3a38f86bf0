// Recognising HTTP/1.x start lines ("GET /x HTTP/1.1", "HTTP/1.1 200 OK") in raw bytes.
//
// Validation is deliberately strict: the parser uses it both at message boundaries and to
// resynchronise inside garbage, so binary data must essentially never pass as a start line.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "protocols/common/http_semantics.h"
#include "protocols/http1/http1_exchange.h"

namespace otelbpf::http1 {

// Which start lines a byte stream may carry. kAny is used until the connection's role is known.
enum class StreamKind : uint8_t { kAny, kRequests, kResponses };

enum class MethodPolicy : uint8_t {
  // At a message boundary: any token of 1-20 uppercase letters ('-' and '_' allowed after the
  // first), so WebDAV and custom methods parse.
  kAnyToken,
  // Resynchronising inside garbage: only the RFC 9110 methods and PATCH.
  kKnownOnly,
};

struct StartLineScan {
  enum Verdict : uint8_t {
    kInvalid,   // these bytes do not begin a start line
    kNeedMore,  // a valid prefix so far; the line is not complete yet
    kComplete,  // a whole, valid start line
  };
  Verdict verdict = kInvalid;
  size_t length = 0;  // kComplete: bytes of the line including its "\r\n" or "\n"
};

// Examines `bytes` as the beginning of a start line of `kind`.
StartLineScan ScanStartLine(std::string_view bytes, StreamKind kind, MethodPolicy policy);

// Cheap pre-filter for resynchronisation: can a start line (known method or "HTTP/1.") begin
// with this byte?
bool MayBeginStartLine(char c);

// Fills the start-line fields of `message` from a line ScanStartLine() reported kComplete.
void ParseStartLine(std::string_view line, Message& message);

// For a start line cut short by the capture limit (ScanStartLine said kNeedMore): fills what
// the prefix tells when it is enough to name a message (a whole method and part of the target,
// or "HTTP/1.x NNN"). Returns false when it is not.
bool ParseTruncatedStartLine(std::string_view prefix, Message& message);

// The methods OpenTelemetry treats as known (shared by every HTTP version).
using http::IsKnownMethod;

}  // namespace otelbpf::http1
