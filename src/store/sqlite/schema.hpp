// The SQLite store's schema and its migrations. Free functions over a connection the caller
// owns; call from the connection's owning thread only.
//
// The schema version lives in PRAGMA user_version. Opening a file migrates it forward one
// numbered migration at a time, each in its own transaction; a file from a newer build is
// refused rather than guessed at.
#pragma once

#include <string_view>

#include "core/status.hpp"

struct sqlite3;

namespace spool::store::sqlite {

// Change the schema => bump kSchemaVersion and add migration N (schema.cpp). Never edit a
// migration that has shipped: files in the field have already run it.
inline constexpr int kSchemaVersion = 8;

// Brings the database at `db` up to kSchemaVersion. `path` is for error messages.
StatusOr<void> migrate(sqlite3* db, std::string_view path);

}  // namespace spool::store::sqlite
