// QueueStates: the SQLite store's in-memory view of every queue: pause flag and config (a cache
// of the `queues` table), job counts per state, and the rate-limit window.
//
// Ownership: one per SqliteStore. Threading: the engine thread only, like the store.
//
// Why in memory: stats, queue counts and the concurrency cap must be cheap with millions of
// jobs, and reserve must know a queue is paused without a query. The counts are rebuilt at open
// with one GROUP BY, so the file stays the single source of truth.
//
// Transactions: a write changes a queue through edit(), which first saves the queue as it was.
// commit() forgets the saved copies; rollback() puts them back. So the in-memory view always
// equals what is committed plus what the open transaction did: a change survives only if its
// transaction commits, and a rolled-back batch (a full disk, say) leaves no phantom counts.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/clock.hpp"
#include "core/job.hpp"

namespace spool::store::sqlite {

// A fixed window of jobs handed out. It lives in this process only: fine for the single-node
// SQLite store, where this process is the file's only writer. A restart forgets the window, so
// at most one extra window's worth may be handed out across a restart.
struct RateWindow {
  TimeMs start = 0;
  std::int64_t handed_out = 0;
};

struct QueueState {
  bool has_row = false;  // a row exists in `queues` (paused, resumed or patched at some point)
  bool paused = false;
  QueueConfig config;
  Counts counts;
  RateWindow rate;

  bool has_jobs() const;
  // Listed by list_queues(): has jobs, or is paused or configured.
  bool listed() const { return has_jobs() || paused || !(config == QueueConfig{}); }
};

class QueueStates {
 public:
  const QueueState* find(const std::string& name) const;
  // For writes inside a transaction: the queue (created if new), saved first for rollback.
  QueueState& edit(const std::string& name);
  // For loading at open, outside any transaction: no undo copy.
  QueueState& load(const std::string& name) { return states_[name]; }

  // Moves n jobs of `queue` between states (from or to may be nullopt: inserted / deleted).
  void move(const std::string& queue, std::optional<JobState> from, std::optional<JobState> to,
            std::int64_t n = 1);

  void commit() { undo_.clear(); }
  void rollback();

  const std::unordered_map<std::string, QueueState>& all() const { return states_; }

 private:
  std::unordered_map<std::string, QueueState> states_;
  // name -> the queue before this transaction first touched it (nullopt: it did not exist).
  std::unordered_map<std::string, std::optional<QueueState>> undo_;
};

}  // namespace spool::store::sqlite
