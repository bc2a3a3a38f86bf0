// One lexer serves Sanitize and Describe: both must agree on what is a literal, or Describe could
// name a table out of a string's contents. The lexer understands PostgreSQL and MySQL/MariaDB at
// once, and where the two dialects disagree it picks the reading that exports less:
//
//   '...'   '' doubles a quote in both. A backslash escapes the quote after it in MySQL, not in
//           PostgreSQL (standard_conforming_strings). Where that changes the literal's end (a
//           quote after an odd run of backslashes), the end is unknowable: the rest of the text
//           counts as the literal. An even run ends the literal at the same quote either way.
//   "..."   A quoted identifier in PostgreSQL (kept), a string in MySQL without ANSI_QUOTES. It is
//           kept: identifiers are what make the text useful, and a MySQL parser that knows its
//           connection does not use ANSI_QUOTES should not pass double-quoted strings here.
//   `...`   A MySQL quoted identifier: kept.
//   #       A MySQL comment up to the end of the line, PostgreSQL's XOR operator: dropped like a
//           comment (losing the rest of a PostgreSQL line never leaks), except in the PostgreSQL
//           operators #> #>> #- that hardly begin a MySQL comment.
//   /* */   Nested in PostgreSQL, not in MySQL: read as nested, which drops at least as much.
//
// Literals: '...', E'...' (backslash escapes), N'...', X'...', B'...', U&'...', _charset'...',
// $$...$$ and $tag$...$tag$, numbers (1, 1.5e3, .5, 0x1F, 0b101, 0o17, 1_000), TRUE and FALSE.
// A sign before a number stays an operator ("-?"). Placeholders ($1, ?, :name) are kept.
// Output is valid UTF-8 whatever the input: invalid bytes in kept tokens become U+FFFD.
#include "protocols/common/sql_text.h"

#include <algorithm>
#include <cstdint>
#include <vector>

#include "protocols/common/ascii.h"
#include "protocols/common/utf8.h"

namespace otelbpf::sql {
namespace {

enum class TokenKind : uint8_t {
  kWord,         // keyword or unquoted identifier
  kQuotedName,   // "name" or `name`
  kLiteral,      // any literal: exported as "?"
  kPlaceholder,  // $1, ?
  kPunct,        // one character of punctuation or operator
};

struct Token {
  TokenKind kind = TokenKind::kPunct;
  std::string_view text;
  bool space_before = false;  // whitespace or a comment separated it from the previous token
};

bool IsSpace(unsigned char c) { return c <= ' ' || c == 0x7f; }
bool IsDigit(unsigned char c) { return c >= '0' && c <= '9'; }
bool IsWordStart(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}
bool IsWordChar(unsigned char c) { return IsWordStart(c) || IsDigit(c) || c == '$'; }
bool IsTagChar(unsigned char c) { return IsWordStart(c) || IsDigit(c); }  // no '$' in a tag

constexpr std::string_view kReplacementCharacter = "\xef\xbf\xbd";  // U+FFFD

using ascii::ToUpper;
using ascii::Upper;

// Appends `text` with every byte that is not part of a valid UTF-8 sequence replaced by U+FFFD
// (span attributes are protobuf strings: invalid UTF-8 would get a whole export rejected). Not
// by '?': that would read back as a placeholder, and sanitizing must be idempotent.
void AppendValidUtf8(std::string& out, std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const size_t n = Utf8CharacterLength(text, i);
    if (n == 0) {
      out += kReplacementCharacter;
      ++i;
      continue;
    }
    out.append(text.substr(i, n));
    i += n;
  }
}

class Lexer {
 public:
  explicit Lexer(std::string_view text) : text_(text) {}

  // False at the end of the text.
  bool Next(Token& token) {
    const bool space = SkipSpaceAndComments();
    if (pos_ >= text_.size()) return false;
    const size_t start = pos_;
    token.kind = Scan();
    token.text = text_.substr(start, pos_ - start);
    token.space_before = space;
    return true;
  }

 private:
  unsigned char At(size_t i) const {
    return i < text_.size() ? static_cast<unsigned char>(text_[i]) : 0;
  }

  // #> #>> #- (not #--, a '#' then a comment either way): PostgreSQL json operators.
  bool IsPostgresHashOperator(size_t pos) const {
    return At(pos + 1) == '>' || (At(pos + 1) == '-' && At(pos + 2) != '-');
  }

