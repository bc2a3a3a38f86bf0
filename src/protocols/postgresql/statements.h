// What a connection has prepared, as its frontend wrote it: statement name -> text (Parse),
// portal name -> statement (Bind). An Execute names only a portal; this is how its span gets a
// text. Names are per connection, "" being the unnamed statement / portal.
//
// Bounded: at most kMaxStatements statements holding at most kMaxStatementTextBytes of text
// (least recently bound go first), and kMaxPortals portals. A statement evicted, or prepared
// before the connection was watched, is unknown: its Executes get no text rather than a guess.
#pragma once

#include <cstddef>
#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "protocols/common/sql_text.h"

namespace otelbpf::postgresql {

// A statement's text and its shape, shared by every pending execution of it.
struct Statement {
  std::string text;      // its first kMaxQueryTextBytes
  bool complete = true;  // `text` is all of it
  sql::Shape shape;
};
using StatementPtr = std::shared_ptr<const Statement>;

// The shape is computed once per statement. A cut text loses its last (maybe partial) word and
// names no collection: "FROM users" might have been "FROM users_archive" or "FROM users, orders".
StatementPtr MakeStatement(std::string_view text, bool complete);

inline constexpr size_t kMaxStatements = 256;
inline constexpr size_t kMaxStatementTextBytes = 512 * 1024;
inline constexpr size_t kMaxPortals = 64;

class PreparedStatements {
 public:
  void Prepare(std::string_view name, StatementPtr statement);
  void Bind(std::string_view portal, std::string_view statement);
  // A Bind whose names were not captured: the portal's statement is unknown from now on.
  void ForgetPortal(std::string_view portal);
  void CloseStatement(std::string_view name);
  // A capture gap hid frontend messages: the unnamed statement and the portals may have been
  // redefined in it. Named statements stay (redefining one takes a Close first).
  void ForgetAfterGap();
  void ClosePortal(std::string_view name) { ForgetPortal(name); }

  // What `portal` runs; null when unknown.
  StatementPtr Portal(std::string_view portal) const;

  size_t statements() const { return by_name_.size(); }
  size_t text_bytes() const { return text_bytes_; }

 private:
  struct Entry {
    std::string name;
    StatementPtr statement;
  };
  void Evict();

  std::list<Entry> recency_;  // most recently prepared or bound first
  std::unordered_map<std::string, std::list<Entry>::iterator> by_name_;
  size_t text_bytes_ = 0;
  std::unordered_map<std::string, StatementPtr> portals_;  // null: bound to an unknown statement
};

}  // namespace otelbpf::postgresql
