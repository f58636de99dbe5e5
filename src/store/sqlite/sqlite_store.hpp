// SqliteStore: the embedded default Store. One SQLite connection in WAL mode, owned by the
// engine thread, and one read-only connection per reader (open_reader()) on the same file (see
// store.hpp for the threading and transaction contract).
//
// Durability: kFast is synchronous=NORMAL: a committed transaction is in the WAL before commit
// returns, so it survives a killed process. kStrict is synchronous=FULL: the WAL is fsynced at
// each commit, so it also survives power loss. Either way the engine answers a caller only after
// commit, so group commit makes one fsync cover a whole batch.
#pragma once

#include <memory>
#include <string>

#include "core/status.hpp"
#include "store/store.hpp"

namespace spool::store {

enum class Durability { kFast, kStrict };

struct SqliteOptions {
  std::string path;  // the database file; its folder must exist
  Durability durability = Durability::kFast;
  // Test seam: SQLite's max_page_count, to make the store "full" on demand. 0 = no limit.
  std::int64_t max_page_count = 0;
  // The work bounds of reads (store.hpp); smaller ones are a test seam.
  ReadBounds bounds;
  // Test seam: how many names each connection's name cache holds (name_cache.hpp). 0 = default.
  std::size_t name_cache_capacity = 0;
};

// Opens (creating if needed) and migrates the database. Errors name the file and the cause.
StatusOr<std::unique_ptr<Store>> open_sqlite_store(const SqliteOptions& options);

// Copies the database at `db_path` to `out_path` with SQLite's online backup API. Safe while a
// server is writing to it (WAL readers do not block the writer).
StatusOr<void> backup_sqlite(const std::string& db_path, const std::string& out_path);

}  // namespace spool::store