  bool SkipSpaceAndComments() {
    bool skipped = false;
    while (pos_ < text_.size()) {
      const unsigned char c = At(pos_);
      if (IsSpace(c)) {
        ++pos_;
      } else if (c == '-' && At(pos_ + 1) == '-') {
        SkipLine();
      } else if (c == '#' && !IsPostgresHashOperator(pos_)) {
        SkipLine();
      } else if (c == '/' && At(pos_ + 1) == '*') {
        SkipBlockComment();
      } else {
        break;
      }
      skipped = true;
    }
    return skipped;
  }

  void SkipLine() {
    const size_t end = text_.find('\n', pos_);
    pos_ = end == std::string_view::npos ? text_.size() : end + 1;
  }

  void SkipBlockComment() {
    size_t depth = 0;
    while (pos_ < text_.size()) {
      if (At(pos_) == '/' && At(pos_ + 1) == '*') {
        ++depth;
        pos_ += 2;
      } else if (At(pos_) == '*' && At(pos_ + 1) == '/') {
        pos_ += 2;
        if (--depth == 0) return;
      } else {
        ++pos_;
      }
    }
  }

  TokenKind Scan() {
    const unsigned char c = At(pos_);
    if (c == '\'') return ScanStandardString(pos_ + 1);
    if (c == '"' || c == '`') return ScanQuotedName(c);
    if (c == '$') return ScanDollar();
    if (IsDigit(c) || (c == '.' && IsDigit(At(pos_ + 1)))) return ScanNumber();
    if (IsWordStart(c)) return ScanWord();
    if (c == '?') {
      ++pos_;
      return TokenKind::kPlaceholder;
    }
    ++pos_;
    return TokenKind::kPunct;
  }

  TokenKind ToEnd() {
    pos_ = text_.size();
    return TokenKind::kLiteral;
  }

  // '...' from `body` (just past the opening quote) as both dialects read it; see the top.
  TokenKind ScanStandardString(size_t body) {
    size_t i = body;
    while (true) {
      const size_t quote = text_.find('\'', i);
      if (quote == std::string_view::npos) return ToEnd();
      size_t backslashes = 0;
      while (quote - backslashes > body && text_[quote - backslashes - 1] == '\\') ++backslashes;
      if (backslashes % 2 == 1) return ToEnd();  // the dialects disagree on where it ends
      if (At(quote + 1) == '\'') {
        i = quote + 2;
        continue;
      }
      pos_ = quote + 1;
      return TokenKind::kLiteral;
    }
  }

  // E'...': a backslash escapes any character, '' a quote.
  TokenKind ScanEscapeString(size_t body) {
    size_t i = body;
    while (i < text_.size()) {
      if (text_[i] == '\\') {
        i += 2;
      } else if (text_[i] == '\'') {
        if (At(i + 1) == '\'') {
          i += 2;
        } else {
          pos_ = i + 1;
          return TokenKind::kLiteral;
        }
      } else {
        ++i;
      }
    }
    return ToEnd();
  }

  // X'..', B'..': no escapes.
  TokenKind ScanPlainString(size_t body) {
    const size_t quote = text_.find('\'', body);
    if (quote == std::string_view::npos) return ToEnd();
    pos_ = quote + 1;
    return TokenKind::kLiteral;
  }

  TokenKind ScanQuotedName(unsigned char quote) {
    size_t i = pos_ + 1;
    while (true) {
      const size_t end = text_.find(static_cast<char>(quote), i);
      // Unterminated: perhaps a MySQL "string" cut short; never export its tail.
      if (end == std::string_view::npos) return ToEnd();
      if (At(end + 1) == quote) {
        i = end + 2;
        continue;
      }
      pos_ = end + 1;
      return TokenKind::kQuotedName;
    }
  }

  TokenKind ScanDollar() {
    if (IsDigit(At(pos_ + 1))) {  // $1: a parameter
      ++pos_;
      while (IsDigit(At(pos_))) ++pos_;
      return TokenKind::kPlaceholder;
    }
    // $tag$ or $$ opens a dollar-quoted string closed by the same delimiter.
    size_t i = pos_ + 1;
    if (IsWordStart(At(i))) {
      while (IsTagChar(At(i))) ++i;
    }
    if (At(i) != '$') {
      ++pos_;
      return TokenKind::kPunct;
    }
    const std::string_view delimiter = text_.substr(pos_, i + 1 - pos_);
    const size_t close = text_.find(delimiter, i + 1);
    if (close == std::string_view::npos) return ToEnd();
    pos_ = close + delimiter.size();
    return TokenKind::kLiteral;
  }

