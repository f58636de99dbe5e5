// Engine: the only place where a job changes state.
//
// Ownership and threading: the Engine owns the Store, one writer thread and read_threads reader
// threads. Any thread may call the public methods below; each posts a command and returns at
// once. The writer drains write commands in batches, applies a batch's writes to the store in
// one transaction, commits, and only then runs the callbacks (group commit: an answered enqueue
// is a committed one). Reads never wait for the writer, nor it for them: a reader thread
// answers each on a read-only connection of its own (Store::open_reader), seeing what has
// committed, so a caller answered for a write and then reading sees it (read-your-writes), and
// reads keep working when writes fail (a full disk). Callbacks run on the writer thread
// (writes) or a reader thread (reads): they must be quick and must not block (post the answer
// to your own executor).
//
// Long polls: a reserve that finds nothing and has wait_ms > 0 is parked as a waiter. After
// every batch that may have made work ready, the oldest waiters of those queues are served in
// the same transaction. Waiters never hold store state, so dropping one leases nothing.
//
// Time comes only from the Clock. Tests drive an Engine without its threads: submit commands,
// then call run_once() after moving a ManualClock; run_once() then answers the pending reads
// itself, after the batch, on one reader, so such tests stay deterministic.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/job.hpp"
#include "core/schedule.hpp"
#include "core/status.hpp"
#include "engine/job_events.hpp"
#include "store/store.hpp"

