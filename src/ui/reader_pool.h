// Read-only connections to the store for the UI's request threads. Opening one costs a file
// open, a schema check and SQLite's page cache warming up again; keeping a few idle ones makes
// a page of several API calls cheaper (docs/ui.md has the figures). A connection is used by
// one request at a time; WAL lets all of them read while the agent's writer writes, and an
// idle connection holds no snapshot, so it never keeps the writer from checkpointing.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "store/sqlite_db.h"

namespace otelbpf::ui {

class ReaderPool {
 public:
  // `reuse` false: a new connection per request (the benchmark compares the two).
  ReaderPool(std::string path, bool reuse) : path_(std::move(path)), reuse_(reuse) {}

  class Lease {
   public:
    Lease(ReaderPool* pool, std::unique_ptr<store::Database> db)
        : pool_(pool), db_(std::move(db)) {}
    ~Lease() { pool_->Return(std::move(db_)); }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    store::Database& db() { return *db_; }

   private:
    ReaderPool* pool_;
    std::unique_ptr<store::Database> db_;
  };

  // An idle connection, or a new one (store::OpenForReading: throws StoreError when the file
  // is missing or not a store).
  Lease Acquire();
  const std::string& path() const { return path_; }

 private:
  void Return(std::unique_ptr<store::Database> db);

  const std::string path_;
  const bool reuse_;
  std::mutex mu_;
  std::vector<std::unique_ptr<store::Database>> idle_;
};

}  // namespace otelbpf::ui
