// Store: the interface the engine speaks to persist jobs. Interface only; implementations live
// in store/sqlite/ (embedded default) and, later, store/redis/.
//
// Threading: a Store is owned by the engine thread (the writer) and called from it alone;
// implementations need no locks for those calls. Reads that should not wait for the writer (or
// make it wait) go through StoreReaders instead: open_reader() is called on the writer thread,
// and each reader is then used by one other thread at a time, any number of them at once. A
// reader sees committed data only and never blocks the writer (SQLite: its own read-only
// connection; each statement reads one WAL snapshot). State a backend keeps in memory (queue
// counts, configs) reaches readers through a view that commit() updates before it returns, so
// a caller answered after the commit and then reading through a reader sees its own write.
//
// Transactions: the engine applies a batch of commands between begin() and commit() (group
// commit). Every write method below must be called inside such a transaction; a failure of a
// write or of commit() means the engine calls rollback() and answers every caller of the batch
// with kUnavailable. Read methods are called outside any transaction, after commit.
//
// Correctness state (dedupe, leases, concurrency caps, rate limits, pause) lives behind these
// operations, because with a shared backend other servers write the same queues. Each write is
// atomic on its own: a Redis backend implements each as one script and begin/commit as no-ops.
//
// Adding an operation: write it in the engine's words (what happens to which jobs), give it a
// case in test/conformance/ (the file of its group, e.g. settle_test.cpp), implement it in every
// backend.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/job.hpp"
#include "core/operations.hpp"
#include "core/schedule.hpp"
#include "core/status.hpp"