  TokenKind ScanNumber() {
    const unsigned char radix = static_cast<unsigned char>(Upper(static_cast<char>(At(pos_ + 1))));
    if (At(pos_) == '0' && (radix == 'X' || radix == 'B' || radix == 'O')) {
      pos_ += 2;
      while (IsTagChar(At(pos_))) ++pos_;  // digits of any radix, '_' separators
      return TokenKind::kLiteral;
    }
    auto digits = [this] {
      while (IsDigit(At(pos_)) || (At(pos_) == '_' && IsDigit(At(pos_ + 1)))) ++pos_;
    };
    digits();
    if (At(pos_) == '.' && At(pos_ + 1) != '.') {  // not a range operator "1..2"
      ++pos_;
      digits();
    }
    if (Upper(static_cast<char>(At(pos_))) == 'E') {
      size_t i = pos_ + 1;
      if (At(i) == '+' || At(i) == '-') ++i;
      if (IsDigit(At(i))) {
        pos_ = i;
        digits();
      }
    }
    return TokenKind::kLiteral;
  }

  TokenKind ScanWord() {
    const size_t start = pos_;
    while (IsWordChar(At(pos_))) ++pos_;
    const std::string_view word = text_.substr(start, pos_ - start);
    if (At(pos_) == '\'') {
      // A prefix glued to a quote makes one literal.
      if (ascii::EqualsIgnoreCase(word, "E")) return ScanEscapeString(pos_ + 1);
      if (ascii::EqualsIgnoreCase(word, "X") || ascii::EqualsIgnoreCase(word, "B")) return ScanPlainString(pos_ + 1);
      if (ascii::EqualsIgnoreCase(word, "N") || word[0] == '_') return ScanStandardString(pos_ + 1);
    }
    if (ascii::EqualsIgnoreCase(word, "U") && At(pos_) == '&') {
      if (At(pos_ + 1) == '\'') return ScanStandardString(pos_ + 2);
      if (At(pos_ + 1) == '"') {
        ++pos_;
        return ScanQuotedName('"');
      }
    }
    if (ascii::EqualsIgnoreCase(word, "TRUE") || ascii::EqualsIgnoreCase(word, "FALSE")) return TokenKind::kLiteral;
    return TokenKind::kWord;
  }

  std::string_view text_;
  size_t pos_ = 0;
};

std::vector<Token> Tokenize(std::string_view text) {
  std::vector<Token> tokens;
  Lexer lexer(text);
  Token token;
  while (lexer.Next(token)) tokens.push_back(token);
  return tokens;
}

// ---- Describe -------------------------------------------------------------------------------

constexpr size_t kMaxSummaryBytes = 255;
constexpr size_t kMaxTrackedDepth = 64;  // deeper parentheses count as expressions

bool IsPunct(const Token& t, char c) {
  return t.kind == TokenKind::kPunct && t.text.size() == 1 && t.text[0] == c;
}
bool IsWord(const Token& t, std::string_view upper) {
  return t.kind == TokenKind::kWord && ascii::EqualsIgnoreCase(t.text, upper);
}
bool IsName(const Token& t) {
  return t.kind == TokenKind::kWord || t.kind == TokenKind::kQuotedName;
}

// A word that can be a statement's verb: ASCII letters and '_' only (no identifier with digits,
// '$' or non-ASCII bytes, which only a name has).
bool IsKeyword(const Token& t) {
  if (t.kind != TokenKind::kWord || t.text.size() > 32) return false;
  for (char c : t.text) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_')) return false;
  }
  return true;
}

bool OneOf(std::string_view upper, std::initializer_list<std::string_view> words) {
  return std::find(words.begin(), words.end(), upper) != words.end();
}

// Statement verbs of PostgreSQL and MySQL/MariaDB that are not data statements. Only these name
// an operation: a misspelt or foreign first word would be an invented, high-cardinality name.
bool IsOtherVerb(std::string_view upper) {
  return OneOf(
      upper, {"ABORT",     "ALTER",   "ANALYZE",  "BEGIN",    "CALL",     "CHECKPOINT", "CLOSE",
              "CLUSTER",   "COMMENT", "COMMIT",   "COPY",     "CREATE",   "DEALLOCATE", "DECLARE",
              "DELIMITER", "DESC",    "DESCRIBE", "DISCARD",  "DO",       "DROP",       "END",
              "EXECUTE",   "EXPLAIN", "FETCH",    "FLUSH",    "GRANT",    "HANDLER",    "IMPORT",
              "INSTALL",   "KILL",    "LISTEN",   "LOAD",     "LOCK",     "MOVE",       "NOTIFY",
              "OPTIMIZE",  "PREPARE", "PURGE",    "REASSIGN", "REFRESH",  "REINDEX",    "RELEASE",
              "RENAME",    "REPAIR",  "RESET",    "REVOKE",   "ROLLBACK", "SAVEPOINT",  "SECURITY",
              "SET",       "SHOW",    "START",    "TABLE",    "TRUNCATE", "UNINSTALL",  "UNLISTEN",
              "UNLOCK",    "USE",     "VACUUM",   "VALUES",   "XA"});
}

