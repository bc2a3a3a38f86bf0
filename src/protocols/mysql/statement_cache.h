// The statements prepared on one connection (COM_STMT_PREPARE), by the id the server gave them,
// so that executions can be named by their text. Bounded: beyond kMaxPreparedStatements the
// oldest is forgotten (its executions then count as unknown statements).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace otelbpf::mysql {

class StatementCache {
 public:
  // Keeps at most kMaxStatementTextBytes of `text`.
  void Remember(uint32_t id, std::string_view text);
  // nullptr when unknown.
  const std::string* Find(uint32_t id) const;
  void Forget(uint32_t id);
  // COM_RESET_CONNECTION and COM_CHANGE_USER deallocate every statement.
  void Clear() { statements_.clear(); }
  size_t size() const { return statements_.size(); }

 private:
  std::vector<std::pair<uint32_t, std::string>> statements_;  // oldest first
};

}  // namespace otelbpf::mysql