namespace spool::store {

// The answers and listing values (core/operations.hpp), spelled here as the store's own.
using ops::EnqueueResult;
using ops::JobFilter;
using ops::JobPage;
using ops::kRunMsBuckets;
using ops::MinuteStats;
using ops::QueueBacklog;
using ops::SettleResult;
using ops::Stats;

// ---- Enqueue --------------------------------------------------------------------------------

// A fully resolved job (defaults applied, id assigned, state scheduled or queued, run_at set).
struct NewJob {
  Job job;
  std::int64_t dedupe_window_ms = kDefaultDedupeWindowMs;  // used when job.dedupe_key is set
};

// ---- Reserve --------------------------------------------------------------------------------

struct ReserveRequest {
  std::vector<std::string> queues;       // 1..32, tried in the given order
  int max = 1;                           // 1..100
  std::optional<std::int64_t> lease_ms;  // overrides each job's own lease_ms when set
  std::string worker;
  TimeMs now = 0;
  // One fresh lease token per job handed out; the store uses them in order (the engine supplies
  // at least `max`).
  std::vector<std::string> lease_tokens;
};

struct ReserveResult {
  std::vector<Job> jobs;  // now active: attempts incremented, lease set, started_at = now
  // Set when some queue had ready jobs that a rate limit or concurrency cap held back: the
  // earliest time worth trying again (for a concurrency cap with no timer, leave it unset: the
  // engine retries when a job of that queue settles).
  std::optional<TimeMs> retry_at;
};

// ---- Settle ---------------------------------------------------------------------------------

struct AckRequest {
  std::string id;
  std::string lease_token;
  std::optional<std::string> result_json;
  TimeMs now = 0;
};

struct FailRequest {
  std::string id;
  std::string lease_token;
  std::string message;
  FailKind kind = FailKind::kRetry;            // retry | permanent | snooze | release
  std::optional<std::int64_t> retry_after_ms;  // overrides the backoff (retry), delay (snooze)
  TimeMs now = 0;
  double jitter = 0.5;  // uniform [0,1) sample for the backoff's jitter
};

struct ExtendResult {
  TimeMs lease_expires_at = 0;
  std::string queue;
  std::string type;
  int attempts = 0;
  int max_attempts = 0;
};

struct ExtendRequest {
  std::string id;
  std::string lease_token;
  std::optional<std::int64_t> lease_ms;  // unset: the job's own lease_ms
  std::optional<std::string> progress_json;
  TimeMs now = 0;
};

// ---- Upkeep ---------------------------------------------------------------------------------

struct TickResult {
  std::int64_t promoted = 0;  // scheduled/retrying jobs that became queued
  std::int64_t expired = 0;   // active jobs whose lease ran out (-> retrying or dead)
  std::vector<std::string> queues_with_new_work;  // distinct queues that got queued jobs
  std::vector<SettleResult> expired_jobs;         // one per expiry, as fail() would answer
};

// ---- Schedules ------------------------------------------------------------------------------

// One tick of a schedule, as the engine planned it (engine/schedule_plan.hpp).
struct ScheduleFire {
  std::string schedule_id;
  // Compare-and-set: the next_run_at the plan was made from. When the stored one differs,
  // another server (or an earlier batch) fired this tick already and nothing is written.
  // Unset for a manual trigger, which neither checks nor moves next_run_at.
  std::optional<TimeMs> expected_next_run_at;
  std::optional<TimeMs> next_run_at;  // stored when expected_next_run_at matched
  std::optional<NewJob> job;          // unset: the tick is skipped (a misfire under skip)
  // Overlap skip: enqueue nothing while the job of the previous fire (last_job_id) is still
  // scheduled, queued, active or retrying. Checked here, atomically with the fire.
  bool skip_while_unfinished = false;
  TimeMs fire_at = 0;  // the tick's time: last_run_at when a job is enqueued
};

enum class FireOutcome {
  kEnqueued,        // the job was stored (or deduplicated: a tick fired twice is one job)
  kSkipped,         // the plan skipped the tick (misfire skip)
  kSkippedOverlap,  // the previous fire's job is unfinished
  kStale,           // next_run_at had moved: someone else fired this tick
};

struct FireResult {
  FireOutcome outcome = FireOutcome::kEnqueued;
  std::optional<EnqueueResult> job;  // set when kEnqueued
};

// ---- Completion callbacks (docs/push.md) ----------------------------------------------------

// A finished job with a callback is kept at least this long after it finished, whatever its
// queue's retention, so its callback can spend all its attempts.
inline constexpr std::int64_t kCallbackRetainFloorMs = 2LL * 3'600'000;

// The outcome of one callback attempt.
struct CallbackSettle {
  std::string id;
  int attempt = 0;  // the attempt this answers (callback.attempts as taken)
  CallbackState state = CallbackState::kPending;  // pending: retry at `at`
  TimeMs at = 0;  // pending: the next attempt; delivered/failed: now
  std::string error;
};

// Bounds on the work of one read, so that no request can make a reader (or the writer, for
// reads on its own connection) walk millions of rows. The defaults are the contract; a backend
// may be opened with smaller ones (a test seam) so tests reach them without millions of rows.
struct ReadBounds {
  // list_jobs: jobs examined per page (never fewer than the page's limit + 1), which matters
  // when the filter is not served by an index of its own (a tag, a dedupe_key, a queue without
  // a state, some mixes). When the budget runs out before the page is full, the page holds the
  // matches found and next_cursor names the last job examined.
  std::int64_t list_scan_rows = 10'000;
  // backlog: jobs counted per queue for `overdue` (the answer is clamped to it too).
  std::int64_t backlog_count = 100'000;
};

// Reads that run beside the writer, on other threads. One StoreReader is used by one thread at a
// time; any number may be open at once. Each sees only committed data (for SQLite: its own
// read-only connection, each statement a WAL snapshot) and never blocks the writer.
//
// Store derives from it: the same reads on the writer's own connection, for the writer thread
// (schedules are read there before they are written) and for tests.
class StoreReader {
 public:
  virtual ~StoreReader() = default;

  virtual StatusOr<Job> get_job(const std::string& id) = 0;  // kNotFound if unknown
  // One page in creation order (filter.ascending) from filter.after_id. next_cursor is set when
  // more may follow; a page may hold fewer than filter.limit jobs while next_cursor is set (the
  // scan budget of ReadBounds::list_scan_rows ran out first).
  virtual StatusOr<JobPage> list_jobs(const JobFilter& filter) = 0;
  virtual StatusOr<QueueInfo> get_queue(const std::string& name) = 0;  // kNotFound if unknown
  // Known queues: those with jobs, or configured (paused or with a non-default config).
  virtual StatusOr<std::vector<QueueInfo>> list_queues() = 0;
  virtual StatusOr<Stats> stats() = 0;
  // The per-minute rows of minutes >= from (of one queue when given), oldest first.
  virtual StatusOr<std::vector<MinuteStats>> minute_stats(
      TimeMs from, const std::optional<std::string>& queue) = 0;
  // Every queue with queued jobs; `overdue` counts those with run_at <= overdue_before, counting
  // at most ReadBounds::backlog_count per queue (the work stops there, not only the answer).
  static constexpr std::int64_t kBacklogCountBound = ReadBounds{}.backlog_count;
  virtual StatusOr<std::vector<QueueBacklog>> backlog(TimeMs overdue_before) = 0;
  // A cheap round trip to the storage itself (not a cache): OK when it answers.
  virtual StatusOr<void> ping() = 0;
  // kNotFound when there is none.
  virtual StatusOr<Schedule> get_schedule(const std::string& id) = 0;
  virtual StatusOr<std::vector<Schedule>> list_schedules() = 0;  // by name
};

class Store : public StoreReader {
 public:
  // A reader on the committed data, for another thread (see StoreReader). Call on the writer
  // thread, outside a transaction. Lifetime: destroy every reader before the Store that opened
  // it, and never while one of its calls is running (the engine joins its reader threads before
  // it destroys the store).
  virtual StatusOr<std::unique_ptr<StoreReader>> open_reader() = 0;

