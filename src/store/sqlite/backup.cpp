// backup_sqlite(): an online copy of a live store with SQLite's backup API. Opens its own
// connections, so any thread may call it, and a separate process (`spool backup`) may run it
// while a server writes the file.
#include <sqlite3.h>

#include <cstdio>
#include <string>

#include "store/sqlite/sqlite_error.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store/sqlite/sqlite_store_impl.hpp"

namespace spool::store {

using sqlite::Connection;
using sqlite::sqlite_status;

namespace {

// Pages copied per step, between which the server's writer may run.
constexpr int kPagesPerStep = 1024;

}  // namespace

StatusOr<void> backup_sqlite(const std::string& db_path, const std::string& out_path) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(db_path.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr);
  Connection src(raw);
  if (rc != SQLITE_OK) return tl::unexpected(sqlite_status(src.get(), rc, "opening", db_path));
  sqlite3_busy_timeout(src.get(), 5000);

  // An existing output file is replaced, not merged into (docs/storage.md says so).
  std::remove(out_path.c_str());
  std::remove((out_path + "-wal").c_str());
  std::remove((out_path + "-shm").c_str());
  raw = nullptr;
  rc = sqlite3_open_v2(out_path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  Connection dst(raw);
  if (rc != SQLITE_OK) return tl::unexpected(sqlite_status(dst.get(), rc, "creating", out_path));

  // One read transaction across all steps: in WAL mode it pins a snapshot without blocking the
  // writer, so the copy is consistent and never restarts because the server wrote meanwhile.
  rc = sqlite3_exec(src.get(), "BEGIN; SELECT count(*) FROM sqlite_schema;", nullptr, nullptr,
                    nullptr);
  if (rc != SQLITE_OK) return tl::unexpected(sqlite_status(src.get(), rc, "reading", db_path));

  sqlite3_backup* backup = sqlite3_backup_init(dst.get(), "main", src.get(), "main");
  if (backup == nullptr) {
    return tl::unexpected(
        sqlite_status(dst.get(), sqlite3_errcode(dst.get()), "starting a backup to", out_path));
  }
  do {
    rc = sqlite3_backup_step(backup, kPagesPerStep);
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) sqlite3_sleep(10);
  } while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
  int finish_rc = sqlite3_backup_finish(backup);
  sqlite3_exec(src.get(), "COMMIT", nullptr, nullptr, nullptr);
  if (rc != SQLITE_DONE) return tl::unexpected(sqlite_status(dst.get(), rc, "writing", out_path));
  if (finish_rc != SQLITE_OK) {
    return tl::unexpected(sqlite_status(dst.get(), finish_rc, "writing", out_path));
  }
  return {};
}

}  // namespace spool::store
