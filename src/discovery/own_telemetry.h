// Does a process export its own traces (an OpenTelemetry SDK or auto-instrumentation agent)?
// Users often run otelbpf next to services that already have one; spans from both would
// double every request. Only strong evidence counts, from what the process was started with and
// what it has mapped. Pure.
//
// Evidence (the first found is reported):
//   - OTEL_TRACES_EXPORTER set to anything but "none" (only an SDK reads it);
//   - an auto-instrumentation agent in the launch options: JAVA_TOOL_OPTIONS, JDK_JAVA_OPTIONS
//     or _JAVA_OPTIONS with an opentelemetry -javaagent, NODE_OPTIONS requiring @opentelemetry/,
//     PYTHONPATH with opentelemetry's auto_instrumentation (what opentelemetry-instrument sets),
//     OTEL_DOTNET_AUTO_HOME;
//   - a mapped file of an SDK: libopentelemetry* (C++), opentelemetry-javaagent*.jar.
// Not evidence on its own: OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_SERVICE_NAME (shells and
// container images set them for every process; otelbpf itself reads OTEL_SERVICE_NAME).
#pragma once

#include <string>
#include <string_view>

namespace otelbpf {

// "" when there is no evidence; else what was found, e.g. "OTEL_TRACES_EXPORTER=otlp".
std::string OwnTelemetryEvidence(std::string_view environ_block, std::string_view maps_text);

}  // namespace otelbpf
