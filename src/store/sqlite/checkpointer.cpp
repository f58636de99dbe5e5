#include "store/sqlite/checkpointer.hpp"

#include <sqlite3.h>

#include <chrono>

#include "core/thread_name.hpp"

namespace spool::store::sqlite {
namespace {
// Often enough that the WAL stays a few MB under full load; each pass that finds nothing new
// costs a few microseconds.
constexpr auto kInterval = std::chrono::milliseconds(200);
}  // namespace

StatusOr<std::unique_ptr<Checkpointer>> Checkpointer::start(const std::string& path, bool strict) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc == SQLITE_OK) {
    sqlite3_busy_timeout(db, 1000);
    rc = sqlite3_exec(db, strict ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL", nullptr,
                      nullptr, nullptr);
  }
  if (rc != SQLITE_OK) {
    std::string why = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    return error(StatusCode::kUnavailable,
                 "cannot open a checkpoint connection to " + path + ": " + why);
  }
  std::unique_ptr<Checkpointer> c(new Checkpointer(db));
  c->thread_ = std::thread([raw = c.get()] {
    name_this_thread("spool-checkpt");
    raw->run();
  });
  return c;
}

Checkpointer::~Checkpointer() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
  sqlite3_close_v2(db_);
}

void Checkpointer::run() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    cv_.wait_for(lock, kInterval);
    if (stop_) break;
    lock.unlock();
    // PASSIVE: copy what no reader still needs, never wait, never block the writer. A busy
    // answer just means "next time".
    sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    lock.lock();
  }
}

}  // namespace spool::store::sqlite
