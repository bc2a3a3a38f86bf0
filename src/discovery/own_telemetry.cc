#include "discovery/own_telemetry.h"

#include "discovery/process_registry.h"

namespace otelbpf {
namespace {

bool Contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

// The mapped file's path of one /proc/PID/maps line ("" for anonymous mappings).
std::string_view MappedPath(std::string_view line) {
  const size_t slash = line.find('/');
  return slash == std::string_view::npos ? std::string_view{} : line.substr(slash);
}

}  // namespace

std::string OwnTelemetryEvidence(std::string_view environ_block, std::string_view maps_text) {
  const std::string exporter = FindEnvironmentValue(environ_block, "OTEL_TRACES_EXPORTER");
  if (!exporter.empty() && exporter != "none") return "OTEL_TRACES_EXPORTER=" + exporter;
  for (const char* name : {"JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS"}) {
    const std::string options = FindEnvironmentValue(environ_block, name);
    if (Contains(options, "-javaagent:") && Contains(options, "opentelemetry"))
      return std::string(name) + " loads the OpenTelemetry Java agent";
  }
  if (Contains(FindEnvironmentValue(environ_block, "NODE_OPTIONS"), "@opentelemetry/"))
    return "NODE_OPTIONS requires @opentelemetry/";
  if (Contains(FindEnvironmentValue(environ_block, "PYTHONPATH"),
               "opentelemetry/instrumentation/auto_instrumentation"))
    return "PYTHONPATH runs opentelemetry-instrument";
  if (!FindEnvironmentValue(environ_block, "OTEL_DOTNET_AUTO_HOME").empty())
    return "OTEL_DOTNET_AUTO_HOME (OpenTelemetry .NET auto-instrumentation)";
  while (!maps_text.empty()) {
    const size_t end = maps_text.find('\n');
    const std::string_view path = MappedPath(maps_text.substr(0, end));
    maps_text.remove_prefix(end == std::string_view::npos ? maps_text.size() : end + 1);
    const std::string_view file = path.substr(path.rfind('/') + 1);
    if (file.rfind("libopentelemetry", 0) == 0 || file.rfind("opentelemetry-javaagent", 0) == 0)
      return "maps " + std::string(path);
  }
  return {};
}

}  // namespace otelbpf
