#include "protocols/common/db_span.h"

#include <algorithm>
#include <utility>

namespace otelbpf {
namespace {

void AddString(Attributes& a, const char* key, const std::string& value) {
  if (!value.empty()) a.push_back({AttributeKey::Static(key), value});
}

std::string SpanName(const DbCall& call) {
  if (!call.query_summary.empty()) return call.query_summary;
  const std::string& target = !call.collection.empty() ? call.collection : call.namespace_name;
  if (!call.operation.empty()) return target.empty() ? call.operation : call.operation + " " + target;
  return std::string(call.system);
}

}  // namespace

Span BuildDbSpan(const DbCall& call, const ConnectionInfo& connection,
                 const SpanBuildOptions& options) {
  Span span;
  span.family = SemanticFamily::kDb;
  span.name = SpanName(call);
  span.kind = connection.role == ConnectionRole::kServer ? SpanKind::kServer : SpanKind::kClient;
  span.start_time_unix_nano = call.start_ns + options.monotonic_to_realtime_ns;
  span.end_time_unix_nano = std::max(call.end_ns, call.start_ns) + options.monotonic_to_realtime_ns;
  span.resource = connection.resource;
  Attributes& a = span.attributes;
  a.reserve(14);
  a.push_back({AttributeKey::Static("db.system.name"), std::string(call.system)});
  AddString(a, "db.namespace", call.namespace_name);
  AddString(a, "db.operation.name", call.operation);
  AddString(a, "db.collection.name", call.collection);
  AddString(a, "db.query.text", call.query_text);
  AddString(a, "db.query.summary", call.query_summary);
  AddString(a, "db.response.status_code", call.status_code);
  if (call.returned_rows)
    a.push_back({AttributeKey::Static("db.response.returned_rows"), *call.returned_rows});
  if (call.batch_size && *call.batch_size > 1)
    a.push_back({AttributeKey::Static("db.operation.batch.size"), *call.batch_size});
  // The database is the server end: the peer for a client, ourselves for a server.
  const bool server_side = connection.role == ConnectionRole::kServer;
  const Endpoint& db = server_side ? connection.local : connection.peer;
  AddString(a, "server.address", db.address);
  if (db.port) a.push_back({AttributeKey::Static("server.port"), static_cast<int64_t>(db.port)});
  if (server_side) AddString(a, "client.address", connection.peer.address);
  AddString(a, "network.peer.address", connection.peer.address);
  if (connection.peer.port)
    a.push_back(
        {AttributeKey::Static("network.peer.port"), static_cast<int64_t>(connection.peer.port)});
  if (!call.error_type.empty()) {
    a.push_back({AttributeKey::Static("error.type"), call.error_type});
    span.status = StatusCode::kError;
  }
  return span;
}

ExchangeSpan BuildDbExchange(const DbCall& call, const ConnectionInfo& connection,
                             const SpanBuildOptions& options) {
  ExchangeSpan x;
  x.span = BuildDbSpan(call, connection, options);
  x.origin.tid = call.tid;
  x.origin.exchange_index = call.index;
  x.origin.request_tcp_seq = call.request_tcp_seq;
  x.first_byte_ns = call.start_ns;
  x.last_byte_ns = std::max(call.end_ns, call.start_ns);
  return x;
}

}  // namespace otelbpf
