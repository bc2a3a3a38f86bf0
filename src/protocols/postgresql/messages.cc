#include "protocols/postgresql/messages.h"

#include "protocols/postgresql/wire.h"

namespace otelbpf::postgresql {
namespace {

constexpr size_t kMaxDatabaseNameBytes = 256;

// Walks a body; every read checks what is left.
class BodyReader {
 public:
  explicit BodyReader(std::string_view body) : rest_(body) {}

  // A NUL-terminated string, without its terminator.
  std::optional<std::string_view> CString() {
    const size_t end = rest_.find('\0');
    if (end == std::string_view::npos) return std::nullopt;
    const std::string_view value = rest_.substr(0, end);
    rest_.remove_prefix(end + 1);
    return value;
  }

  std::optional<char> Byte() {
    if (rest_.empty()) return std::nullopt;
    const char c = rest_[0];
    rest_.remove_prefix(1);
    return c;
  }

  bool Skip(size_t n) {
    if (rest_.size() < n) return false;
    rest_.remove_prefix(n);
    return true;
  }

  std::string_view rest() const { return rest_; }

 private:
  std::string_view rest_;
};

bool IsSqlStateChar(char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z'); }
bool IsTagChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ' ' || c == '_';
}

std::optional<int64_t> ParseCount(std::string_view digits) {
  if (digits.empty() || digits.size() > 18) return std::nullopt;
  int64_t value = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

}  // namespace

std::optional<uint32_t> UntypedCode(std::string_view body) {
  if (body.size() < 4) return std::nullopt;
  return ReadUint32(body);
}

std::string StartupDatabase(std::string_view body) {
  BodyReader reader(body);
  if (!reader.Skip(4)) return {};  // protocol version
  while (true) {
    const std::optional<std::string_view> name = reader.CString();
    if (!name || name->empty()) return {};  // cut, or the terminator: no database parameter
    const std::optional<std::string_view> value = reader.CString();
    if (!value) return {};
    // Only "database" is ever looked at; "user" and the rest stay unread.
    if (*name == "database") {
      if (value->size() > kMaxDatabaseNameBytes) return {};
      return std::string(*value);
    }
  }
}

std::optional<StatementText> ReadQuery(std::string_view body, bool complete) {
  const size_t end = body.find('\0');
  if (end != std::string_view::npos) {
    // A whole message has exactly one terminator, at its end.
    if (complete && end + 1 != body.size()) return std::nullopt;
    return StatementText{body.substr(0, end), true};
  }
  if (complete) return std::nullopt;
  return StatementText{body, false};
}

std::optional<ParseFields> ReadParse(std::string_view body, bool complete) {
  BodyReader reader(body);
  ParseFields fields;
  const std::optional<std::string_view> name = reader.CString();
  if (!name) return std::nullopt;
  fields.statement = *name;
  const std::string_view rest = reader.rest();
  const size_t end = rest.find('\0');
  if (end != std::string_view::npos) {
    fields.text = StatementText{rest.substr(0, end), true};
    // A whole message then has an int16 parameter count and that many int32 type OIDs.
    if (complete) {
      const std::string_view types = rest.substr(end + 1);
      if (types.size() < 2 || types.size() != 2 + 4 * static_cast<size_t>(ReadUint16(types)))
        return std::nullopt;
    }
    return fields;
  }
  if (complete) return std::nullopt;
  fields.text = StatementText{rest, false};
  return fields;
}

std::optional<BindFields> ReadBind(std::string_view body) {
  BodyReader reader(body);
  const std::optional<std::string_view> portal = reader.CString();
  if (!portal) return std::nullopt;
  const std::optional<std::string_view> statement = reader.CString();
  if (!statement) return std::nullopt;
  return BindFields{*portal, *statement};
}

std::optional<std::string_view> ReadExecute(std::string_view body) {
  BodyReader reader(body);
  const std::optional<std::string_view> portal = reader.CString();
  if (!portal || reader.rest().size() < 4) return std::nullopt;
  return portal;
}

std::optional<TargetFields> ReadTarget(std::string_view body) {
  BodyReader reader(body);
  const std::optional<char> kind = reader.Byte();
  if (!kind || (*kind != 'S' && *kind != 'P')) return std::nullopt;
  const std::optional<std::string_view> name = reader.CString();
  if (!name) return std::nullopt;
  return TargetFields{*kind, *name};
}

std::optional<CommandTag> ReadCommandComplete(std::string_view body, bool complete) {
  if (!complete || body.empty() || body.back() != '\0') return std::nullopt;
  const std::string_view tag = body.substr(0, body.size() - 1);
  if (tag.empty() || tag.front() == ' ' || tag.back() == ' ') return std::nullopt;
  for (char c : tag) {
    if (!IsTagChar(c)) return std::nullopt;
  }
  CommandTag out;
  const size_t space = tag.find(' ');
  out.operation = std::string(tag.substr(0, space));
  if (out.operation.front() >= '0' && out.operation.front() <= '9') return std::nullopt;
  // Commands that report a count end with it ("INSERT oid rows", "SELECT rows").
  const bool counted = out.operation == "SELECT" || out.operation == "INSERT" ||
                       out.operation == "UPDATE" || out.operation == "DELETE" ||
                       out.operation == "MERGE" || out.operation == "FETCH" ||
                       out.operation == "MOVE" || out.operation == "COPY";
  if (counted && space != std::string_view::npos) {
    out.rows = ParseCount(tag.substr(tag.rfind(' ') + 1));
    out.returns_rows = out.rows && (out.operation == "SELECT" || out.operation == "FETCH");
  }
  return out;
}

std::optional<std::string> ReadSqlState(std::string_view body) {
  BodyReader reader(body);
  while (true) {
    const std::optional<char> field = reader.Byte();
    if (!field || *field == '\0') return std::nullopt;
    const std::optional<std::string_view> value = reader.CString();
    if (!value) return std::nullopt;  // cut before the code
    if (*field != 'C') continue;
    if (value->size() != 5) return std::nullopt;
    for (char c : *value) {
      if (!IsSqlStateChar(c)) return std::nullopt;
    }
    return std::string(*value);
  }
}

std::optional<char> ReadReadyForQuery(std::string_view body, bool complete) {
  if (!complete || body.size() != 1) return std::nullopt;
  const char status = body[0];
  if (status != 'I' && status != 'T' && status != 'E') return std::nullopt;
  return status;
}

}  // namespace otelbpf::postgresql
