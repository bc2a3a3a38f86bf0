// A WHERE clause built from parts, with ?N placeholders bound afterwards: the store's queries
// never put user text into SQL.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "store/sqlite_db.h"

namespace otelbpf::store {

using BindValue = std::variant<int64_t, std::string>;

class WhereBuilder {
 public:
  // A placeholder for `v`, to be written into a clause.
  std::string Param(BindValue v) {
    binds_.push_back(std::move(v));
    return "?" + std::to_string(binds_.size());
  }
  void Add(std::string clause) { clauses_.push_back(std::move(clause)); }
  // " WHERE a AND b", or "" when nothing was added.
  std::string Sql() const {
    std::string out;
    for (size_t i = 0; i < clauses_.size(); ++i) out += (i ? " AND " : " WHERE ") + clauses_[i];
    return out;
  }
  void BindAll(Statement& s) const {
    for (size_t i = 0; i < binds_.size(); ++i) {
      const int index = static_cast<int>(i + 1);
      if (const auto* n = std::get_if<int64_t>(&binds_[i])) s.Bind(index, *n);
      else s.Bind(index, std::get<std::string>(binds_[i]));
    }
  }

 private:
  std::vector<std::string> clauses_;
  std::vector<BindValue> binds_;
};

// "(a OR b OR c)".
inline std::string OrOf(const std::vector<std::string>& parts) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? " OR " : "") + parts[i];
  return "(" + out + ")";
}

}  // namespace otelbpf::store
