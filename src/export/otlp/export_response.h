// Reading the collector's ExportTraceServiceResponse, shared by both transports.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace otelbpf::otlp {

// A note such as "collector rejected 3 spans: <message>" when the response reports a partial
// success; empty when everything was accepted or the body is not a protobuf response
// (e.g. an empty body, which a collector may legitimately send).
std::string DescribePartialSuccess(std::string_view response_body);

// What a collector wrote (an error message), made safe for the agent's log: control
// characters (C0, DEL) as \xNN, cut to kMaxPeerTextBytes (on a UTF-8 boundary) plus "...".
inline constexpr size_t kMaxPeerTextBytes = 1024;
std::string SanitizePeerText(std::string_view text);

}  // namespace otelbpf::otlp
