// The SQLite store's backlog read (behind readiness and the summary) and its health probe
// (SqliteReader). See sqlite_reader.hpp for ownership and threading.
#include <sqlite3.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

#include "store/sqlite/backlog_sql.hpp"
#include "store/sqlite/sqlite_reader.hpp"

namespace spool::store::sqlite {

// The backlog read walks jobs_ready (queue, state, priority DESC, run_at), which is in priority
// order, one priority at a time (a skip-scan: the next lower priority is one seek), so that
// within each priority run_at is in order and covered by the index:
//  - the oldest (and newest) queued job is the least (greatest) of each priority's first (last)
//    entry: a seek each;
//  - the overdue count is counted on one side of the instant only, over every priority, and the
//    side is the one likely to be smaller: the queue's queued count is known (the published
//    counts), so counting the jobs due later gives the overdue ones too. The guess assumes jobs
//    arrived at a steady pace between the oldest and the newest. None at all when every job is
//    on one side.
// Every count stops after bounds_.backlog_count rows (LIMIT inside the count), so the work is
// bounded, not only the answer: when the side counted first reaches the bound, the other side is
// counted, also bounded, and the answer is clamped to the bound.
// A queue with more than kSkipScanPriorities distinct priorities queued is read in one walk of
// its first bounds_.backlog_count queued jobs in priority order instead (a seek per priority
// would cost more): exact up to that many jobs; beyond it, oldest_run_at and overdue are those of
// the jobs walked.
namespace {
constexpr std::size_t kSkipScanPriorities = 64;
}  // namespace

StatusOr<std::vector<QueueBacklog>> SqliteReader::backlog(TimeMs overdue_before) {
  names_.trim();
  std::vector<QueueBacklog> out;
  auto next_priority = lazy(st_.next_priority, kBacklogNextPrioritySql);
  auto oldest = lazy(st_.oldest, kBacklogOldestSql);
  auto newest = lazy(st_.newest, kBacklogNewestSql);
  auto due = lazy(st_.due, kBacklogDueSql);
  auto not_due = lazy(st_.not_due, kBacklogNotDueSql);
  auto walk = lazy(st_.walk, kBacklogWalkSql);
  for (const auto* st : {&next_priority, &oldest, &newest, &due, &not_due, &walk}) {
    if (!*st) return tl::unexpected(st->error());
  }
  const std::int64_t bound = std::max<std::int64_t>(bounds_.backlog_count, 1);

  // One row of one of the statements above: its first column (null -> nullopt).
  auto one = [&](const Statement& st, std::int64_t queue_id, std::int64_t priority,
                 std::optional<std::int64_t> limit) -> StatusOr<std::optional<std::int64_t>> {
    Use q(st);
    q.bind(1, queue_id).bind(2, priority);
    if (limit) q.bind(3, overdue_before).bind(4, *limit);
    int rc = q.step();
    if (rc == SQLITE_DONE) return std::optional<std::int64_t>();
    if (rc != SQLITE_ROW) return failure(rc, "reading");
    return q.opt_int64(0);
  };
  // The queued jobs of the listed priorities on one side of overdue_before, at most `bound`.
  std::vector<std::int64_t> priorities;
  auto count = [&](const Statement& st, std::int64_t queue_id) -> StatusOr<std::int64_t> {
    std::int64_t counted = 0;
    for (std::int64_t p : priorities) {
      if (counted >= bound) break;
      auto n = one(st, queue_id, p, bound - counted);
      if (!n) return tl::unexpected(n.error());
      counted += n->value_or(0);
    }
    return counted;
  };

  for (const auto& queue : queues_->all()) {
    std::int64_t queued = queue->counts[JobState::kQueued];
    if (queued == 0) continue;
    auto queue_id = names_.id_of(queue->name);
    if (!queue_id) return tl::unexpected(queue_id.error());
    if (!*queue_id) continue;
    QueueBacklog b;
    b.queue = queue->name;
    b.queued = queued;

    priorities.clear();
    for (std::int64_t below = std::numeric_limits<std::int64_t>::max();
         priorities.size() <= kSkipScanPriorities;) {
      auto p = one(**next_priority, **queue_id, below, std::nullopt);
      if (!p) return tl::unexpected(p.error());
      if (!*p) break;
      below = **p;
      priorities.push_back(below);
    }

    if (priorities.size() > kSkipScanPriorities) {
      Use q(**walk);
      q.bind(1, **queue_id).bind(2, overdue_before).bind(3, bound);
      int rc = q.step();
      if (rc != SQLITE_ROW) return failure(rc, "reading");
      b.oldest_run_at = q.opt_int64(0);
      b.overdue = std::min(q.int64(1), bound);
      out.push_back(std::move(b));
      continue;
    }

    std::optional<TimeMs> newest_run_at;
    for (std::int64_t p : priorities) {
      auto first = one(**oldest, **queue_id, p, std::nullopt);
      if (!first) return tl::unexpected(first.error());
      auto last = one(**newest, **queue_id, p, std::nullopt);
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
      auto counted = count(count_due ? **due : **not_due, **queue_id);
      if (!counted) return tl::unexpected(counted.error());
      if (count_due) {
        b.overdue = *counted;
      } else if (*counted < bound) {
        b.overdue = std::max<std::int64_t>(0, queued - *counted);
      } else {
        // At least `bound` jobs are due later: the overdue ones are counted after all.
        auto overdue = count(**due, **queue_id);
        if (!overdue) return tl::unexpected(overdue.error());
        b.overdue = *overdue;
      }
    }
    b.overdue = std::min(b.overdue, bound);
    out.push_back(std::move(b));
  }
  return out;
}

StatusOr<void> SqliteReader::ping() {
  auto st = lazy(st_.ping, "SELECT COUNT(*) FROM (SELECT 1 FROM names LIMIT 1)");
  if (!st) return tl::unexpected(st.error());
  Use q(**st);
  int rc = q.step();
  if (rc != SQLITE_ROW) return failure(rc, "reading");
  return {};
}

}  // namespace spool::store::sqlite
