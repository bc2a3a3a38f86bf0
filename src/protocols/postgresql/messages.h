// Reading the few message bodies spans need. Each reader takes the kept prefix of a body and
// whether that prefix is the whole body, checks every length against it, and answers nothing
// rather than a guess. Nothing here reads authentication messages or the StartupMessage's user.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace otelbpf::postgresql {

// A statement's text as sent: maybe only its first bytes (cut by the capture or the keep cap).
struct StatementText {
  std::string_view text;
  bool complete = false;
};

// The code after an untyped message's length: a protocol version or a request code.
std::optional<uint32_t> UntypedCode(std::string_view body);

// The StartupMessage's "database" parameter; empty when absent or not captured whole.
std::string StartupDatabase(std::string_view body);

// Query: the text.
std::optional<StatementText> ReadQuery(std::string_view body, bool complete);

struct ParseFields {
  std::string_view statement;  // "" is the unnamed statement
  StatementText text;
};
std::optional<ParseFields> ReadParse(std::string_view body, bool complete);

struct BindFields {
  std::string_view portal;
  std::string_view statement;
};
std::optional<BindFields> ReadBind(std::string_view body);

// Execute: the portal.
std::optional<std::string_view> ReadExecute(std::string_view body);

// Describe and Close: 'S' (statement) or 'P' (portal), and the name.
struct TargetFields {
  char kind = 0;
  std::string_view name;
};
std::optional<TargetFields> ReadTarget(std::string_view body);

// CommandComplete: "SELECT 5", "INSERT 0 3", "UPDATE 2", "CREATE TABLE", ...
struct CommandTag {
  std::string operation;        // the first word: "SELECT", "INSERT", "CREATE"
  std::optional<int64_t> rows;  // the row count, for the commands that report one
  bool returns_rows = false;    // SELECT and FETCH: `rows` were sent to the client
};
std::optional<CommandTag> ReadCommandComplete(std::string_view body, bool complete);

// ErrorResponse / NoticeResponse: the SQLSTATE (field 'C'), when present and well-formed. No
// other field is read: messages and details quote user data.
std::optional<std::string> ReadSqlState(std::string_view body);

// ReadyForQuery: the transaction status ('I', 'T' or 'E').
std::optional<char> ReadReadyForQuery(std::string_view body, bool complete);

}  // namespace otelbpf::postgresql
