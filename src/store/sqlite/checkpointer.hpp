// Checkpointer: copies the WAL back into the database file from a thread and connection of its
// own, so the engine's writer never stalls on a checkpoint.
//
// Why: with SQLite's automatic checkpoints the committing thread runs them itself, fsyncs
// included, and a commit that happens to trigger one takes milliseconds instead of
// microseconds; that showed up as the p99 of enqueue-to-reserve latency. A PASSIVE checkpoint
// on another connection never blocks the writer (WAL readers and the checkpointer work beside
// it). SQLite only restarts the WAL from its beginning when a write finds every frame already
// copied, which a steady stream of commits never lets this thread achieve; so the writer itself
// finishes the job now and then (SqliteStore::maintenance), copying only the small remainder.
//
// Ownership: owned by SqliteStore, started after the writer connection is open and stopped
// before it closes. Thread-safe: its only shared state is the stop flag.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "core/status.hpp"

struct sqlite3;

namespace spool::store::sqlite {

class Checkpointer {
 public:
  // Opens its own connection to `path`. On failure the caller keeps SQLite's automatic
  // checkpoints on the writer instead.
  static StatusOr<std::unique_ptr<Checkpointer>> start(const std::string& path, bool strict);
  ~Checkpointer();
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

 private:
  explicit Checkpointer(sqlite3* db) : db_(db) {}
  void run();

  sqlite3* db_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace spool::store::sqlite