namespace spool::engine {

// POST /v1/jobs, already validated (names, ranges). Unset fields take the queue's config, then
// the server default (API.md "Precedence").
struct EnqueueRequest {
  std::string type;
  std::optional<std::string> queue;  // defaults to type
  std::string payload_json = "null";
  int priority = 0;
  std::optional<std::int64_t> delay_ms;
  std::optional<TimeMs> run_at;
  std::optional<std::string> dedupe_key;
  std::optional<std::int64_t> dedupe_window_ms;
  std::optional<int> max_attempts;
  std::optional<Backoff> backoff;
  std::optional<std::int64_t> lease_ms;
  std::optional<std::int64_t> timeout_ms;  // the longest one attempt may run (core/job.hpp)
  std::vector<std::string> tags;
  // Checked against the [callbacks] allow list by the caller (core/callback_url.hpp).
  std::optional<std::string> callback_url;
};

// One completion callback attempt's outcome (push/callbacks.hpp).
struct CallbackOutcome {
  std::string id;
  int attempt = 0;  // the attempt answered, as take_callbacks handed it out
  CallbackState state = CallbackState::kPending;  // pending: try again in retry_in_ms
  std::int64_t retry_in_ms = 0;
  std::string error;  // what went wrong (kept on the job for a person)
};

struct ReserveRequest {
  std::vector<std::string> queues;
  int max = 1;
  std::int64_t wait_ms = 0;
  std::optional<std::int64_t> lease_ms;
  std::string worker;
};

struct AckItem {
  std::string id;
  std::string lease_token;
  std::optional<std::string> result_json;
};

struct FailItem {
  std::string id;
  std::string lease_token;
  std::string message;
  FailKind kind = FailKind::kRetry;
  std::optional<std::int64_t> retry_after_ms;
};

struct ExtendItem {
  std::string id;
  std::string lease_token;
  std::optional<std::int64_t> lease_ms;  // unset: the job's own lease_ms
  std::optional<std::string> progress_json;
};

// POST /v1/schedules, or a [[schedules]] entry of the config; already validated (names, ranges,
// check_timing in engine/schedule_plan.hpp).
struct ScheduleSpec {
  std::string name;
  std::optional<std::string> cron;
  std::optional<std::int64_t> every_ms;
  std::string timezone = "UTC";
  JobTemplate job;
  MisfirePolicy misfire = MisfirePolicy::kRunOnce;
  OverlapPolicy overlap = OverlapPolicy::kAllow;
  bool paused = false;
};

// PATCH /v1/schedules/{id}: the fields given replace the schedule's. Setting cron clears
// every_ms and the other way round.
struct SchedulePatch {
  std::optional<std::string> name;
  std::optional<std::string> cron;
  std::optional<std::int64_t> every_ms;
  std::optional<std::string> timezone;
  std::optional<JobTemplate> job;
  std::optional<MisfirePolicy> misfire;
  std::optional<OverlapPolicy> overlap;
  std::optional<bool> paused;
};

// GET /v1/schedules/{id}: the schedule and its next fire times (from its next_run_at; for a
// paused schedule, those it would have if resumed now).
struct ScheduleView {
  Schedule schedule;
  std::vector<TimeMs> next_runs;
};
inline constexpr int kNextRunsShown = 5;

struct EngineOptions {
  int max_batch = 4096;      // commands applied per transaction at most
  int read_threads = 2;      // reader threads, each with a read-only connection of its own
  int reader_nice = 10;      // reader threads run this much nicer than the writer (0: as nice)
  int tick_limit = 1000;     // due jobs promoted/expired per transaction at most
  int sweep_limit = 500;     // retention deletes per transaction at most
  int schedule_limit = 100;  // schedule ticks fired per transaction at most
  int bulk_chunk = 100;      // jobs a purge or retry-dead changes per transaction at most
  double bulk_duty = 0.5;    // share of the writer's time a purge or retry-dead takes at most
  std::int64_t sweep_interval_ms = 1000;
  // timeout_ms for jobs that set none and whose queue sets none ([server] job_timeout_ms);
  // unset: no limit.
  std::optional<std::int64_t> default_timeout_ms;
  std::uint64_t seed = 0;  // 0: seed from the OS
  // clang-format off
  std::size_t max_pending_commands = 100'000;  // writes + reads + reserves waiting beyond this are refused (503)
  // clang-format on
};

template <typename T>
using Callback = std::function<void(StatusOr<T>)>;

// Writes a subsystem adds to the engine's transactions (the metrics' per-minute aggregates).
// Threading: called on the writer thread inside every write transaction, after the batch's
// commands and before COMMIT, with the events applied so far. REQUIRES: quick (it delays every
// caller of the batch); an error breaks the batch like any store error. Register before start().
class TransactionHook {
 public:
  virtual ~TransactionHook() = default;
  virtual StatusOr<void> before_commit(store::Store& store, TimeMs now,
                                       std::span<const JobEvent> events) = 0;
};

// What GET /metrics, /readyz and /v1/metrics/summary read in one visit, on a reader thread: the
// store's reads and what the writer published after its last batch (parked waiters, the last
// write failure). Times are relative to the engine's clock at the visit.
struct ObservationRequest {
  bool backlog = false;               // fill Observation::backlog
  std::int64_t overdue_after_ms = 0;  // queued jobs due this long ago or more count as overdue
  std::optional<std::int64_t> minutes_back_ms;  // fill Observation::minutes from now - this on
  std::optional<std::string> queue;             // minutes of this queue only
};

struct Observation {
  TimeMs now = 0;
  ops::Stats stats;
  std::vector<std::pair<std::string, std::size_t>> waiters;  // parked long polls by queue
  // Set when the store did not answer the probe, or the last write transaction failed (less
  // than 10 s ago) and none has committed since (a full disk): the store cannot take jobs.
  std::optional<Status> store_error;
  std::vector<ops::QueueBacklog> backlog;
  std::vector<ops::MinuteStats> minutes;
};

using WaiterId = std::uint64_t;

class Engine {
 public:
  Engine(std::unique_ptr<store::Store> store, const Clock& clock, EngineOptions options = {});
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Observers hear of every committed transaction and its job events (job_events.hpp).
  // REQUIRES: called before start() (or, in tests, before the first run_once()).
  void add_observer(std::shared_ptr<JobObserver> observer);
  void add_transaction_hook(std::shared_ptr<TransactionHook> hook);

  // Opens the readers and starts the reader threads and the writer thread.
  void start();
  // Answers every parked waiter with no jobs, applies the writes that are queued, commits,
  // refuses the reads not yet started (kUnavailable), and joins the writer and the readers.
  // Commands submitted afterwards are answered kUnavailable.
  void stop();

