// The SQLite store's upkeep: promoting due jobs, expiring leases, retention, and the due times
// the engine sleeps until. See sqlite_store_impl.hpp for ownership, threading and invariants.
#include <sqlite3.h>

#include <algorithm>

#include "store/sqlite/sqlite_store_impl.hpp"

namespace spool::store::sqlite {
namespace {

std::string worker_name(const std::string& worker) {
  return worker.empty() ? std::string("unnamed") : worker;
}

std::string lease_expired_message(std::int64_t held_ms, const std::string& worker) {
  return "lease expired after " + std::to_string(held_ms) + " ms without ack (worker " +
         worker_name(worker) + ")";
}

std::string timeout_message(std::int64_t timeout_ms, const std::string& worker) {
  return "the attempt ran longer than its timeout_ms of " + std::to_string(timeout_ms) +
         " ms (worker " + worker_name(worker) + ")";
}

}  // namespace

StatusOr<TickResult> SqliteStore::tick(TimeMs now, int limit, double jitter) {
  SPOOL_DCHECK(in_txn_);
  TickResult out;

  struct Due {
    std::int64_t seq;
    std::int64_t queue;
    JobState state;
  };
  std::vector<Due> due;
  {
    Use q(st_.select_due);
    q.bind(1, now).bind(2, limit);
    int rc;
    while ((rc = q.step()) == SQLITE_ROW) {
      due.push_back(Due{q.int64(0), q.int64(1), static_cast<JobState>(q.int32(2))});
    }
    if (rc != SQLITE_DONE) return failure(rc, "reading");
  }
  for (const Due& d : due) {
    Use q(st_.mark_promoted);
    q.bind(1, d.seq);
    if (auto ok = run(q, "writing"); !ok) return tl::unexpected(ok.error());
    auto queue_name = name_of(d.queue);
    if (!queue_name) return tl::unexpected(queue_name.error());
    const std::string& queue = *queue_name;
    queues_.move(queue, d.state, JobState::kQueued);
    if (std::find(out.queues_with_new_work.begin(), out.queues_with_new_work.end(), queue) ==
        out.queues_with_new_work.end()) {
      out.queues_with_new_work.push_back(queue);
    }
  }
  out.promoted = static_cast<std::int64_t>(due.size());

  std::vector<std::string> expired;
  {
    Use q(st_.select_expired);
    q.bind(1, now).bind(2, limit);
    int rc;
    while ((rc = q.step()) == SQLITE_ROW) expired.push_back(q.text(0));
    if (rc != SQLITE_DONE) return failure(rc, "reading");
  }
  // Expiries are rare next to acks, so each reuses the settle path (one more lookup by id)
  // rather than a second copy of the failure rules.
  for (const std::string& id : expired) {
    auto row = find_settle(id, true);
    if (!row) return tl::unexpected(row.error());
    // The lease was cut at the attempt's timeout (reserve, extend): reaching it is a timeout,
    // an earlier expiry a worker that stopped extending.
    auto deadline = row->deadline();
    bool timed_out = deadline && *deadline <= now;
    FailKind kind = timed_out ? FailKind::kTimeout : FailKind::kLeaseExpired;
    ErrorRecord record{
        timed_out ? timeout_message(*row->timeout_ms, row->worker)
                  : lease_expired_message(row->lease_expires_at - row->started_at, row->worker),
        kind, now, row->attempts};
    auto settled = settle_failure(id, *row, record, kind, std::nullopt, now, jitter);
    if (!settled) return tl::unexpected(settled.error());
    out.expired_jobs.push_back(std::move(*settled));
  }
  out.expired = static_cast<std::int64_t>(expired.size());
  return out;
}

StatusOr<std::int64_t> SqliteStore::sweep_retention(TimeMs now, int limit) {
  SPOOL_DCHECK(in_txn_);
  // Chunked by `limit`: one huge DELETE would hold the writer (and grow the WAL) for as long as
  // it takes; the engine calls again while the answer equals the limit.
  std::int64_t deleted = 0;
  {
    Use q(st_.sweep_jobs);
    q.bind(1, now).bind(2, limit);
    int rc;
    // DELETE ... RETURNING makes every change at the first step, so writing dedupe rows
    // between steps is safe.
    while ((rc = q.step()) == SQLITE_ROW) {
      auto queue_name = name_of(q.int64(0));
      if (!queue_name) return tl::unexpected(queue_name.error());
      queues_.move(*queue_name, static_cast<JobState>(q.int32(1)), std::nullopt);
      ++deleted;
      if (!q.is_null(3)) {
        // The key outlives its job until its window ends (migration 6): keep the state to answer.
        Use keep(st_.keep_swept_dedupe_state);
        keep.bind(1, q.int64(2))
            .bind(2, q.text_view(3))
            .bind(3, q.int32(1))
            .bind(4, q.text_view(4));
        if (auto ok = run(keep, "writing"); !ok) return tl::unexpected(ok.error());
      }
    }
    if (rc != SQLITE_DONE) return failure(rc, "deleting from");
  }
  {
    Use q(st_.sweep_dedupe);
    q.bind(1, now).bind(2, limit);
    if (auto ok = run(q, "deleting from"); !ok) return tl::unexpected(ok.error());
  }
  return deleted;
}

StatusOr<std::optional<TimeMs>> SqliteStore::next_due() {
  std::optional<TimeMs> best;
  for (Statement* s : {&st_.next_run, &st_.next_lease}) {
    Use q(*s);
    int rc = q.step();
    if (rc == SQLITE_ROW) {
      TimeMs t = q.int64(0);
      best = best ? std::min(*best, t) : t;
    } else if (rc != SQLITE_DONE) {
      return failure(rc, "reading");
    }
  }
  return best;
}

StatusOr<std::optional<TimeMs>> SqliteStore::next_expiry() {
  Use q(st_.next_expiry);
  int rc = q.step();
  if (rc == SQLITE_ROW) return std::optional<TimeMs>(q.int64(0));
  if (rc != SQLITE_DONE) return failure(rc, "reading");
  return std::optional<TimeMs>();
}

}  // namespace spool::store::sqlite
