// SQL text, shared by the SQL protocols (PostgreSQL, MySQL/MariaDB). Pure, bounded, never throws.
//
// Secrets stay home: by default a statement leaves the machine only with every literal replaced
// by "?" (strings, numbers, hex/bit/escape strings, dollar-quoted bodies); comments are dropped.
//
// One reading serves both dialects; where PostgreSQL and MySQL disagree it exports less (see
// sql_text.cc): a quote after an odd run of backslashes ends a '...' literal in one dialect and
// not the other, so the rest of the text counts as that literal. "..." is read as a PostgreSQL
// quoted identifier and kept, also on MySQL where it would be a string unless ANSI_QUOTES is on:
// callers that know "..." is a string there must not rely on it being replaced.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace otelbpf::sql {

// The statement with its literals replaced by "?". Identifiers (also quoted ones), keywords,
// operators and placeholders ($1, ?, :name) are kept; whitespace runs become one space. At most
// `max_bytes` of output (cut at a token boundary, then "..."). An unterminated literal is
// replaced up to the end: a cut statement never leaks the rest of a literal. The output is valid
// UTF-8 (invalid bytes in kept tokens become U+FFFD).
std::string Sanitize(std::string_view text, size_t max_bytes = 2048);

// The operation and its main target, for db.operation.name, db.collection.name and
// db.query.summary ("SELECT users", "INSERT orders", "BEGIN"). Empty fields when unsure: a
// name that might be wrong is worse than none.
//
// The summary lists operations and their tables in the order written ("INSERT a SELECT b",
// "SELECT a b" for a join), names unquoted and schema-qualified as written ("public.users").
// WITH takes the operation of its main statement. A text of several statements has no operation
// and no collection; its summary lists them all. CALL p: summary "CALL p", no collection. Only a
// known statement verb is an operation (a typo's first word is not), and names longer than any
// identifier or holding control characters are left out.
struct Shape {
  std::string operation;   // upper case verb: SELECT, INSERT, UPDATE, DELETE, CALL, BEGIN, ...
  std::string collection;  // the single table it reads or writes, when there is exactly one
  std::string summary;     // "{operation} {tables...}", bounded to 255 bytes; else the operation
};
Shape Describe(std::string_view text);

}  // namespace otelbpf::sql
