// Statement: an RAII prepared SQLite statement, and Use, the guard that resets it after one
// execution.
//
// Ownership: a Statement owns its sqlite3_stmt and finalizes it; the connection must outlive it
// (SqliteStore declares its statements after the connection handle for that reason). Move-only.
// Threading: the same as the connection's owner (the engine thread); no locks.
//
// Every execution goes through a Use, whose destructor resets the statement and clears its
// bindings. That matters beyond tidiness: an un-reset SELECT keeps its read snapshot open, so
// later reads would see stale data and WAL checkpoints could not finish.
//
// Text is bound with SQLITE_STATIC (no copy) for speed. REQUIRES: a bound string outlives the
// Use that binds it (true for the arguments and locals of the calling function).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace spool::store::sqlite {

class Statement {
 public:
  Statement() = default;
  ~Statement();
  Statement(Statement&& other) noexcept : stmt_(other.stmt_) { other.stmt_ = nullptr; }
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Prepares `sql` once for many executions (SQLITE_PREPARE_PERSISTENT).
  static StatusOr<Statement> prepare(sqlite3* db, std::string_view sql, std::string_view path);

  sqlite3_stmt* get() const { return stmt_; }
  explicit operator bool() const { return stmt_ != nullptr; }

 private:
  explicit Statement(sqlite3_stmt* stmt) : stmt_(stmt) {}
  sqlite3_stmt* stmt_ = nullptr;
};

// `slot`, prepared on its first use (for statements most runs never need).
StatusOr<const Statement*> prepare_once(Statement& slot, sqlite3* db, std::string_view sql,
                                        std::string_view path);

// One execution of a Statement: bind, step, read columns; reset on destruction.
class Use {
 public:
  explicit Use(const Statement& statement) : stmt_(statement.get()) {}
  ~Use();
  Use(const Use&) = delete;
  Use& operator=(const Use&) = delete;

  // Parameters are 1-based, as in SQL.
  Use& bind(int i, std::int64_t value);
  Use& bind(int i, int value) { return bind(i, static_cast<std::int64_t>(value)); }
  Use& bind(int i, std::string_view value);
  Use& bind(int i, const std::string& value) { return bind(i, std::string_view(value)); }
  Use& bind(int i, const char* value) { return bind(i, std::string_view(value)); }
  Use& bind_null(int i);
  template <typename T>
  Use& bind(int i, const std::optional<T>& value) {
    return value ? bind(i, *value) : bind_null(i);
  }

  // SQLITE_ROW, SQLITE_DONE, or an error code.
  int step();

  // Columns are 0-based, as in SQLite's C API.
  bool is_null(int col) const;
  std::int64_t int64(int col) const;
  int int32(int col) const { return static_cast<int>(int64(col)); }
  std::string text(int col) const;
  std::string_view text_view(int col) const;  // valid until the next step or reset
  std::optional<std::int64_t> opt_int64(int col) const;
  std::optional<std::string> opt_text(int col) const;

 private:
  sqlite3_stmt* stmt_;
};

}  // namespace spool::store::sqlite
