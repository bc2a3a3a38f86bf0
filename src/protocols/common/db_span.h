// Database spans, the same for every database protocol (stable OpenTelemetry database semantic
// conventions). A protocol's matcher fills one DbCall per operation; BuildDbSpan maps it:
//
//   db.system.name          "postgresql", "mysql", "mariadb", "redis", "memcached"
//   db.namespace            database name / index, when known
//   db.operation.name       "SELECT", "GET", "EXECUTE", ...
//   db.collection.name      the table / collection, when one is certain
//   db.query.text           the statement, literals replaced by "?" unless raw text is on
//   db.query.summary        "SELECT users", low cardinality
//   db.response.status_code SQLSTATE / error number / error prefix, on errors (and PG warnings)
//   db.response.returned_rows  rows the response carried, when counted
//   db.operation.batch.size pipelined operations sent in one batch (when > 1)
//   error.type              the status code (or "closed_before_response", ...) on failures
//   server.address/.port, network.peer.address/.port, client.address (SERVER spans)
//
// Span name, per the conventions: {db.query.summary}, else {db.operation.name} {target} (target:
// collection, else namespace), else {db.operation.name}, else {db.system.name}. Kind CLIENT when
// the observed process called the database, SERVER when it is the database. Status Error
// exactly when `error` is set.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "protocols/common/connection.h"
#include "protocols/common/protocol.h"
#include "trace/span.h"

namespace otelbpf {

struct DbCall {
  std::string_view system;  // db.system.name: a literal
  std::string namespace_name;
  std::string operation;
  std::string collection;
  std::string query_text;  // already sanitized by the caller (see sql_text.h), or empty
  std::string query_summary;
  std::string status_code;  // empty when none
  std::string error_type;   // set exactly when the call failed
  std::optional<int64_t> returned_rows;
  std::optional<int64_t> batch_size;
  uint64_t start_ns = 0;  // monotonic: the request's first byte
  uint64_t end_ns = 0;    // monotonic: the response's last byte
  uint32_t tid = 0;       // the thread that sent (client) or received (server) the request
  uint64_t index = 0;     // position of the operation on its connection
  std::optional<uint32_t> request_tcp_seq;  // the request's first byte (Piece::tcp_seq)
};

// The span of one call on `connection`. Ids stay zero (trace assembly sets them).
Span BuildDbSpan(const DbCall& call, const ConnectionInfo& connection,
                 const SpanBuildOptions& options);

// BuildDbSpan plus its origin and window: what ConnectionParser::Drain hands out.
ExchangeSpan BuildDbExchange(const DbCall& call, const ConnectionInfo& connection,
                             const SpanBuildOptions& options);

}  // namespace otelbpf