  // ---- Transactions (engine batch) ----
  virtual StatusOr<void> begin() = 0;
  virtual StatusOr<void> commit() = 0;
  virtual void rollback() = 0;

  // ---- Writes: call inside begin()/commit() ----

  // Inserts the job unless (type, dedupe_key) is held by a job enqueued less than its window
  // ago; then answers that job's id and current state with deduplicated = true. A fresh insert
  // records the dedupe key with expiry created_at + dedupe_window_ms.
  virtual StatusOr<EnqueueResult> enqueue(const NewJob& job) = 0;

  // Hands out up to `max` queued jobs from the listed, unpaused queues: higher priority first,
  // then earlier run_at, then id. Honours each queue's concurrency cap (active jobs across all
  // workers) and rate limit (jobs handed out per window). Each job handed out: state active,
  // attempts + 1, lease token, lease_expires_at = now + lease, started_at = now, worker set.
  virtual StatusOr<ReserveResult> reserve(const ReserveRequest& req) = 0;

  // active -> completed when lease_token is current: finished_at = now, result stored, lease
  // cleared, expires_at = now + queue's retain_completed_ms. kNotFound for an unknown id,
  // kLeaseLost when the job is not active or the token differs.
  virtual StatusOr<SettleResult> ack(const AckRequest& req) = 0;

  // active -> by kind, when lease_token is current (else kLeaseLost / kNotFound):
  //  retry:     error recorded; attempts < max_attempts ? retrying, run_at = now +
  //             (retry_after_ms or retry_delay_ms(backoff, attempts, jitter)) : dead.
  //  permanent: error recorded; dead.
  //  snooze:    attempts - 1; scheduled, run_at = now + retry_after_ms (0 -> queued at once).
  //  release:   attempts - 1; queued, run_at = now. Not recorded as an error.
  // dead sets finished_at and expires_at (retain_dead_ms). Errors keep the last kMaxErrorsKept.
  virtual StatusOr<SettleResult> fail(const FailRequest& req) = 0;

  // Renews an active job's lease to now + lease_ms (the job's own lease_ms when unset) and
  // stores progress when given.
  // Answers the new lease_expires_at (and the job's names). kLeaseLost / kNotFound as for ack.
  virtual StatusOr<ExtendResult> extend(const ExtendRequest& req) = 0;

  // scheduled | queued | retrying -> cancelled (finished_at, expires_at set). kNotFound; kConflict
  // with the current state's name in the message for any other state.
  virtual StatusOr<SettleResult> cancel(const std::string& id, TimeMs now) = 0;

  // dead | cancelled -> queued, attempts reset to 0, run_at = now, finished_at and expires_at
  // cleared. kNotFound; kConflict otherwise.
  virtual StatusOr<SettleResult> retry(const std::string& id, TimeMs now) = 0;

  // Up to `limit` dead jobs of the queue (optionally of one type), oldest first -> queued as
  // retry() does. Answers each job requeued: fewer than `limit` means none is left. Bounded so
  // that one call stays short: the engine requeues a queue's dead jobs in chunks, one per
  // transaction, and a million of them never make one long write (issue 13, D2).
  // REQUIRES: limit >= 1.
  virtual StatusOr<std::vector<SettleResult>> retry_dead(const std::string& queue,
                                                         const std::optional<std::string>& type,
                                                         TimeMs now, int limit) = 0;

  // Deletes up to `limit` of the queue's jobs in a finished state (completed, dead or
  // cancelled), oldest first. Answers how many: fewer than `limit` means none is left. Chunked
  // by the engine like retry_dead. REQUIRES: limit >= 1.
  virtual StatusOr<std::int64_t> purge(const std::string& queue, JobState state, int limit) = 0;

