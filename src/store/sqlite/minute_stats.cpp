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

StatusOr<const Statement*> SqliteStore::lazy(Statement& slot, std::string_view sql) {
  if (!slot) {
    auto stmt = Statement::prepare(db_.get(), sql, path_);
    if (!stmt) return tl::unexpected(stmt.error());
    slot = std::move(*stmt);
  }
  return &slot;
}

StatusOr<void> SqliteStore::add_minute_stats(std::span<const MinuteStats> rows) {
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

StatusOr<std::int64_t> SqliteStore::prune_minute_stats(TimeMs before, int limit) {
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

StatusOr<std::vector<MinuteStats>> SqliteStore::minute_stats(
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
// is in order and covered by the index:
//  - the oldest (and newest) queued job is the least (greatest) of each priority's first (last)
//    entry: a seek each;
//  - the overdue count is counted on one side of the instant only, over every priority, and the
//    side is the one likely to be smaller: the queue's queued count is known (the in-memory
//    counts), so counting the jobs due later gives the overdue ones too. The guess assumes jobs
//    arrived at a steady pace between the oldest and the newest; when it is wrong the count
//    costs the larger side, never more than one pass over the queue's queued jobs. None at all
//    when every job is on one side.
// A queue with more than kSkipScanPriorities distinct priorities queued is read in one pass over
// its queued jobs instead (a seek per priority would cost more than that).
namespace {
constexpr std::size_t kSkipScanPriorities = 64;
}  // namespace

StatusOr<std::vector<QueueBacklog>> SqliteStore::backlog(TimeMs overdue_before) {
  std::vector<QueueBacklog> out;
  auto next_priority =
      lazy(minute_st_.next_priority,
           "SELECT priority FROM jobs INDEXED BY jobs_ready "
           "WHERE state = 1 AND queue = ?1 AND priority < ?2 ORDER BY priority DESC LIMIT 1");
  auto oldest = lazy(minute_st_.oldest,
                     "SELECT MIN(run_at) FROM jobs INDEXED BY jobs_ready "
                     "WHERE state = 1 AND queue = ?1 AND priority = ?2");
  auto newest = lazy(minute_st_.newest,
                     "SELECT MAX(run_at) FROM jobs INDEXED BY jobs_ready "
                     "WHERE state = 1 AND queue = ?1 AND priority = ?2");
  auto due = lazy(minute_st_.due,
                  "SELECT COUNT(*) FROM jobs INDEXED BY jobs_ready "
                  "WHERE state = 1 AND queue = ?1 AND priority = ?2 AND run_at <= ?3");
  auto not_due = lazy(minute_st_.not_due,
                      "SELECT COUNT(*) FROM jobs INDEXED BY jobs_ready "
                      "WHERE state = 1 AND queue = ?1 AND priority = ?2 AND run_at > ?3");
  auto walk = lazy(minute_st_.walk,
                   "SELECT MIN(run_at), COUNT(*) FILTER (WHERE run_at <= ?2) "
                   "FROM jobs INDEXED BY jobs_ready WHERE state = 1 AND queue = ?1");
  for (const auto* st : {&next_priority, &oldest, &newest, &due, &not_due, &walk}) {
    if (!*st) return tl::unexpected(st->error());
  }

  // One row of one of the statements above: its first column (null -> nullopt).
  auto one = [&](const Statement& st, std::int64_t queue_id,
                 std::optional<std::int64_t> priority) -> StatusOr<std::optional<std::int64_t>> {
    Use q(st);
    q.bind(1, queue_id);
    if (priority) q.bind(2, *priority);
    if (&st == *due || &st == *not_due) q.bind(3, overdue_before);
    int rc = q.step();
    if (rc == SQLITE_DONE) return std::optional<std::int64_t>();
    if (rc != SQLITE_ROW) return failure(rc, "reading");
    return q.opt_int64(0);
  };

  std::vector<std::int64_t> priorities;
  for (const auto& [name, s] : queues_.all()) {
    std::int64_t queued = s.counts[JobState::kQueued];
    if (queued == 0) continue;
    auto queue_id = name_id(name);
    if (!queue_id) continue;
    QueueBacklog b;
    b.queue = name;
    b.queued = queued;

    priorities.clear();
    for (std::int64_t below = std::numeric_limits<std::int64_t>::max();
         priorities.size() <= kSkipScanPriorities;) {
      auto p = one(**next_priority, *queue_id, below);
      if (!p) return tl::unexpected(p.error());
      if (!*p) break;
      below = **p;
      priorities.push_back(below);
    }

    if (priorities.size() > kSkipScanPriorities) {
      Use q(**walk);
      q.bind(1, *queue_id).bind(2, overdue_before);
      int rc = q.step();
      if (rc != SQLITE_ROW) return failure(rc, "reading");
      b.oldest_run_at = q.opt_int64(0);
      b.overdue = std::min(q.int64(1), kBacklogCountBound);
      out.push_back(std::move(b));
      continue;
    }

    std::optional<TimeMs> newest_run_at;
    for (std::int64_t p : priorities) {
      auto first = one(**oldest, *queue_id, p);
      if (!first) return tl::unexpected(first.error());
      auto last = one(**newest, *queue_id, p);
      if (!last) return tl::unexpected(last.error());
      if (*first) b.oldest_run_at = std::min(b.oldest_run_at.value_or(**first), **first);
      if (*last) newest_run_at = std::max(newest_run_at.value_or(**last), **last);
    }
    if (!b.oldest_run_at || !newest_run_at || *b.oldest_run_at > overdue_before) {
      b.overdue = 0;
    } else if (*newest_run_at <= overdue_before) {
      b.overdue = queued;
    } else {
      bool count_due = overdue_before - *b.oldest_run_at <= *newest_run_at - overdue_before;
      std::int64_t counted = 0;
      for (std::int64_t p : priorities) {
        auto n = one(count_due ? **due : **not_due, *queue_id, p);
        if (!n) return tl::unexpected(n.error());
        counted += n->value_or(0);
      }
      b.overdue = count_due ? counted : std::max<std::int64_t>(0, queued - counted);
    }
    b.overdue = std::min(b.overdue, kBacklogCountBound);
    out.push_back(std::move(b));
  }
  return out;
}

StatusOr<void> SqliteStore::ping() {
  auto st = lazy(minute_st_.ping, "SELECT COUNT(*) FROM (SELECT 1 FROM names LIMIT 1)");
  if (!st) return tl::unexpected(st.error());
  Use q(**st);
  int rc = q.step();
  if (rc != SQLITE_ROW) return failure(rc, "reading");
  return {};
}

}  // namespace spool::store::sqlite
