#include "store/span_record.h"

#include "store/json_text.h"

namespace otelbpf::store {
namespace {

std::string StringAttr(const Attributes& attrs, std::string_view key) {
  const AttributeValue* v = FindAttribute(attrs, key);
  if (!v) return {};
  if (const auto* s = std::get_if<std::string>(v)) return *s;
  if (const auto* i = std::get_if<int64_t>(v)) return std::to_string(*i);
  return {};
}

int64_t IntAttr(const Attributes& attrs, std::string_view key) {
  const AttributeValue* v = FindAttribute(attrs, key);
  if (!v) return 0;
  if (const auto* i = std::get_if<int64_t>(v)) return *i;
  if (const auto* s = std::get_if<std::string>(v)) {
    char* end = nullptr;
    const long long parsed = std::strtoll(s->c_str(), &end, 10);
    return end && *end == '\0' ? parsed : 0;
  }
  return 0;
}

// What the span is about, in one short string: the path, query summary, question or method.
std::string TargetOf(const Span& span, const std::string& protocol) {
  const Attributes& a = span.attributes;
  switch (span.family) {
    case SemanticFamily::kHttp:
      return StringAttr(a, "url.path");
    case SemanticFamily::kDns:
      return StringAttr(a, "dns.question.name");
    case SemanticFamily::kRpc:
      return StringAttr(a, "rpc.method");
    case SemanticFamily::kDb: {
      std::string summary = StringAttr(a, "db.query.summary");
      return summary.empty() ? StringAttr(a, "db.operation.name") : summary;
    }
    default:
      return protocol == "http" ? StringAttr(a, "url.path") : std::string();
  }
}

}  // namespace

std::string ProtocolOf(const Span& span) {
  switch (span.family) {
    case SemanticFamily::kHttp:
      return "http";
    case SemanticFamily::kDns:
      return "dns";
    case SemanticFamily::kDb: {
      std::string system = StringAttr(span.attributes, "db.system.name");
      return system.empty() ? "db" : system;
    }
    case SemanticFamily::kRpc: {
      std::string system = StringAttr(span.attributes, "rpc.system.name");
      return system.empty() ? "rpc" : system;
    }
    case SemanticFamily::kMessaging: {
      std::string system = StringAttr(span.attributes, "messaging.system");
      return system.empty() ? "messaging" : system;
    }
    case SemanticFamily::kNone:
      break;
  }
  return "unknown";
}

StoredSpan ToStoredSpan(const Span& span) {
  const Attributes& a = span.attributes;
  StoredSpan row;
  row.trace_id = span.trace_id;
  row.span_id = span.span_id;
  row.parent_span_id = span.parent_span_id;
  row.name = span.name;
  row.kind = span.kind;
  row.protocol = ProtocolOf(span);
  row.start_ns = span.start_time_unix_nano;
  row.duration_ns = span.end_time_unix_nano > span.start_time_unix_nano
                        ? span.end_time_unix_nano - span.start_time_unix_nano
                        : 0;
  row.status = span.status;
  row.status_message = span.status_message;
  row.http_method = StringAttr(a, "http.request.method");
  row.http_status = IntAttr(a, "http.response.status_code");
  row.target = TargetOf(span, row.protocol);
  row.route = StringAttr(a, "http.route");
  if (row.route.empty()) row.route = StringAttr(a, "url.template");
  row.peer_service = StringAttr(a, "service.peer.name");
  if (span.kind == SpanKind::kServer) {
    row.peer_address = StringAttr(a, "client.address");
    if (row.peer_address.empty()) row.peer_address = StringAttr(a, "network.peer.address");
    row.peer_port = IntAttr(a, "network.peer.port");
    row.local_port = IntAttr(a, "server.port");
  } else {
    row.peer_address = StringAttr(a, "server.address");
    if (row.peer_address.empty()) row.peer_address = StringAttr(a, "network.peer.address");
    row.peer_port = IntAttr(a, "server.port");
    if (row.peer_port == 0) row.peer_port = IntAttr(a, "network.peer.port");
  }
  row.attributes_json = AttributesJson(a);
  row.events_json = EventsJson(span.events);
  return row;
}

StoredResource ToStoredResource(const Resource& resource) {
  const Attributes& a = resource.attributes;
  StoredResource row;
  row.attributes_json = AttributesJson(a);
  row.fingerprint = row.attributes_json;
  row.service_name = StringAttr(a, "service.name");
  if (row.service_name.empty()) row.service_name = "unknown_service";
  row.service_namespace = StringAttr(a, "service.namespace");
  row.pid = IntAttr(a, "process.pid");
  row.executable = StringAttr(a, "process.executable.name");
  row.container_id = StringAttr(a, "container.id");
  row.k8s_namespace = StringAttr(a, "k8s.namespace.name");
  row.k8s_pod = StringAttr(a, "k8s.pod.name");
  return row;
}

}  // namespace otelbpf::store
