// Header fields: case-insensitive lookup, the header block's field lines, and the framing
// facts (Content-Length, Transfer-Encoding) that decide where a body ends.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "protocols/http1/http1_exchange.h"

namespace otelbpf::http1 {

// What the header fields say about the body (RFC 9112 section 6).
struct BodyFraming {
  std::optional<uint64_t> content_length;  // a valid, consistent Content-Length
  bool content_length_invalid = false;     // unparseable or conflicting values: ignore it
  bool has_transfer_encoding = false;
  bool chunked = false;  // "chunked" is the final transfer coding

  std::optional<uint64_t> usable_content_length() const {
    return content_length_invalid ? std::nullopt : content_length;
  }
};

// Strips optional whitespace (SP / HTAB) at both ends.
std::string_view TrimOws(std::string_view s);

// Parses the field lines that follow the start line, up to the empty line that ends the
// block. Only lines terminated by LF are used: when the capture cut the block, the last,
// partial line could lie (a "Content-Length: 1" that was "12"). Framing headers are noted
// even when the storage bounds (kMaxHeaders, kMaxHeaderBytes) stop storing; exceeding a
// bound sets message.truncated.
//
// `keep` says which fields are stored: every one, or only those that spans and trace assembly
// read (IsReportedHeader). Storing a field costs two strings; a typical response has a dozen
// fields and spans read none of them.
enum class HeaderSelection { kAll, kReported };
void ParseHeaderFields(std::string_view field_lines, Message& message, BodyFraming& framing,
                       HeaderSelection keep = HeaderSelection::kAll);

// The fields BuildSpan and BuildSpanOrigin read: Host, User-Agent, traceparent, tracestate,
// and Upgrade, which says what a 101 switches to (any case).
bool IsReportedHeader(std::string_view name);

// "42", or a list of identical values ("42, 42") as some intermediaries send. nullopt when invalid.
std::optional<uint64_t> ParseContentLength(std::string_view value);

}  // namespace otelbpf::http1
