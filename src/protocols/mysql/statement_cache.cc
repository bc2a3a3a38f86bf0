#include "protocols/mysql/statement_cache.h"

#include <algorithm>

#include "protocols/mysql/constants.h"

namespace otelbpf::mysql {

void StatementCache::Remember(uint32_t id, std::string_view text) {
  Forget(id);  // ids are reused once closed
  if (statements_.size() >= kMaxPreparedStatements) statements_.erase(statements_.begin());
  statements_.emplace_back(id, std::string(text.substr(0, kMaxStatementTextBytes)));
}

const std::string* StatementCache::Find(uint32_t id) const {
  for (const auto& [known, text] : statements_)
    if (known == id) return &text;
  return nullptr;
}

void StatementCache::Forget(uint32_t id) {
  statements_.erase(std::remove_if(statements_.begin(), statements_.end(),
                                   [id](const auto& entry) { return entry.first == id; }),
                    statements_.end());
}

}  // namespace otelbpf::mysql
