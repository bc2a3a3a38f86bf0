#include "ui/reader_pool.h"

#include "store/span_query.h"

namespace otelbpf::ui {

ReaderPool::Lease ReaderPool::Acquire() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!idle_.empty()) {
      std::unique_ptr<store::Database> db = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(db));
    }
  }
  return Lease(this, store::OpenForReading(path_));
}

void ReaderPool::Return(std::unique_ptr<store::Database> db) {
  if (!reuse_ || !db) return;
  std::lock_guard<std::mutex> lock(mu_);
  idle_.push_back(std::move(db));  // at most one per server thread: the pool never grows past it
}

}  // namespace otelbpf::ui
