// Entry point for the agent: config -> transport -> batch processor.
//
//   auto config = otlp::OtlpConfigFromEnv(otlp::ProcessEnv, &warnings);
//   if (config.enabled()) {
//     std::unique_ptr<otlp::OtlpTraceExporter> exporter = otlp::MakeOtlpTraceExporter(config);
//     sinks.push_back(exporter.get());   // a SpanSink
//     ... exporter->stats() for self-metrics ...
//   }
//
// The concrete BatchSpanProcessor type (alias OtlpTraceExporter) is returned rather than
// SpanSink so the agent can read its OtlpExportStats; it converts to
// std::unique_ptr<SpanSink> when that is all you need.
#pragma once

#include <memory>

#include "export/otlp/batch_span_processor.h"
#include "export/otlp/otlp_config.h"
#include "export/otlp/otlp_transport.h"

namespace otelbpf::otlp {

// The transport selected by config.protocol (HTTP/protobuf or gRPC).
std::unique_ptr<OtlpTransport> MakeOtlpTransport(const OtlpConfig& config);

// The OTLP trace exporter is a batch span processor over a transport.
using OtlpTraceExporter = BatchSpanProcessor;

std::unique_ptr<OtlpTraceExporter> MakeOtlpTraceExporter(const OtlpConfig& config);

}  // namespace otelbpf::otlp