bool IsDataOperation(std::string_view upper) {
  return OneOf(upper, {"SELECT", "INSERT", "UPDATE", "DELETE", "MERGE", "REPLACE"});
}

// Words that follow a table name but are never its alias.
bool EndsTableReference(std::string_view upper) {
  return OneOf(upper, {"WHERE",   "JOIN",   "INNER",         "LEFT",        "RIGHT",     "FULL",
                       "OUTER",   "CROSS",  "NATURAL",       "ON",          "USING",     "GROUP",
                       "ORDER",   "HAVING", "LIMIT",         "OFFSET",      "FETCH",     "FOR",
                       "WINDOW",  "UNION",  "INTERSECT",     "EXCEPT",      "RETURNING", "SET",
                       "VALUES",  "SELECT", "DEFAULT",       "TABLESAMPLE", "WITH",      "AS",
                       "INTO",    "FROM",   "STRAIGHT_JOIN", "PARTITION",   "USE",       "FORCE",
                       "IGNORE",  "LOCK",   "WHEN",          "OVERRIDING",  "QUALIFY",   "ONLY",
                       "LATERAL", "DO",     "CONNECT",       "START",       "MINUS"});
}

// Longer than any identifier PostgreSQL (63 bytes) or MySQL (64 characters) allows, even
// schema-qualified: not a name to export.
constexpr size_t kMaxNameBytes = 200;

// A name worth exporting: bounded, no control characters (a quoted identifier may hold any).
bool UsableName(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameBytes) return false;
  for (char c : name) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
  }
  return true;
}

// A name as written, quotes removed ("public"."users" -> public.users).
std::string Unquote(const Token& t) {
  std::string out;
  if (t.kind != TokenKind::kQuotedName) {
    AppendValidUtf8(out, t.text);
    return out;
  }
  std::string_view body = t.text;
  if (body.size() >= 2 && (body[0] == 'U' || body[0] == 'u') && body[1] == '&')
    body.remove_prefix(2);
  const char quote = body.front();
  body = body.substr(1, body.size() - 2);
  std::string raw;
  for (size_t i = 0; i < body.size(); ++i) {
    raw.push_back(body[i]);
    if (body[i] == quote && i + 1 < body.size() && body[i + 1] == quote) ++i;
  }
  AppendValidUtf8(out, raw);
  return out;
}

// Walks the tokens of one statement, collecting operations and their targets in order.
class StatementWalker {
 public:
  explicit StatementWalker(const std::vector<Token>& tokens) : t_(tokens) {}

  struct Part {
    std::string text;
    bool operation = false;
  };

  void WalkDataStatement() {
    std::vector<bool> query_parens;  // per open parenthesis: does a query start inside it?
    size_t untracked = 0;            // open parentheses beyond kMaxTrackedDepth
    for (size_t i = 0; i < t_.size(); ++i) {
      const Token& token = t_[i];
      if (IsPunct(token, '(')) {
        const bool query =
            i + 1 < t_.size() && (IsWord(t_[i + 1], "SELECT") || IsWord(t_[i + 1], "WITH") ||
                                  IsWord(t_[i + 1], "VALUES"));
        if (query_parens.size() < kMaxTrackedDepth) {
          query_parens.push_back(query);
        } else {
          ++untracked;
        }
        continue;
      }
      if (IsPunct(token, ')')) {
        if (untracked > 0) {
          --untracked;
        } else if (!query_parens.empty()) {
          query_parens.pop_back();
        }
        continue;
      }
      if (untracked > 0 || (!query_parens.empty() && !query_parens.back())) continue;
      if (token.kind != TokenKind::kWord) continue;
      const std::string word = ToUpper(token.text);
      const std::string previous =
          i > 0 && t_[i - 1].kind == TokenKind::kWord ? ToUpper(t_[i - 1].text) : "";
      if (IsDataOperation(word)) {
        // FOR UPDATE, DO UPDATE, ON DUPLICATE KEY UPDATE, WHEN MATCHED THEN DELETE: clauses.
        if (OneOf(previous, {"FOR", "DO", "KEY", "THEN", "ON"})) continue;
        if (word == "REPLACE" && i > 0) continue;  // replace(): a string function
        AddOperation(word);
        if (operation_.empty() && query_parens.empty()) operation_ = word;
        i = AfterOperation(word, i + 1) - 1;
      } else if (word == "FROM" && previous != "DISTINCT") {
        i = TableList(i + 1) - 1;
      } else if (word == "JOIN" || word == "STRAIGHT_JOIN") {
        i = TableReference(i + 1) - 1;
      } else if (word == "USING" && (current_ == "DELETE" || current_ == "MERGE")) {
        i = TableList(i + 1) - 1;
      }
    }
  }

