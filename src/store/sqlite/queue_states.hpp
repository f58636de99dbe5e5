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
// commit() forgets the saved copies and answers the touched queues as they now are, for the
// published view that reads answer from (published_queues.hpp); rollback() puts them back. So the
// in-memory view always equals what is committed plus what the open transaction did: a change
// survives only if its transaction commits, and a rolled-back batch (a full disk, say) leaves no
// phantom counts.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/clock.hpp"
#include "core/job.hpp"
#include "store/sqlite/published_queues.hpp"

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
  // Known to get_queue: has jobs or a row. A queue that is neither is forgotten at commit.
  bool known() const { return has_row || has_jobs(); }
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

  // Ends the transaction: answers each queue it touched as it now is. A queue left with no jobs
  // and no `queues` row is forgotten here (answered as nullopt), so one-off queue names do not
  // stay in memory forever (issue 13, D7); it is nothing a read can tell from a queue never
  // seen.
  std::vector<PublishedQueues::Update> commit();
  void rollback();
  // Every known queue, for the first publication at open.
  std::vector<PublishedQueues::Update> publish_all() const;

  const std::unordered_map<std::string, QueueState>& all() const { return states_; }

 private:
  std::unordered_map<std::string, QueueState> states_;
  // name -> the queue before this transaction first touched it (nullopt: it did not exist).
  std::unordered_map<std::string, std::optional<QueueState>> undo_;
};

}  // namespace spool::store::sqlite
