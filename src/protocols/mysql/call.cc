#include "protocols/mysql/call.h"

#include <algorithm>
#include <cctype>

#include "protocols/common/sql_text.h"
#include "protocols/mysql/command.h"
#include "protocols/mysql/constants.h"
#include "protocols/mysql/double_quoted_strings.h"

namespace otelbpf::mysql {
namespace {

bool ContainsWord(std::string_view text, std::string_view upper_word) {
  const auto it =
      std::search(text.begin(), text.end(), upper_word.begin(), upper_word.end(),
                  [](char a, char b) { return std::toupper(static_cast<unsigned char>(a)) == b; });
  return it != text.end();
}

// Statements that set or name passwords: their literals stay home whatever the options say.
bool MayCarryCredentials(std::string_view statement) {
  return ContainsWord(statement, "IDENTIFIED") || ContainsWord(statement, "PASSWORD");
}

bool RunsStatement(uint8_t command_byte) {
  switch (command_byte) {
    case command::kQuery:
    case command::kStmtPrepare:
    case command::kStmtExecute:
    case command::kStmtBulkExecute:
      return true;
    default:
      return false;
  }
}

}  // namespace

std::string QueryText(std::string_view statement, bool raw_query_text) {
  if (raw_query_text && !MayCarryCredentials(statement))
    return std::string(statement.substr(0, kMaxStatementTextBytes));
  return sql::Sanitize(MaskDoubleQuotedStrings(statement));
}

DbCall ToDbCall(const Call& call, std::string_view system, const SpanBuildOptions& options) {
  DbCall db;
  db.system = system;
  db.namespace_name = call.namespace_name;
  const CommandInfo* info = FindCommand(call.command);
  const std::string_view command_name = info ? info->name : std::string_view("COM_UNKNOWN");
  if (call.unknown_statement) {
    db.operation = "EXECUTE";
  } else if (!call.statement.empty()) {
    sql::Shape shape = sql::Describe(MaskDoubleQuotedStrings(call.statement));
    db.query_text = QueryText(call.statement, options.raw_query_text);
    db.collection = std::move(shape.collection);
    if (RunsStatement(call.command)) {
      db.operation = std::move(shape.operation);
      db.query_summary = std::move(shape.summary);
    }
  }
  if (db.operation.empty()) db.operation = std::string(command_name);
  if (!call.table.empty()) db.collection = call.table;
  if (call.error_code) {
    db.status_code = std::to_string(*call.error_code);
    db.error_type = db.status_code;
  } else if (!call.error_type.empty()) {
    db.error_type = call.error_type;
  } else if (call.failed) {
    db.error_type = "_OTHER";
  }
  db.returned_rows = call.returned_rows;
  db.start_ns = call.start_ns;
  db.end_ns = call.end_ns;
  db.tid = call.tid;
  db.request_tcp_seq = call.tcp_seq;
  db.index = call.index;
  return db;
}

}  // namespace otelbpf::mysql
