// Reading the collector's ExportMetricsServiceResponse: the metrics counterpart of
// export_response.h, handed to the transports through their `describe_response` option.
#pragma once

#include <string>
#include <string_view>

namespace otelbpf::otlp {

// A note such as "collector rejected 3 data points: <message>" when the response reports a
// partial success; empty when everything was accepted or the body is not a protobuf response
// (e.g. an empty body, which a collector may legitimately send).
std::string DescribeMetricsPartialSuccess(std::string_view response_body);

}  // namespace otelbpf::otlp
