#include "protocols/postgresql/statements.h"

#include <utility>

namespace otelbpf::postgresql {
namespace {

bool IsWordByte(char c) {
  const auto u = static_cast<unsigned char>(c);
  return (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || u == '_' ||
         u == '$' || u >= 0x80;
}

}  // namespace

StatementPtr MakeStatement(std::string_view text, bool complete) {
  auto statement = std::make_shared<Statement>();
  statement->text = std::string(text);
  statement->complete = complete;
  if (complete) {
    statement->shape = sql::Describe(text);
  } else {
    std::string_view whole_words = text;
    while (!whole_words.empty() && IsWordByte(whole_words.back())) whole_words.remove_suffix(1);
    statement->shape = sql::Describe(whole_words);
    statement->shape.collection.clear();
  }
  return statement;
}

void PreparedStatements::Prepare(std::string_view name, StatementPtr statement) {
  CloseStatement(name);  // re-preparing the unnamed statement replaces it
  text_bytes_ += statement->text.size();
  recency_.push_front(Entry{std::string(name), std::move(statement)});
  by_name_[recency_.front().name] = recency_.begin();
  Evict();
}

void PreparedStatements::Bind(std::string_view portal, std::string_view statement) {
  if (portals_.size() >= kMaxPortals && portals_.find(std::string(portal)) == portals_.end()) {
    // Any named one (a forgotten portal only costs its text); the unnamed one is the busiest.
    auto victim = portals_.begin();
    if (victim->first.empty()) ++victim;
    portals_.erase(victim);
  }
  const auto found = by_name_.find(std::string(statement));
  if (found == by_name_.end()) {
    portals_[std::string(portal)] = nullptr;
    return;
  }
  recency_.splice(recency_.begin(), recency_, found->second);
  portals_[std::string(portal)] = found->second->statement;
}

void PreparedStatements::ForgetPortal(std::string_view portal) {
  portals_.erase(std::string(portal));
}

void PreparedStatements::CloseStatement(std::string_view name) {
  const auto found = by_name_.find(std::string(name));
  if (found == by_name_.end()) return;
  text_bytes_ -= found->second->statement->text.size();
  recency_.erase(found->second);
  by_name_.erase(found);
}

void PreparedStatements::ForgetAfterGap() {
  CloseStatement("");
  portals_.clear();
}

StatementPtr PreparedStatements::Portal(std::string_view portal) const {
  const auto found = portals_.find(std::string(portal));
  return found == portals_.end() ? nullptr : found->second;
}

void PreparedStatements::Evict() {
  while (!recency_.empty() &&
         (by_name_.size() > kMaxStatements || text_bytes_ > kMaxStatementTextBytes)) {
    const Entry& oldest = recency_.back();
    text_bytes_ -= oldest.statement->text.size();
    by_name_.erase(oldest.name);
    recency_.pop_back();
  }
}

}  // namespace otelbpf::postgresql