  // TRUNCATE [TABLE] [ONLY] a, b / COPY a ... / CALL p(...)
  void WalkNamedStatement(const std::string& operation) {
    AddOperation(operation);
    operation_ = operation;
    size_t i = 1;
    if (operation == "TRUNCATE") {
      if (i < t_.size() && IsWord(t_[i], "TABLE")) ++i;
      TableList(i);
    } else if (operation == "COPY") {
      TableReference(i);
    } else if (operation == "CALL") {
      std::string name;
      i = DottedName(i, name);
      if (UsableName(name)) parts_.push_back({name, false});  // a procedure, not a collection
    }
  }

  const std::vector<Part>& parts() const { return parts_; }
  size_t operations() const { return ops_; }
  size_t targets() const { return targets_; }
  const std::string& operation() const { return operation_; }
  void set_operation(std::string op) { operation_ = std::move(op); }
  const std::string& single_target() const { return first_target_; }

 private:
  void AddOperation(const std::string& word) {
    parts_.push_back({word, true});
    ++ops_;
    current_ = word;
    current_targets_.clear();
  }

  void AddTarget(std::string name) {
    if (!UsableName(name)) return;
    if (std::find(current_targets_.begin(), current_targets_.end(), name) != current_targets_.end())
      return;
    current_targets_.push_back(name);
    if (targets_ == 0) first_target_ = name;
    ++targets_;
    parts_.push_back({std::move(name), false});
  }

  size_t SkipWords(size_t i, std::initializer_list<std::string_view> words) {
    while (i < t_.size() && t_[i].kind == TokenKind::kWord && OneOf(ToUpper(t_[i].text), words))
      ++i;
    return i;
  }

  size_t AfterOperation(const std::string& word, size_t i) {
    if (word == "INSERT" || word == "REPLACE") {
      i = SkipWords(i, {"IGNORE", "LOW_PRIORITY", "DELAYED", "HIGH_PRIORITY"});
      if (i < t_.size() && IsWord(t_[i], "INTO")) ++i;
      return TableReference(i);
    }
    if (word == "UPDATE") {
      return TableList(SkipWords(i, {"LOW_PRIORITY", "IGNORE"}));
    }
    if (word == "DELETE") {
      i = SkipWords(i, {"LOW_PRIORITY", "QUICK", "IGNORE"});
      if (i < t_.size() && IsWord(t_[i], "FROM")) ++i;
      return TableList(i);
    }
    if (word == "MERGE") {
      if (i < t_.size() && IsWord(t_[i], "INTO")) ++i;
      return TableReference(i);
    }
    return i;  // SELECT: its FROM names the tables
  }

  // name(.name)*: the tokens it spans, and the name without quotes.
  size_t DottedName(size_t i, std::string& name) {
    name.clear();
    while (i < t_.size() && IsName(t_[i])) {
      if (t_[i].kind == TokenKind::kWord && EndsTableReference(ToUpper(t_[i].text))) break;
      name += Unquote(t_[i]);
      ++i;
      if (i + 1 < t_.size() && IsPunct(t_[i], '.') && IsName(t_[i + 1])) {
        name.push_back('.');
        ++i;
        continue;
      }
      break;
    }
    return i;
  }