  // ---- Writes ----
  // All or nothing: either every job is stored (or deduplicated) or none is.
  void enqueue(std::vector<EnqueueRequest> jobs, Callback<std::vector<ops::EnqueueResult>> done);
  // Answers as soon as at least one job is ready (up to max), or empty after wait_ms. The id
  // lets the caller drop the waiter (client gone) with cancel_waiter().
  WaiterId reserve(ReserveRequest request, Callback<std::vector<Job>> done);
  void cancel_waiter(WaiterId id);
  void ack(AckItem item, Callback<ops::SettleResult> done);
  void fail(FailItem item, Callback<ops::SettleResult> done);
  void extend(ExtendItem item, Callback<TimeMs> done);
  // Each item stands alone: one stale lease fails only its own entry. Acks first, then fails.
  void settle(std::vector<AckItem> acks, std::vector<FailItem> fails,
              std::function<void(std::vector<StatusOr<ops::SettleResult>>)> done);
  void cancel(std::string id, Callback<ops::SettleResult> done);
  void retry(std::string id, Callback<ops::SettleResult> done);
  // A queue's dead jobs (of one type) requeued, or its jobs in one finished state deleted. Run in
  // chunks of bulk_chunk jobs, one per transaction between other commands, so neither holds
  // the writer long; the answer, the total, comes once the last chunk commits. Not atomic: a
  // failure (or stop()) midway answers the error with the count done, and that much stays done.
  void retry_dead(std::string queue, std::optional<std::string> type, Callback<std::int64_t> done);
  void purge(std::string queue, JobState state, Callback<std::int64_t> done);
  void set_paused(std::string queue, bool paused, Callback<QueueInfo> done);
  void patch_queue(std::string queue, QueueConfig patch, Callback<QueueInfo> done);

  // ---- Completion callbacks (docs/push.md; the store arms them when a job finishes) ----
  // Hands out up to `limit` due callbacks, each held for hold_ms (a crash mid-attempt makes it
  // due again then): the finished jobs, with callback.attempts counting this attempt.
  void take_callbacks(int limit, std::int64_t hold_ms, Callback<std::vector<Job>> done);
  // Records an attempt's outcome; answers false when it was stale (nothing written).
  void settle_callback(CallbackOutcome outcome, Callback<bool> done);

  // ---- Schedules (engine/schedule_plan.hpp says when ticks fall and what a misfire does) ----
  // kConflict when the name is taken.
  void create_schedule(ScheduleSpec spec, Callback<Schedule> done);
  // Creates the schedule of this name or brings it to the spec; an unchanged timing keeps its
  // next_run_at, so restarting with the same config never moves or repeats a tick.
  void upsert_schedule(ScheduleSpec spec, Callback<Schedule> done);
  // kNotFound; new timing (or a resume) plans the next tick from now.
  void patch_schedule(std::string id, SchedulePatch patch, Callback<Schedule> done);
  void delete_schedule(std::string id, Callback<void> done);
  // Enqueues the schedule's job now, outside its timing (no dedupe key; next_run_at unchanged).
  void trigger_schedule(std::string id, Callback<ops::EnqueueResult> done);
  void get_schedule(std::string id, Callback<ScheduleView> done);
  void list_schedules(Callback<std::vector<Schedule>> done);

  // ---- Reads ----
  void get_job(std::string id, Callback<Job> done);
  void list_jobs(ops::JobFilter filter, Callback<ops::JobPage> done);
  void get_queue(std::string name, Callback<QueueInfo> done);
  void list_queues(Callback<std::vector<QueueInfo>> done);
  void stats(Callback<ops::Stats> done);
  // Health and metrics reads (see Observation). Always answers (the store's failure is in the
  // answer, not an error), unless the engine has stopped.
  void observe(ObservationRequest request, Callback<Observation> done);

  // ---- Test driving (no writer thread) ----
  // Applies every pending command and all due work at the clock's current time.
  void run_once();
  std::size_t waiter_count() const;
  // How many times serving long polls has looked at a parked waiter, since the engine began:
  // a batch that touches one queue looks only at that queue's waiters (issue 13, D8).
  std::uint64_t waiter_visits() const;
  // When the writer thread would next wake by itself, absent new commands: never in the past
  // while nothing is due, or the writer spins (issue 13, D1).
  TimeMs next_wake_ms() const;

  class Impl;  // engine_impl.hpp

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace spool::engine
