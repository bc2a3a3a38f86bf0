// A thin RAII layer over SQLite's C API: one open database, prepared statements with typed
// binds and column reads. Errors become exceptions (StoreError) carrying SQLite's message, so
// callers decide in one place whether a failure is fatal (opening) or counted (a write).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace otelbpf::store {

class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Statement;

class Database {
 public:
  enum class Mode { kReadWrite, kReadOnly };
  // Opens (kReadWrite: creates) the file. Throws StoreError with the path and the reason.
  Database(const std::string& path, Mode mode);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Runs one or more statements that return no rows we need.
  void Execute(std::string_view sql);
  // A single integer from a query such as "PRAGMA page_count"; nullopt when it returns no row.
  std::optional<int64_t> QueryInt(std::string_view sql);
  int64_t LastInsertId() const;
  int Changes() const;
  sqlite3* handle() const { return db_; }
  const std::string& path() const { return path_; }

 private:
  sqlite3* db_ = nullptr;
  std::string path_;
};

class Statement {
 public:
  Statement(Database& db, std::string_view sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement(Statement&& other) noexcept;

  // Binds are 1-based like SQLite's; a nullopt binds NULL.
  void Bind(int index, int64_t value);
  void Bind(int index, double value);
  void Bind(int index, std::string_view text);  // copied by SQLite (SQLITE_TRANSIENT)
  void BindBlob(int index, const void* data, size_t size);
  void BindNull(int index);
  void BindOptional(int index, std::string_view text) {
    if (text.empty()) BindNull(index); else Bind(index, text);
  }

  // Advances; true while a row is available. Throws on errors (SQLITE_BUSY included).
  bool Step();
  // Resets for the next execution and clears the binds.
  void Reset();

  bool IsNull(int column) const;
  int64_t Int(int column) const;
  double Double(int column) const;
  std::string Text(int column) const;  // "" for NULL
  std::string Blob(int column) const;  // raw bytes, "" for NULL

 private:
  sqlite3_stmt* stmt_ = nullptr;
  sqlite3* db_ = nullptr;
};

// BEGIN IMMEDIATE ... COMMIT, rolled back if not committed (an exception on the way).
class Transaction {
 public:
  explicit Transaction(Database& db);
  ~Transaction();
  void Commit();

 private:
  Database& db_;
  bool done_ = false;
};

}  // namespace otelbpf::store
