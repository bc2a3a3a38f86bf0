// One finished MySQL operation, as the connection parser records it, and its database call
// (common/db_span.h). The statement is kept raw until Drain(): only then do the span options say
// whether its literals may leave (SpanBuildOptions::raw_query_text).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "protocols/common/db_span.h"
#include "protocols/common/protocol.h"

namespace otelbpf::mysql {

struct Call {
  uint8_t command = 0;
  // The SQL the operation ran (COM_QUERY, COM_STMT_PREPARE, executions of a known statement),
  // raw and at most kMaxStatementTextBytes; empty when none or unreadable.
  std::string statement;
  // The table of COM_FIELD_LIST.
  std::string table;
  bool unknown_statement = false;  // executes a statement prepared before we watched
  std::string namespace_name;
  std::optional<uint16_t> error_code;  // the server's error number
  bool failed = false;                 // ended with ERR (error_code unreadable) ...
  std::string error_type;              // ... or a failure of the connection ("connection_reset")
  std::optional<int64_t> returned_rows;
  uint64_t start_ns = 0;
  uint64_t end_ns = 0;
  uint32_t tid = 0;
  std::optional<uint32_t> tcp_seq;  // the command's first byte
  uint64_t index = 0;
};

// `system`: "mysql" or "mariadb" (a literal).
DbCall ToDbCall(const Call& call, std::string_view system, const SpanBuildOptions& options);

// The statement as db.query.text: literals replaced by "?" unless raw text is on, and even then
// when the statement may carry credentials (CREATE USER ... IDENTIFIED BY, SET PASSWORD).
std::string QueryText(std::string_view statement, bool raw_query_text);

}  // namespace otelbpf::mysql
