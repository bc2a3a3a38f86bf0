// Reading the collector's ExportTraceServiceResponse, shared by both transports.
#pragma once

#include <string>
#include <string_view>

namespace otelbpf::otlp {

// A note such as "collector rejected 3 spans: <message>" when the response reports a partial
// success; empty when everything was accepted or the body is not a protobuf response
// (e.g. an empty body, which a collector may legitimately send).
std::string DescribePartialSuccess(std::string_view response_body);

}  // namespace otelbpf::otlp