  // Creates the queue if new. Answers the queue as it now is (with counts).
  virtual StatusOr<QueueInfo> set_paused(const std::string& queue, bool paused) = 0;
  virtual StatusOr<QueueInfo> patch_queue(const std::string& queue, const QueueConfig& patch) = 0;

  // Due work, at most `limit` jobs of each kind per call so one call stays short:
  // scheduled/retrying with run_at <= now -> queued; active with lease_expires_at <= now ->
  // (attempts < max_attempts ? retrying with backoff : dead), recording a kLeaseExpired error.
  virtual StatusOr<TickResult> tick(TimeMs now, int limit, double jitter) = 0;

  // Deletes up to `limit` finished jobs whose expires_at <= now, and dedupe keys whose window
  // has passed. Answers how many jobs were deleted (less than limit: nothing more is due).
  virtual StatusOr<std::int64_t> sweep_retention(TimeMs now, int limit) = 0;

  // Inserts or replaces the schedule with this id. kConflict when another schedule has the name.
  virtual StatusOr<Schedule> put_schedule(const Schedule& schedule) = 0;
  // kNotFound for an unknown id.
  virtual StatusOr<void> delete_schedule(const std::string& id) = 0;
  // Applies one planned tick atomically (see ScheduleFire). kNotFound for an unknown schedule.
  virtual StatusOr<FireResult> fire_schedule(const ScheduleFire& fire) = 0;

  // ---- Reads: call outside a transaction ----

  // The earliest time tick() has work: min over scheduled/retrying run_at and active
  // lease_expires_at. nullopt when none. An error (the storage could not be read) is not "none":
  // the engine then reads again shortly instead of sleeping until the next command.
  virtual StatusOr<std::optional<TimeMs>> next_due() = 0;
  // The earliest expires_at of a finished job (retention), nullopt when none.
  virtual StatusOr<std::optional<TimeMs>> next_expiry() = 0;

  // The reads of StoreReader (get_job, list_jobs, get_queue, list_queues, stats, minute_stats,
  // backlog, ping, get_schedule, list_schedules) on the writer's connection, and these:

  // The queue's config (defaults when unknown). Cheap: called on every enqueue.
  virtual QueueConfig queue_config(const std::string& name) = 0;

  // Schedules. schedule_by_name answers kNotFound when there is none; it, get_schedule and
  // list_schedules may also be called inside a transaction (the engine reads before it writes).
  virtual StatusOr<Schedule> schedule_by_name(const std::string& name) = 0;
  // Unpaused schedules with next_run_at <= now, earliest first, at most `limit`.
  virtual StatusOr<std::vector<Schedule>> due_schedules(TimeMs now, int limit) = 0;
  // The earliest next_run_at of an unpaused schedule; nullopt when none.
  virtual StatusOr<std::optional<TimeMs>> next_schedule_due() = 0;

  // ---- Completion callbacks (arming happens inside ack/fail/tick: a job that completes or dies
  // with a callback_url gets callback {pending, 0 attempts, at = now} in the same write) ----

  // Write: up to `limit` finished jobs whose pending callback is due at `now`, earliest first.
  // Each is held for this attempt: attempts + 1 and `at` = now + hold_ms, so a crash during the
  // attempt makes it due again after hold_ms (at least once). Answers the jobs as updated.
  virtual StatusOr<std::vector<Job>> take_callbacks(TimeMs now, int limit,
                                                    std::int64_t hold_ms) = 0;
  // Write: records an attempt's outcome, unless that attempt is no longer the one out (the
  // callback was taken again, or this attempt was answered already): then answers false and
  // writes nothing (a stale answer).
  virtual StatusOr<bool> settle_callback(const CallbackSettle& settle) = 0;

  // ---- Per-minute aggregates and health ----

  // Write: adds each row's counts to the stored row of its (minute, queue, type).
  virtual StatusOr<void> add_minute_stats(std::span<const MinuteStats> rows) = 0;
  // Write: deletes the rows of up to `limit` minutes before `before`. Answers how many rows.
  virtual StatusOr<std::int64_t> prune_minute_stats(TimeMs before, int limit) = 0;
  // Reads: minute_stats, backlog and ping (StoreReader).

  // Upkeep the engine runs about once a second after answering a batch (keeping SQLite's WAL
  // short). Must be quick: it delays the next batch.
  virtual void maintenance() = 0;
};

}  // namespace spool::store
