// The SQLite store's job writes: enqueue, reserve, settle and the admin transitions.
// See sqlite_store_impl.hpp for ownership, threading and invariants.
#include <sqlite3.h>

#include <algorithm>
#include <unordered_set>

#include "core/backoff.hpp"
#include "core/time_format.hpp"
#include "store/sqlite/job_row.hpp"
#include "store/sqlite/sqlite_store_impl.hpp"

namespace spool::store::sqlite {
namespace {

std::string state_conflict(const std::string& id, JobState state, std::string_view allowed) {
  std::string m = "job " + id + " is ";
  m += to_string(state);
  m += "; only ";
  m += allowed;
  return m;
}

// A lease ending at `lease_end` for an attempt that started at `started_at`, cut at the
// attempt's timeout: a lease never outlives the time the attempt may run.
TimeMs capped_lease_end(TimeMs lease_end, TimeMs started_at,
                        std::optional<std::int64_t> timeout_ms) {
  return timeout_ms ? std::min(lease_end, started_at + *timeout_ms) : lease_end;
}

// True when the job's latest attempt (`attempts`) was ended by its timeout: the last error
// recorded is a timeout of that attempt. Read only on the refusal path.
bool last_attempt_timed_out(std::string_view errors_json, int attempts) {
  if (errors_json.empty()) return false;
  std::vector<ErrorRecord> errors = decode_errors(errors_json);
  return !errors.empty() && errors.back().kind == FailKind::kTimeout &&
         errors.back().attempt == attempts;
}

}  // namespace

// ---- Enqueue --------------------------------------------------------------------------------

StatusOr<EnqueueResult> SqliteStore::enqueue(const NewJob& nj) {
  SPOOL_DCHECK(in_txn_);
  const Job& job = nj.job;
  auto type_id = intern(job.type);
  if (!type_id) return tl::unexpected(type_id.error());
  auto queue_id = intern(job.queue);
  if (!queue_id) return tl::unexpected(queue_id.error());

  if (job.dedupe_key) {
    Use q(st_.find_dedupe);
    q.bind(1, *type_id).bind(2, *job.dedupe_key);
    int rc = q.step();
    if (rc == SQLITE_ROW) {
      // Held for the whole window, even when its job was since deleted (purge, retention): the
      // answer is then the job's id and the state it was deleted in. A NULL id or state is a
      // row from before migration 6 whose job is gone: it holds nothing, as it did then.
      bool held = q.int64(0) > job.created_at && !q.is_null(1) && !q.is_null(2);
      if (held) return EnqueueResult{q.text(1), static_cast<JobState>(q.int32(2)), true};
    } else if (rc != SQLITE_DONE) {
      return failure(rc, "reading");
    }
  }

  std::optional<std::string> tags = encode_tags(job.tags);
  // Bound by reference (statement.hpp): it must outlive the step.
  std::optional<std::string> callback = encode_callback_url(job.callback_url);
  {
    Use q(st_.insert_job);
    q.bind(1, job.id)
        .bind(2, *type_id)
        .bind(3, *queue_id)
        .bind(4, static_cast<int>(job.state))
        .bind(5, job.priority)
        .bind(6, job.attempts)
        .bind(7, job.max_attempts)
        .bind(8, static_cast<int>(job.backoff.type))
        .bind(9, job.backoff.base_ms)
        .bind(10, job.backoff.max_ms)
        .bind(11, job.backoff.jitter ? 1 : 0)
        .bind(12, job.lease_ms)
        .bind(13, job.created_at)
        .bind(14, job.run_at)
        .bind(15, job.dedupe_key)
        .bind(16, tags)
        .bind(17, job.payload_json)
        .bind(18, callback)
        .bind(19, job.timeout_ms);
    if (auto ok = run(q, "writing"); !ok) return tl::unexpected(ok.error());
  }
  if (job.dedupe_key) {
    Use q(st_.put_dedupe);
    q.bind(1, *type_id)
        .bind(2, *job.dedupe_key)
        .bind(3, static_cast<std::int64_t>(sqlite3_last_insert_rowid(db_.get())))
        .bind(4, job.created_at + nj.dedupe_window_ms)
        .bind(5, job.id);
    if (auto ok = run(q, "writing"); !ok) return tl::unexpected(ok.error());
  }
  queues_.move(job.queue, std::nullopt, job.state);
  return EnqueueResult{job.id, job.state, false};
}

// ---- Reserve --------------------------------------------------------------------------------

StatusOr<ReserveResult> SqliteStore::reserve(const ReserveRequest& req) {
  SPOOL_DCHECK(in_txn_);
  ReserveResult out;
  // The engine supplies at least `max` tokens; never hand out a job without one.
  std::size_t remaining =
      std::min(static_cast<std::size_t>(std::max(req.max, 0)), req.lease_tokens.size());
  std::unordered_set<std::string_view> seen;
  for (const std::string& queue : req.queues) {
    if (remaining == 0) break;
    if (!seen.insert(queue).second) continue;
    const QueueState* s = queues_.find(queue);
    // The in-memory counts answer "nothing ready" without touching the file.
    if (s == nullptr || s->paused || s->counts[JobState::kQueued] == 0) continue;
    auto queue_id = name_id(queue);
    if (!queue_id) return tl::unexpected(queue_id.error());
    if (!*queue_id) continue;

    std::int64_t allowed = static_cast<std::int64_t>(remaining);
    bool rate_limited = false;
    // A cap of 0 means no cap (docs/job-lifecycle.md).
    if (s->config.concurrency && *s->config.concurrency > 0) {
      std::int64_t free = *s->config.concurrency - s->counts[JobState::kActive];
      // A full concurrency cap has no timer: the engine retries when a job of the queue settles.
      if (free <= 0) continue;
      allowed = std::min(allowed, free);
    }
    std::optional<TimeMs> window_end;
    if (s->config.rate_limit && s->config.rate_limit->limit > 0 &&
        s->config.rate_limit->per_ms > 0) {
      const RateLimit& rl = *s->config.rate_limit;
      QueueState& w = queues_.edit(queue);
      if (req.now >= w.rate.start + rl.per_ms) w.rate = RateWindow{req.now, 0};
      window_end = w.rate.start + rl.per_ms;
      std::int64_t left = rl.limit - w.rate.handed_out;
      if (left <= 0) {
        out.retry_at = out.retry_at ? std::min(*out.retry_at, *window_end) : *window_end;
        continue;
      }
      if (left < allowed) {
        allowed = left;
        rate_limited = true;
      }
    }

    // Collect first, then update: changing rows under a running SELECT on the same index is
    // legal in SQLite but makes the scan order harder to reason about.
    std::vector<std::pair<std::int64_t, Job>> picked;
    {
      Use q(st_.select_ready);
      q.bind(1, **queue_id).bind(2, allowed);
      int rc;
      while ((rc = q.step()) == SQLITE_ROW) {
        auto job = decode_job(q, 1);
        if (!job) return tl::unexpected(job.error());
        picked.emplace_back(q.int64(0), std::move(*job));
      }
      if (rc != SQLITE_DONE) return failure(rc, "reading");
    }
    for (auto& [seq, job] : picked) {
      const std::string& token = req.lease_tokens[out.jobs.size()];
      TimeMs lease_end =
          capped_lease_end(req.now + req.lease_ms.value_or(job.lease_ms), req.now, job.timeout_ms);
      Use q(st_.mark_reserved);
      q.bind(1, seq).bind(2, token).bind(3, lease_end).bind(4, req.now).bind(5, req.worker);
      if (auto ok = run(q, "writing"); !ok) return tl::unexpected(ok.error());
      job.state = JobState::kActive;
      job.attempts += 1;
      job.lease_token = token;
      job.lease_expires_at = lease_end;
      job.started_at = req.now;
      job.worker = req.worker;
      out.jobs.push_back(std::move(job));
    }
    auto n = static_cast<std::int64_t>(picked.size());
    queues_.move(queue, JobState::kQueued, JobState::kActive, n);
    if (window_end) {
      QueueState& w = queues_.edit(queue);
      w.rate.handed_out += n;
      // Ready jobs left behind by the rate limit: worth trying again when the window turns.
      if (rate_limited && w.counts[JobState::kQueued] > 0) {
        out.retry_at = out.retry_at ? std::min(*out.retry_at, *window_end) : *window_end;
      }
    }
    remaining -= picked.size();
  }
  return out;
}

// ---- Settle ---------------------------------------------------------------------------------

StatusOr<SqliteStore::SettleRow> SqliteStore::find_settle(const std::string& id, bool with_errors) {
  Use q(st_.find_settle);
  q.bind(1, id);
  int rc = q.step();
  if (rc == SQLITE_DONE) return error(StatusCode::kNotFound, "no job with id " + id);
  if (rc != SQLITE_ROW) return failure(rc, "reading");
  SettleRow row;
  row.seq = q.int64(0);
  row.state = static_cast<JobState>(q.int32(1));
  row.worker = q.text(12);
  std::int64_t queue_id = q.int64(3);
  row.attempts = q.int32(4);
  row.max_attempts = q.int32(5);
  row.backoff =
      Backoff{static_cast<BackoffType>(q.int32(6)), q.int64(7), q.int64(8), q.int64(9) != 0};
  row.started_at = q.opt_int64(10).value_or(0);
  row.lease_expires_at = q.opt_int64(11).value_or(0);
  row.lease_token = q.text(2);
  row.lease_ms = q.int64(14);
  std::int64_t type_id = q.int64(15);
  row.has_callback = q.int64(16) != 0;
  row.timeout_ms = q.opt_int64(17);
  // check_lease reads them to tell a timed-out attempt, so a job with a timeout has them too.
  if (with_errors || row.timeout_ms) row.errors = q.text(13);
  auto queue = name_of(queue_id);
  if (!queue) return tl::unexpected(queue.error());
  auto type = name_of(type_id);
  if (!type) return tl::unexpected(type.error());
  row.queue = std::move(*queue);
  row.type = std::move(*type);
  return row;
}

StatusOr<void> SqliteStore::arm_callback(const SettleRow& row, TimeMs now) {
  if (!row.has_callback) return {};
  Use q(st_.arm_callback);
  q.bind(1, row.seq).bind(2, now).bind(3, now + kCallbackRetainFloorMs);
  return run(q, "writing");
}

SettleResult SqliteStore::settled(const std::string& id, const SettleRow& row, JobState state,
                                  int attempts) const {
  SettleResult out;
  out.id = id;
  out.state = state;
  out.queue = row.queue;
  out.type = row.type;
  out.attempts = attempts;
  out.max_attempts = row.max_attempts;
  if (row.started_at != 0) out.started_at = row.started_at;
  return out;
}

StatusOr<void> SqliteStore::check_lease(const std::string& id, const SettleRow& row,
                                        const std::string& token, TimeMs now) {
  // Said the same whether or not a tick has failed the attempt yet.
  auto timed_out = [&] {
    return error(StatusCode::kTimedOut, "job " + id + "'s attempt " + std::to_string(row.attempts) +
                                            " ran past its timeout_ms of " +
                                            std::to_string(*row.timeout_ms) +
                                            " ms: stop working on it; it fails as a timeout");
  };
  if (row.state != JobState::kActive && row.timeout_ms &&
      last_attempt_timed_out(row.errors, row.attempts)) {
    return timed_out();
  }
  if (row.state != JobState::kActive) {
    return error(StatusCode::kLeaseLost, "job " + id + " is " + std::string(to_string(row.state)) +
                                             ", not active: this lease no longer counts");
  }
  if (row.lease_token != token) {
    return error(StatusCode::kLeaseLost,
                 "job " + id +
                     " has a newer lease: this worker's lease expired and the job was "
                     "handed out again");
  }
  // Expiry is decided here too, not only by tick(): a tick expires a bounded number of leases
  // per batch, and a lease past its deadline must not be settled or revived meanwhile (D4).
  if (auto deadline = row.deadline(); deadline && *deadline <= now) return timed_out();
  if (row.lease_expires_at <= now) {
    return error(StatusCode::kLeaseLost, "job " + id + "'s lease expired at " +
                                             format_rfc3339(row.lease_expires_at) +
                                             ": this lease no longer counts");
  }
  return {};
}

StatusOr<SettleResult> SqliteStore::ack(const AckRequest& req) {
  SPOOL_DCHECK(in_txn_);
  auto row = find_settle(req.id, false);
  if (!row) return tl::unexpected(row.error());
  if (auto ok = check_lease(req.id, *row, req.lease_token, req.now); !ok)
    return tl::unexpected(ok.error());
  const std::string& queue = row->queue;
  TimeMs expires = req.now + retain_ms(queue, JobState::kCompleted);
  Use q(st_.mark_completed);
  q.bind(1, row->seq).bind(2, req.now).bind(3, req.result_json).bind(4, expires);
  if (auto ok = run(q, "writing"); !ok) return tl::unexpected(ok.error());
  if (auto ok = arm_callback(*row, req.now); !ok) return tl::unexpected(ok.error());
  queues_.move(queue, JobState::kActive, JobState::kCompleted);
  SettleResult out = settled(req.id, *row, JobState::kCompleted, row->attempts);
  out.callback_armed = row->has_callback;
  return out;
}

StatusOr<SettleResult> SqliteStore::fail(const FailRequest& req) {
  SPOOL_DCHECK(in_txn_);
  auto row = find_settle(req.id, true);
  if (!row) return tl::unexpected(row.error());
  if (auto ok = check_lease(req.id, *row, req.lease_token, req.now); !ok)
    return tl::unexpected(ok.error());
  ErrorRecord record{req.message, req.kind, req.now, row->attempts};
  return settle_failure(req.id, *row, record, req.kind, req.retry_after_ms, req.now, req.jitter);
}

StatusOr<SettleResult> SqliteStore::settle_failure(const std::string& id, const SettleRow& row,
                                                   const ErrorRecord& record, FailKind kind,
                                                   std::optional<std::int64_t> retry_after_ms,
                                                   TimeMs now, double jitter) {
  JobState next = JobState::kDead;
  int attempts = row.attempts;
  TimeMs run_at = now;
  bool record_error = true;
  switch (kind) {
    case FailKind::kRetry:
    case FailKind::kLeaseExpired:
    case FailKind::kTimeout:
      if (attempts < row.max_attempts) {
        next = JobState::kRetrying;
        run_at = now + retry_after_ms.value_or(retry_delay_ms(row.backoff, attempts, jitter));
      }
      break;
    case FailKind::kPermanent:
      break;
    case FailKind::kSnooze: {
      // A snooze gives its reservation back; its reason is kept in the history.
      attempts = std::max(0, attempts - 1);
      std::int64_t delay = std::max<std::int64_t>(0, retry_after_ms.value_or(0));
      next = delay > 0 ? JobState::kScheduled : JobState::kQueued;
      run_at = now + delay;
      break;
    }
    case FailKind::kRelease:
      attempts = std::max(0, attempts - 1);
      next = JobState::kQueued;
      record_error = false;
      break;
  }
  const std::string& queue = row.queue;
  std::optional<TimeMs> finished_at;
  std::optional<TimeMs> expires_at;
  if (next == JobState::kDead) {
    finished_at = now;
    expires_at = now + retain_ms(queue, JobState::kDead);
  }
  std::optional<std::string> errors;
  if (record_error) errors = append_error(row.errors, record);
  std::optional<TimeMs> next_run_at;
  if (next != JobState::kDead) next_run_at = run_at;
  Use q(st_.mark_failed);
  q.bind(1, row.seq)
      .bind(2, static_cast<int>(next))
      .bind(3, attempts)
      .bind(4, next_run_at)  // NULL keeps a dead job's last run_at
      .bind(5, finished_at)
      .bind(6, expires_at)
      .bind(7, errors);
  if (auto ok = run(q, "writing"); !ok) return tl::unexpected(ok.error());
  if (next == JobState::kDead) {
    if (auto ok = arm_callback(row, now); !ok) return tl::unexpected(ok.error());
  }
  queues_.move(queue, JobState::kActive, next);
  SettleResult out = settled(id, row, next, attempts);
  out.failed_kind = kind;
  out.next_run_at = next_run_at;
  if (record_error) out.error = record.message;
  out.callback_armed = next == JobState::kDead && row.has_callback;
  return out;
}

StatusOr<ExtendResult> SqliteStore::extend(const ExtendRequest& req) {
  SPOOL_DCHECK(in_txn_);
  auto row = find_settle(req.id, false);
  if (!row) return tl::unexpected(row.error());
  if (auto ok = check_lease(req.id, *row, req.lease_token, req.now); !ok)
    return tl::unexpected(ok.error());
  // However often it is extended, a lease never reaches past the attempt's timeout.
  TimeMs expires = capped_lease_end(req.now + req.lease_ms.value_or(row->lease_ms), row->started_at,
                                    row->timeout_ms);
  Use q(st_.mark_extended);
  q.bind(1, row->seq).bind(2, expires).bind(3, req.progress_json);
  if (auto ok = run(q, "writing"); !ok) return tl::unexpected(ok.error());
  return ExtendResult{expires, row->queue, row->type, row->attempts, row->max_attempts};
}

// ---- Admin transitions ----------------------------------------------------------------------

StatusOr<SettleResult> SqliteStore::cancel(const std::string& id, TimeMs now) {
  SPOOL_DCHECK(in_txn_);
  auto row = find_settle(id, false);
  if (!row) return tl::unexpected(row.error());
  if (row->state != JobState::kScheduled && row->state != JobState::kQueued &&
      row->state != JobState::kRetrying) {
    return error(
        StatusCode::kConflict,
        state_conflict(id, row->state, "scheduled, queued or retrying jobs can be cancelled"));
  }
  const std::string& queue = row->queue;
  Use q(st_.mark_cancelled);
  q.bind(1, row->seq).bind(2, now).bind(3, now + retain_ms(queue, JobState::kCancelled));
  if (auto ok = run(q, "writing"); !ok) return tl::unexpected(ok.error());
  queues_.move(queue, row->state, JobState::kCancelled);
  return settled(id, *row, JobState::kCancelled, row->attempts);
}

StatusOr<SettleResult> SqliteStore::retry(const std::string& id, TimeMs now) {
  SPOOL_DCHECK(in_txn_);
  auto row = find_settle(id, false);
  if (!row) return tl::unexpected(row.error());
  if (row->state != JobState::kDead && row->state != JobState::kCancelled) {
    return error(StatusCode::kConflict,
                 state_conflict(id, row->state, "dead or cancelled jobs can be retried"));
  }
  Use q(st_.mark_retried);
  q.bind(1, row->seq).bind(2, now);
  if (auto ok = run(q, "writing"); !ok) return tl::unexpected(ok.error());
  const std::string& queue = row->queue;
  queues_.move(queue, row->state, JobState::kQueued);
  SettleResult out = settled(id, *row, JobState::kQueued, 0);
  out.started_at.reset();
  out.next_run_at = now;
  return out;
}

StatusOr<std::vector<SettleResult>> SqliteStore::retry_dead(const std::string& queue,
                                                            const std::optional<std::string>& type,
                                                            TimeMs now, int limit) {
  SPOOL_DCHECK(in_txn_);
  SPOOL_DCHECK(limit >= 1);
  std::vector<SettleResult> out;
  auto queue_id = name_id(queue);
  if (!queue_id) return tl::unexpected(queue_id.error());
  if (!*queue_id) return out;
  std::optional<std::int64_t> type_id;
  if (type) {
    auto id = name_id(*type);
    if (!id) return tl::unexpected(id.error());
    if (!*id) return out;
    type_id = *id;
  }
  Use q(st_.retry_dead);
  q.bind(1, **queue_id).bind(2, now).bind(3, type_id).bind(4, limit);
  int rc;
  while ((rc = q.step()) == SQLITE_ROW) {
    SettleResult r;
    r.id = q.text(0);
    r.state = JobState::kQueued;
    r.next_run_at = now;
    r.queue = queue;
    auto type_name = name_of(q.int64(1));
    if (!type_name) return tl::unexpected(type_name.error());
    r.type = std::move(*type_name);
    r.max_attempts = q.int32(2);
    out.push_back(std::move(r));
  }
  if (rc != SQLITE_DONE) return failure(rc, "writing");
  queues_.move(queue, JobState::kDead, JobState::kQueued, static_cast<std::int64_t>(out.size()));
  return out;
}

StatusOr<std::int64_t> SqliteStore::purge(const std::string& queue, JobState state, int limit) {
  SPOOL_DCHECK(in_txn_);
  SPOOL_DCHECK(limit >= 1);
  if (!is_finished(state)) {
    return invalid(
        "state", "purge takes completed, dead or cancelled, got " + std::string(to_string(state)));
  }
  auto queue_id = name_id(queue);
  if (!queue_id) return tl::unexpected(queue_id.error());
  if (!*queue_id) return 0;
  {
    // Deleted jobs keep their dedupe keys until the window ends (migration 6): note the state
    // the hit will answer.
    Use keep(st_.keep_purged_dedupe_state);
    keep.bind(1, **queue_id).bind(2, static_cast<int>(state)).bind(3, limit);
    if (auto ok = run(keep, "writing"); !ok) return tl::unexpected(ok.error());
  }
  Use q(st_.purge);
  q.bind(1, **queue_id).bind(2, static_cast<int>(state)).bind(3, limit);
  if (auto ok = run(q, "writing"); !ok) return tl::unexpected(ok.error());
  std::int64_t n = sqlite3_changes64(db_.get());
  queues_.move(queue, state, std::nullopt, n);
  return n;
}

// ---- Completion callbacks -------------------------------------------------------------------

StatusOr<std::vector<Job>> SqliteStore::take_callbacks(TimeMs now, int limit,
                                                       std::int64_t hold_ms) {
  SPOOL_DCHECK(in_txn_);
  std::vector<std::pair<std::int64_t, Job>> picked;
  {
    Use q(st_.select_callbacks_due);
    q.bind(1, now).bind(2, limit);
    int rc;
    while ((rc = q.step()) == SQLITE_ROW) {
      auto job = decode_job(q, 1);
      if (!job) return tl::unexpected(job.error());
      picked.emplace_back(q.int64(0), std::move(*job));
    }
    if (rc != SQLITE_DONE) return failure(rc, "reading");
  }
  std::vector<Job> out;
  out.reserve(picked.size());
  for (auto& [seq, job] : picked) {
    Use q(st_.mark_callback_taken);
    q.bind(1, seq).bind(2, now + hold_ms);
    if (auto ok = run(q, "writing"); !ok) return tl::unexpected(ok.error());
    job.callback->attempts += 1;
    job.callback->at = now + hold_ms;
    out.push_back(std::move(job));
  }
  return out;
}

StatusOr<bool> SqliteStore::settle_callback(const CallbackSettle& s) {
  SPOOL_DCHECK(in_txn_);
  Use q(st_.mark_callback_settled);
  q.bind(1, s.id).bind(2, s.attempt).bind(3, to_string(s.state)).bind(4, s.at).bind(5, s.error);
  if (auto ok = run(q, "writing"); !ok) return tl::unexpected(ok.error());
  return sqlite3_changes64(db_.get()) > 0;
}

}  // namespace spool::store::sqlite
