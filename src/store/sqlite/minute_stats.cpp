// The SQLite store's per-minute aggregates (migration 2's minute_stats table), the backlog read
// behind readiness and the summary, and the health probe. See sqlite_store_impl.hpp for
// ownership, threading and invariants.
#include <sqlite3.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "store/sqlite/sqlite_store_impl.hpp"

namespace spool::store::sqlite {
namespace {

constexpr int kBuckets = static_cast<int>(kRunMsBuckets.size()) + 1;

std::string bucket_columns(std::string_view prefix = {}) {
  std::string out;
  for (int i = 0; i < kBuckets; ++i) {
    out += ", ";
    out += prefix;
    out += "run_b" + std::to_string(i);
  }
  return out;
}

std::string add_sql() {
  std::string cols =
      "minute, queue, type, enqueued, completed, failed, dead, run_count, "
      "run_ms_sum" +
      bucket_columns();
  std::string values = "?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9";
  for (int i = 0; i < kBuckets; ++i) values += ", ?" + std::to_string(10 + i);
  std::string update;
  for (std::string c : {"enqueued", "completed", "failed", "dead", "run_count", "run_ms_sum"}) {
    update += c + " = " + c + " + excluded." + c + ", ";
  }
  for (int i = 0; i < kBuckets; ++i) {
    std::string c = "run_b" + std::to_string(i);
    update += c + " = " + c + " + excluded." + c + (i + 1 < kBuckets ? ", " : "");
  }
  return "INSERT INTO minute_stats (" + cols + ") VALUES (" + values +
         ") ON CONFLICT (minute, queue, type) DO UPDATE SET " + update;
}

std::string read_sql() {
  return "SELECT minute, queue, type, enqueued, completed, failed, dead, run_count, run_ms_sum" +
         bucket_columns() +
         " FROM minute_stats WHERE minute >= ?1 AND (?2 IS NULL OR queue = ?2) ORDER BY minute";
}

}  // namespace

Result<const Statement*> SqliteStore::lazy(Statement& slot, std::string_view sql) {
  if (!slot) {
    auto stmt = Statement::prepare(db_.get(), sql, path_);
    if (!stmt) return tl::unexpected(stmt.error());
    slot = std::move(*stmt);
  }
  return &slot;
}

Result<void> SqliteStore::add_minute_stats(std::span<const MinuteStats> rows) {
  SPOOL_DCHECK(in_txn_);
  auto st = lazy(minute_st_.add, add_sql());
  if (!st) return tl::unexpected(st.error());
  for (const MinuteStats& r : rows) {
    auto queue_id = intern(r.queue);
    if (!queue_id) return tl::unexpected(queue_id.error());
    auto type_id = intern(r.type);
    if (!type_id) return tl::unexpected(type_id.error());
    Use q(**st);
    q.bind(1, r.minute)
        .bind(2, *queue_id)
        .bind(3, *type_id)
        .bind(4, r.enqueued)
        .bind(5, r.completed)
        .bind(6, r.failed)
        .bind(7, r.dead)
        .bind(8, r.run_count)
        .bind(9, r.run_ms_sum);
    for (int i = 0; i < kBuckets; ++i) q.bind(10 + i, r.run_buckets[i]);
    if (auto ok = run(q, "writing"); !ok) return ok;
  }
  return {};
}

Result<std::int64_t> SqliteStore::prune_minute_stats(TimeMs before, int limit) {
  SPOOL_DCHECK(in_txn_);
  // One chunk of whole minutes (WITHOUT ROWID: delete by the key's leading column).
  auto st = lazy(minute_st_.prune,
                 "DELETE FROM minute_stats WHERE minute IN (SELECT DISTINCT minute FROM "
                 "minute_stats WHERE minute < ?1 ORDER BY minute LIMIT ?2)");
  if (!st) return tl::unexpected(st.error());
  Use q(**st);
  q.bind(1, before).bind(2, limit);
  if (auto ok = run(q, "deleting from"); !ok) return tl::unexpected(ok.error());
  return static_cast<std::int64_t>(sqlite3_changes64(db_.get()));
}

Result<std::vector<MinuteStats>> SqliteStore::minute_stats(
    TimeMs from, const std::optional<std::string>& queue) {
  std::vector<MinuteStats> out;
  std::optional<std::int64_t> queue_id;
  if (queue) {
    queue_id = name_id(*queue);
    if (!queue_id) return out;
  }
  auto st = lazy(minute_st_.read, read_sql());
  if (!st) return tl::unexpected(st.error());
  Use q(**st);
  q.bind(1, from).bind(2, queue_id);
  int rc;
  while ((rc = q.step()) == SQLITE_ROW) {
    MinuteStats r;
    r.minute = q.int64(0);
    r.queue = name_of(q.int64(1));
    r.type = name_of(q.int64(2));
    r.enqueued = q.int64(3);
    r.completed = q.int64(4);
    r.failed = q.int64(5);
    r.dead = q.int64(6);
    r.run_count = q.int64(7);
    r.run_ms_sum = q.int64(8);
    for (int i = 0; i < kBuckets; ++i) r.run_buckets[i] = q.int64(9 + i);
    out.push_back(std::move(r));
  }
  if (rc != SQLITE_DONE) return failure(rc, "reading");
  return out;
}

// The backlog read runs on the writer thread, so its cost delays every write. It reads
// jobs_ready (queue, state, priority DESC, run_at), which is in priority order, one priority at a
// time (a skip-scan: the next lower priority is one seek), so that within each priority run_at
// is in order:
//  - the oldest queued job is the least of each priority's first entry;
//  - the overdue count is counted from whichever side of the instant is smaller: the queue's
//    queued count is known (the in-memory counts), so counting the jobs due later gives the
//    overdue ones too. Both sides are counted with a limit that doubles each round (1024,
//    2048, ...) until one comes in under it, so a queue costs about 4 x min(overdue, not yet
//    overdue, the bound) index entries plus a few seeks per priority, not all its queued jobs.
// A queue with more than kSkipScanPriorities distinct priorities queued is read the plain way,
// walking its queued jobs (what every queue cost before migration 4; a seek per priority would
// cost more than that).
namespace {
constexpr std::size_t kSkipScanPriorities = 64;
}  // namespace

Result<std::vector<QueueBacklog>> SqliteStore::backlog(TimeMs overdue_before) {
  std::vector<QueueBacklog> out;
  auto next_priority =
      lazy(minute_st_.next_priority,
           "SELECT priority FROM jobs INDEXED BY jobs_ready "
           "WHERE state = 1 AND queue = ?1 AND priority < ?2 ORDER BY priority DESC LIMIT 1");
  if (!next_priority) return tl::unexpected(next_priority.error());
  auto oldest = lazy(minute_st_.oldest,
                     "SELECT MIN(run_at) FROM jobs INDEXED BY jobs_ready "
                     "WHERE state = 1 AND queue = ?1 AND priority = ?2");
  if (!oldest) return tl::unexpected(oldest.error());
  auto due = lazy(minute_st_.due,
                  "SELECT COUNT(*) FROM (SELECT 1 FROM jobs INDEXED BY jobs_ready "
                  "WHERE state = 1 AND queue = ?1 AND priority = ?2 AND run_at <= ?3 LIMIT ?4)");
  if (!due) return tl::unexpected(due.error());
  auto not_due = lazy(minute_st_.not_due,
                      "SELECT COUNT(*) FROM (SELECT 1 FROM jobs INDEXED BY jobs_ready "
                      "WHERE state = 1 AND queue = ?1 AND priority = ?2 AND run_at > ?3 LIMIT ?4)");
  if (!not_due) return tl::unexpected(not_due.error());
  auto walk_oldest = lazy(minute_st_.walk_oldest,
                          "SELECT MIN(run_at) FROM jobs INDEXED BY jobs_ready "
                          "WHERE state = 1 AND queue = ?1");
  if (!walk_oldest) return tl::unexpected(walk_oldest.error());
  auto walk_due = lazy(minute_st_.walk_due,
                       "SELECT COUNT(*) FROM (SELECT 1 FROM jobs INDEXED BY jobs_ready "
                       "WHERE state = 1 AND queue = ?1 AND run_at <= ?2 LIMIT ?3)");
  if (!walk_due) return tl::unexpected(walk_due.error());

  std::vector<std::int64_t> priorities;
  // Jobs of one side of the instant over every priority, up to `limit`.
  auto count_side = [&](const Statement& st, std::int64_t queue_id,
                        std::int64_t limit) -> Result<std::int64_t> {
    std::int64_t total = 0;
    for (std::int64_t p : priorities) {
      Use q(st);
      q.bind(1, queue_id).bind(2, p).bind(3, overdue_before).bind(4, limit - total);
      int rc = q.step();
      if (rc != SQLITE_ROW) return failure(rc, "reading");
      total += q.int64(0);
      if (total >= limit) break;
    }
    return total;
  };
  for (const auto& [name, s] : queues_.all()) {
    std::int64_t queued = s.counts[JobState::kQueued];
    if (queued == 0) continue;
    auto queue_id = name_id(name);
    if (!queue_id) continue;
    QueueBacklog b;
    b.queue = name;
    b.queued = queued;

    priorities.clear();
    for (std::int64_t below = std::numeric_limits<std::int64_t>::max();;) {
      Use q(**next_priority);
      q.bind(1, *queue_id).bind(2, below);
      int rc = q.step();
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) return failure(rc, "reading");
      below = q.int64(0);
      priorities.push_back(below);
      if (priorities.size() > kSkipScanPriorities) break;
    }

    if (priorities.size() > kSkipScanPriorities) {
      {
        Use q(**walk_oldest);
        q.bind(1, *queue_id);
        int rc = q.step();
        if (rc != SQLITE_ROW) return failure(rc, "reading");
        b.oldest_run_at = q.opt_int64(0);
      }
      Use q(**walk_due);
      q.bind(1, *queue_id).bind(2, overdue_before).bind(3, kBacklogCountBound);
      int rc = q.step();
      if (rc != SQLITE_ROW) return failure(rc, "reading");
      b.overdue = q.int64(0);
      out.push_back(std::move(b));
      continue;
    }

    for (std::int64_t p : priorities) {
      Use q(**oldest);
      q.bind(1, *queue_id).bind(2, p);
      int rc = q.step();
      if (rc != SQLITE_ROW) return failure(rc, "reading");
      if (auto at = q.opt_int64(0)) {
        b.oldest_run_at = b.oldest_run_at ? std::min(*b.oldest_run_at, *at) : *at;
      }
    }
    if (b.oldest_run_at && *b.oldest_run_at <= overdue_before) {
      for (std::int64_t limit = 1024;; limit *= 2) {
        std::int64_t capped = std::min(limit, kBacklogCountBound);
        auto n_due = count_side(**due, *queue_id, capped);
        if (!n_due) return tl::unexpected(n_due.error());
        if (*n_due < capped || capped == kBacklogCountBound) {
          b.overdue = *n_due;  // all of them, or the bound
          break;
        }
        auto n_later = count_side(**not_due, *queue_id, limit);
        if (!n_later) return tl::unexpected(n_later.error());
        if (*n_later < limit) {
          // At least the n_due just counted, should the kept count ever disagree.
          b.overdue = std::min(std::max(queued - *n_later, *n_due), kBacklogCountBound);
          break;
        }
      }
    }
    out.push_back(std::move(b));
  }
  return out;
}

Result<void> SqliteStore::ping() {
  auto st = lazy(minute_st_.ping, "SELECT COUNT(*) FROM (SELECT 1 FROM names LIMIT 1)");
  if (!st) return tl::unexpected(st.error());
  Use q(**st);
  int rc = q.step();
  if (rc != SQLITE_ROW) return failure(rc, "reading");
  return {};
}

}  // namespace spool::store::sqlite
