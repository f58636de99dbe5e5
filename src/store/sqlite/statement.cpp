#include "store/sqlite/statement.hpp"

#include <sqlite3.h>

#include "store/sqlite/sqlite_error.hpp"

namespace spool::store::sqlite {

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    stmt_ = other.stmt_;
    other.stmt_ = nullptr;
  }
  return *this;
}

StatusOr<Statement> Statement::prepare(sqlite3* db, std::string_view sql, std::string_view path) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return tl::unexpected(sqlite_status(db, rc, "preparing a statement for", path));
  }
  return Statement(stmt);
}

StatusOr<const Statement*> prepare_once(Statement& slot, sqlite3* db, std::string_view sql,
                                        std::string_view path) {
  if (!slot) {
    auto stmt = Statement::prepare(db, sql, path);
    if (!stmt) return tl::unexpected(stmt.error());
    slot = std::move(*stmt);
  }
  return &slot;
}

Use::~Use() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

Use& Use::bind(int i, std::int64_t value) {
  sqlite3_bind_int64(stmt_, i, value);
  return *this;
}

Use& Use::bind(int i, std::string_view value) {
  sqlite3_bind_text(stmt_, i, value.data(), static_cast<int>(value.size()), SQLITE_STATIC);
  return *this;
}

Use& Use::bind_null(int i) {
  sqlite3_bind_null(stmt_, i);
  return *this;
}

int Use::step() { return sqlite3_step(stmt_); }

bool Use::is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

std::int64_t Use::int64(int col) const { return sqlite3_column_int64(stmt_, col); }

std::string_view Use::text_view(int col) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
  if (p == nullptr) return {};
  return std::string_view(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)));
}

std::string Use::text(int col) const { return std::string(text_view(col)); }

std::optional<std::int64_t> Use::opt_int64(int col) const {
  if (is_null(col)) return std::nullopt;
  return int64(col);
}

std::optional<std::string> Use::opt_text(int col) const {
  if (is_null(col)) return std::nullopt;
  return text(col);
}

}  // namespace spool::store::sqlite