  // One table reference: [ONLY|LATERAL] name [*] [[AS] alias]. A function call or a subquery
  // names no table (the subquery's own FROM does).
  size_t TableReference(size_t i) {
    i = SkipWords(i, {"ONLY", "LATERAL"});
    std::string name;
    const size_t after = DottedName(i, name);
    if (name.empty()) return i;
    if (after < t_.size() && IsPunct(t_[after], '(')) {
      // A function in FROM, or t (columns) after INSERT INTO / COPY: only the latter is a table.
      if (OneOf(current_, {"INSERT", "REPLACE", "COPY"})) AddTarget(std::move(name));
      return after;
    }
    AddTarget(std::move(name));
    i = after;
    if (i < t_.size() && IsPunct(t_[i], '*')) ++i;  // PostgreSQL: t * (with descendants)
    if (i < t_.size() && IsWord(t_[i], "AS")) ++i;
    if (i < t_.size() && IsName(t_[i]) &&
        !(t_[i].kind == TokenKind::kWord && EndsTableReference(ToUpper(t_[i].text)))) {
      ++i;  // alias
    }
    return i;
  }

  size_t TableList(size_t i) {
    while (true) {
      i = TableReference(i);
      if (i < t_.size() && IsPunct(t_[i], ',') && i + 1 < t_.size() && IsName(t_[i + 1])) {
        ++i;
        continue;
      }
      return i;
    }
  }

  const std::vector<Token>& t_;
  std::vector<Part> parts_;
  size_t ops_ = 0;
  size_t targets_ = 0;
  std::string first_target_;
  std::string operation_;
  std::string current_;
  std::vector<std::string> current_targets_;
};

std::vector<std::vector<Token>> SplitStatements(std::vector<Token> tokens) {
  std::vector<std::vector<Token>> statements(1);
  size_t depth = 0;
  for (const Token& token : tokens) {
    if (IsPunct(token, '(')) ++depth;
    if (IsPunct(token, ')') && depth > 0) --depth;
    if (depth == 0 && IsPunct(token, ';')) {
      if (!statements.back().empty()) statements.emplace_back();
      continue;
    }
    statements.back().push_back(token);
  }
  if (statements.back().empty()) statements.pop_back();
  return statements;
}

void AppendPart(std::string& summary, const std::string& part, bool& full) {
  if (full || part.empty()) return;
  const size_t needed = part.size() + (summary.empty() ? 0 : 1);
  if (summary.size() + needed > kMaxSummaryBytes) {
    full = true;  // never half a name: stop at the last part that fits
    return;
  }
  if (!summary.empty()) summary.push_back(' ');
  summary += part;
}

}  // namespace

std::string Sanitize(std::string_view text, size_t max_bytes) {
  std::string out;
  const size_t limit = max_bytes >= 3 ? max_bytes - 3 : 0;  // room for "..."
  size_t fits = 0;  // output length at the last token boundary within `limit`
  Lexer lexer(text);
  Token token;
  while (lexer.Next(token)) {
    if (token.space_before && !out.empty()) out.push_back(' ');
    if (token.kind == TokenKind::kLiteral) {
      out.push_back('?');
    } else {
      AppendValidUtf8(out, token.text);
    }
    if (out.size() <= limit) fits = out.size();
    if (out.size() > max_bytes) {
      out.resize(fits);
      if (max_bytes >= 3) out += "...";
      return out;
    }
  }
  return out;
}

Shape Describe(std::string_view text) {
  Shape shape;
  const std::vector<std::vector<Token>> statements = SplitStatements(Tokenize(text));
  bool full = false;
  for (const std::vector<Token>& tokens : statements) {
    StatementWalker walker(tokens);
    const Token& first = tokens.front();
    if (IsPunct(first, '(')) {
      walker.WalkDataStatement();  // (SELECT ...) UNION (SELECT ...)
      for (const auto& part : walker.parts()) {
        if (!part.operation) continue;
        if (walker.operation().empty()) walker.set_operation(part.text);
        break;
      }
    } else if (IsKeyword(first)) {
      const std::string word = ToUpper(first.text);
      if (IsDataOperation(word) || word == "WITH") {
        walker.WalkDataStatement();
        if (walker.operation().empty()) walker.set_operation(word);  // WITH without a main verb
      } else if (IsOtherVerb(word)) {
        // TRUNCATE, COPY and CALL name their target; BEGIN, SET, SHOW, CREATE, ...: the verb.
        walker.WalkNamedStatement(word);
      }
    }
    for (const auto& part : walker.parts()) AppendPart(shape.summary, part.text, full);
    if (statements.size() == 1) {
      shape.operation = walker.operation();
      if (walker.operations() == 1 && walker.targets() == 1) {
        shape.collection = walker.single_target();
      }
      if (shape.summary.empty()) shape.summary = shape.operation;
    }
  }
  return shape;
}

}  // namespace otelbpf::sql
