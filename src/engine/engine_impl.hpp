// Engine::Impl: the state and the writer thread behind Engine (engine.hpp). Private to engine/;
// the rest of the program sees only the Engine facade.
//
// Ownership: owns the Store, its readers, the writer and reader threads, the parked waiters and
// the events of the batch in progress. Threading: the submit_* methods, stop() and
// waiter_count() may be called from any thread; the first three touch only what mu_ guards.
// Reads (read_schedule, observe, the store reads) run on reader threads, touching only their
// reader, the clock and view_ (invariant 9). Everything else runs on the writer thread (in
// tests, on the thread that calls run_once()).
//
// The methods are split by concern across engine.cpp (the public facade: one post per Engine
// method), writer.cpp (submission, the writer loop, run_once and its transaction, stop),
// writes.cpp (the apply_* of jobs, queues and completion callbacks), schedules.cpp (schedule
// writes, firing due ticks, the schedule read), events.cpp (the emit_* that build JobEvents),
// bulk_writes.cpp (purge and retry-dead in chunks), waiter_serving.cpp (serving and expiring
// long polls), upkeep.cpp (tick, retention sweep, wake-up hints), readers.cpp (the reader
// threads and the writer's published view) and observe.cpp (the health and metrics read).
//
// Invariants:
//  1. A write's caller is answered only after its batch's transaction has committed (or with
//     the batch's failure): apply_* return a result, which waits in a Completion until then.
//     A bulk write (invariant 8) is answered after its last chunk's transaction commits.
//  2. A store error that breaks the batch (kUnavailable, kInternal) is noted in batch_failure_
//     by note_batch_failure() as soon as it is seen; once it is set, nothing more of the batch
//     touches the store, the transaction rolls back and every write of the batch is answered
//     with that failure. Any other error refuses only its own command: the store guarantees
//     such a call wrote nothing, so the batch goes on.
//  3. events_ holds only the running batch's events. Observers hear of them after the commit
//     and before any caller is answered; a rolled-back batch's events are dropped unseen.
//  4. Every reserve becomes a waiter first (waiters.hpp). A waiter handed jobs leaves the list
//     and is answered after the commit; if the batch rolls back it goes back to waiting, fresh,
//     in its place (waiters are ordered by id, which is arrival order).
//  5. A write that may let a waiter have work (a job became ready, a slot was freed) calls
//     mark_dirty() for its queue in the same batch; serve_waiters() clears the dirty set.
//  6. next_due_, next_expiry_ and next_schedule_due_ are hints, re-read after every
//     transaction (next_schedule_due_ also each second, for schedules another server wrote).
//     They only decide when to look: the store decides what is due, so an early hint costs
//     an empty pass, never a wrong answer.
//  7. delay_base_ >= now_, both fixed at the start of run_once() for the whole batch.
//  8. A bulk write (purge, retry-dead; bulk_writes.cpp) changes at most bulk_chunk jobs per
//     transaction, and one bulk write runs a chunk per transaction: the writer is never held
//     by one long statement. A chunk shares no transaction with commands: a batch that has
//     commands is answered first, and the chunk runs in a batch of its own after it. Between
//     two chunks the writer rests as long as bulk_duty asks (bulk_ready_at_), answering
//     commands meanwhile. A bulk write stays in bulk_ between batches, so next_wake() is
//     bulk_ready_at_ at the latest while bulk_ is not empty. A failed chunk rolls back alone
//     (invariant 2) and ends the bulk write with the failure and the count of the chunks committed
//     before, which stay done: a purge or retry-dead is not atomic, and running it again finishes
//     it.
//  9. Reads never run on the writer while reader threads run (start()): each reader thread
//     has a StoreReader of its own, a read-only connection that sees only committed data, and
//     a read touches no writer state but view_ (published under view_mu_ after each batch)
//     and the clock. Read-your-writes: the store publishes its in-memory counts at commit,
//     before any caller of the batch is answered, so a read submitted after an answer sees the
//     write. Without reader threads (tests driving run_once()), run_once() answers the pending
//     reads itself after the batch, on one reader, in submission order.
//
// Adding a write: an apply_x in writes.cpp (or schedules.cpp) that calls note_batch_failure()
// on every store result, mark_dirty() when it may make work ready and an emit_* when a job
// changes state; declare it below and add the one-line Engine method in engine.cpp.
//
// Adding a read: a StoreReader method posted with post_store_read in engine.cpp, or an Impl
// method taking the reader (like observe) that touches only the reader, the clock, options_
// and writer_view(); writer state it needs goes into WriterView, filled by
// publish_writer_view().
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/job_id.hpp"
#include "engine/engine.hpp"
#include "engine/waiters.hpp"

namespace spool::engine {

class Engine::Impl {
 public:
  // What a write leaves behind until its batch commits: it answers its caller with its own
  // result, or with the batch's failure when the commit (or another write of the batch) failed.
  using Completion = std::function<void(const Status* batch_failure)>;

  // A write is applied inside the batch's transaction; refuse answers it without touching the
  // store (the engine stopped, or an earlier write broke the batch).
  struct WriteOp {
    std::function<Completion(Impl&)> apply;
    std::function<void(const Status&)> refuse;
  };
  // A purge or retry-dead (bulk_writes.cpp): chunks of bulk_chunk jobs, one per transaction.
  struct BulkOp {
    enum class Kind { kPurge, kRetryDead };
    Kind kind = Kind::kPurge;
    std::string queue;
    JobState state = JobState::kDead;  // purge: the finished state deleted
    std::optional<std::string> type;   // retry-dead: only this type's jobs
    Callback<std::int64_t> done;
    std::int64_t committed = 0;  // jobs changed by the chunks committed so far
    // The running batch's chunk: run_bulk_chunk() fills these, answer_bulk() settles them.
    std::int64_t chunk = 0;
    std::optional<Status> error;  // the chunk's own error (one that refuses only this command)
  };

  // A read runs on a reader thread with that thread's reader (invariant 9); refuse answers it
  // unread (the engine stopped first).
  struct ReadOp {
    std::function<void(Impl&, store::StoreReader&)> apply;
    std::function<void(const Status&)> refuse;
  };

  // What the writer publishes after each batch for the reads that need writer state (observe).
  // A copy, O(queues with parked waiters).
  struct WriterView {
    std::vector<std::pair<std::string, std::size_t>> waiters;  // parked long polls by queue
    std::optional<Status> last_write_failure;  // the last transaction's, until one commits
    TimeMs last_write_failure_at = 0;
  };

  Impl(std::unique_ptr<store::Store> store, const Clock& clock, EngineOptions options);

  // ---- Submission (any thread; writer.cpp) ----
  void submit_write(WriteOp op);
  void submit_read(ReadOp op);
  void submit_bulk(BulkOp op);
  WaiterId submit_reserve(ReserveRequest request, Callback<std::vector<Job>> done);
  void submit_cancel_waiter(WaiterId id);

  // ---- Lifecycle (writer.cpp) ----
  // REQUIRES: before start() (or the first run_once()).
  void add_observer(std::shared_ptr<JobObserver> observer);
  void add_transaction_hook(std::shared_ptr<TransactionHook> hook);
  void start();
  void stop();
  // Applies one batch: pending commands, due work, waiters; one transaction; then callbacks.
  void run_once();
  std::size_t waiter_count() const;
  std::uint64_t waiter_visits() const { return waiter_visits_; }
  // When the writer sleeps until, absent new commands (upkeep.cpp). REQUIRES: the writer thread,
  // or tests driving run_once().
  TimeMs next_wake() const;

  // ---- Writes (writer thread, inside the batch's transaction; writes.cpp) ----
  StatusOr<std::vector<ops::EnqueueResult>> apply_enqueue(std::vector<EnqueueRequest>& requests);
  StatusOr<ops::SettleResult> apply_ack(AckItem& item);
  StatusOr<ops::SettleResult> apply_fail(FailItem& item);
  // Each item stands alone, so the answer is never an error itself: a batch failure reaches
  // every item through the facade.
  using SettleResults = std::vector<StatusOr<ops::SettleResult>>;
  StatusOr<SettleResults> apply_settle(std::vector<AckItem>& acks, std::vector<FailItem>& fails);
  StatusOr<TimeMs> apply_extend(ExtendItem& item);
  StatusOr<ops::SettleResult> apply_cancel(const std::string& id);
  StatusOr<ops::SettleResult> apply_retry(const std::string& id);
  StatusOr<QueueInfo> apply_set_paused(const std::string& queue, bool paused);
  StatusOr<QueueInfo> apply_patch_queue(const std::string& queue, const QueueConfig& patch);
  StatusOr<std::vector<Job>> apply_take_callbacks(int limit, std::int64_t hold_ms);
  StatusOr<bool> apply_settle_callback(const CallbackOutcome& outcome);

  // ---- Schedule writes (writer thread, inside the transaction; schedules.cpp) ----
  StatusOr<Schedule> apply_create_schedule(ScheduleSpec& spec);
  StatusOr<Schedule> apply_upsert_schedule(ScheduleSpec& spec);
  StatusOr<Schedule> apply_patch_schedule(const std::string& id, SchedulePatch& patch);
  StatusOr<void> apply_delete_schedule(const std::string& id);
  StatusOr<ops::EnqueueResult> apply_trigger_schedule(const std::string& id);

  // ---- Reads (any reader thread, with its reader; they touch no writer state but the view) ----
  // The schedule with its next fire times (schedules.cpp).
  StatusOr<ScheduleView> read_schedule(store::StoreReader& reader, const std::string& id);
  // observe.cpp.
  Observation observe(store::StoreReader& reader, const ObservationRequest& req);

 private:
  // The commands one run_once() takes from the submission queues.
  struct Batch {
    std::vector<WriteOp> writes;  // at most max_batch; the rest wait for the next batch
    std::deque<ReadOp> reads;     // only when no reader thread runs (tests driving run_once)
    std::vector<Waiter> reserves;
    std::vector<WaiterId> cancels;
    std::vector<BulkOp> bulk;  // new purges and retry-deads, started in this batch
  };
  // Waiters handed jobs in this batch, answered once it commits.
  using Served = std::vector<std::pair<Waiter, std::vector<Job>>>;
  using Steady = std::chrono::steady_clock;

  // ---- The writer loop (writer.cpp) ----
  // The writer thread's body: waits for a command or the next wake-up, runs batches.
  void run();
  // After stop: every parked long poll is answered empty; later calls are refused.
  void finish();
  bool has_pending_locked() const;  // REQUIRES: mu_ held
  bool accepting_locked() const;    // REQUIRES: mu_ held
  // Why a new command is refused now (stopping, or max_pending_commands waiting), if it is.
  std::optional<Status> refusal_locked() const;  // REQUIRES: mu_ held
  Batch take_batch();
  // One batch: its commands, due work and waiters in one transaction, then the answers. With
  // with_bulk, the turn of a purge or retry-dead under way too (bulk_in_batch_).
  void run_batch(Batch batch, bool with_bulk);
  // Registers the batch's reserves as waiters, then drops the cancelled ones.
  void park_waiters(std::vector<Waiter> reserves, const std::vector<WaiterId>& cancels);
  // One write transaction: begin, apply_in_transaction, commit, then tell observers; on a
  // failure everything rolls back (roll_back). Refreshes the hints either way.
  void write_batch(std::vector<WriteOp>& writes, std::vector<Completion>& completions,
                   Served& served);
  // Due work, the batch's writes, waiters served and the hooks, stopping at a batch failure.
  void apply_in_transaction(std::vector<WriteOp>& writes, std::vector<Completion>& completions,
                            Served& served);
  void tell_observers(std::size_t commands, Steady::time_point began_at,
                      Steady::time_point commit_at);
  // Refuses the writes after the first `applied`; the waiters served go back to waiting.
  void roll_back(std::vector<WriteOp>& writes, std::size_t applied, Served& served);

  // Notes a store error that breaks the batch (invariant 2). An error that refuses only its
  // own command is left to the caller, which answers it.
  template <typename T>
  void note_batch_failure(const StatusOr<T>& result) {
    if (!result && breaks_batch(result.error())) batch_failure_ = result.error();
  }
  // A store error that breaks the whole transaction, as opposed to one that only refuses one
  // command (not found, lease lost, conflict), which the store guarantees wrote nothing.
  static bool breaks_batch(const Status& status);

  // Something in the queue changed that may let a waiter have a job: a job became queued, or a
  // settled job freed a concurrency slot. Its waiters get another look in this batch.
  void mark_dirty(const std::string& queue) { dirty_.insert(queue); }

  // ---- Bulk writes (bulk_writes.cpp) ----
  // Runs one chunk of the bulk write whose turn it is, inside the transaction.
  void run_bulk_chunk();
  // After the batch (REQUIRES: one ran): the bulk write whose turn it was is answered when the
  // batch failed or it finished; otherwise it goes to the back of the line, so bulk writes
  // take turns, one chunk per transaction.
  void answer_bulk(const Status* batch_failure);
  // At stop: bulk writes under way are answered with what they did.
  void answer_bulk_at_stop();
  // Whether the next chunk may run at now_, and the rest due after a chunk that took `took_ms`.
  bool bulk_rested() const;
  void rest_after_chunk(TimeMs took_ms);
  static Status shutting_down();

  // ---- Write helpers (writes.cpp) ----
  // The job of an enqueue request: its id, run_at and the queue's or the server's defaults.
  store::NewJob resolve(EnqueueRequest& r);
  // A job a write stored: a ready one wakes its queue's waiters, and observers hear of it.
  void note_enqueued(const ops::EnqueueResult& r, const Job& job);

  // ---- Schedules (schedules.cpp) ----
  // Fires what is due, at most schedule_limit ticks per transaction.
  void run_schedules();
  // Sets what a spec decides, and plans the first tick from now.
  void set_spec(Schedule& s, ScheduleSpec& spec);
  // The first tick of a schedule (re)timed now. An interval's first tick is one interval away.
  std::optional<TimeMs> first_tick(const Schedule& s) const;
  // The job of one fire, resolved like POST /v1/jobs (queue config, then server defaults).
  store::NewJob job_of(const Schedule& s, std::optional<std::string> dedupe_key);
  // Applies one fire; a job it enqueued is told to observers and wakes its queue's waiters.
  StatusOr<ops::EnqueueResult> apply_fire(const store::ScheduleFire& fire);

  // ---- Job events (events.cpp; each does nothing when no one observes) ----
  bool observing() const { return !observers_.empty() || !hooks_.empty(); }
  // Appends an event of this batch; the caller fills in the job's fields.
  JobEvent& emit(JobEventKind kind, JobState state);
  // A job a write stored (an enqueue or a schedule's fire); nothing for a deduplicated one.
  void emit_enqueued(const ops::EnqueueResult& r, const Job& job);
  void emit_settle(JobEventKind kind, const ops::SettleResult& r,
                   std::optional<FailKind> fail_kind);
  // A worker's fail or an expired lease, named by where the job went.
  void emit_failure(const ops::SettleResult& r, FailKind kind);
  void emit_started(const std::vector<Job>& jobs);
  // An extend that carried progress.
  void emit_progress(std::string id, const store::ExtendResult& r, std::string progress_json);

  // ---- Long polls (waiter_serving.cpp) ----
  // Serves waiters oldest first. A waiter is tried when it is fresh or one of its queues may
  // have work (dirty); a queue that came up empty is not asked again in this pass. Only those
  // waiters are visited (Waiters::visit), so a batch costs what its dirty queues' waiters do.
  void serve_waiters(Served& served);
  // A queue's rate limit lets work out again (rate_timers_).
  bool rate_timer_due() const;

  // ---- Readers (readers.cpp) ----
  // Opens read_threads readers and starts a thread for each. REQUIRES: start(), before the
  // writer thread exists. A store that opens none leaves the reads to the writer, after its
  // batches, on its own connection (as run_once() without start() does).
  void start_readers();
  // A reader thread's body: answers pending reads until stop.
  void run_reader(store::StoreReader& reader);
  // REQUIRES: after finish().
  void join_readers();
  // The reader of reads run by run_once() itself: one opened on first use, or the writer's own
  // connection if the store opens none.
  store::StoreReader& inline_reader();
  // After each batch, before its callers are answered: copies what observe() needs.
  void publish_writer_view();
  WriterView writer_view() const;

  // ---- Due work and wake-up hints (upkeep.cpp) ----
  // Promotes due jobs and expires lapsed leases, at most tick_limit per transaction.
  void run_tick();
  // Deletes finished jobs past retention, at most sweep_limit per transaction.
  void run_sweep();
  bool tick_due() const;
  bool sweep_due() const;
  bool schedules_due() const;
  // Re-reads the store's next due times after a transaction (and at start).
  void refresh_hints();
  // The earliest time the writer has something to do without a new command.

  std::unique_ptr<store::Store> store_;
  const Clock& clock_;
  EngineOptions options_;

  // Shared with submitting threads.
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<WriteOp> pending_writes_;    // guarded by mu_
  std::deque<ReadOp> pending_reads_;       // guarded by mu_
  std::vector<Waiter> pending_reserves_;   // guarded by mu_
  std::vector<WaiterId> pending_cancels_;  // guarded by mu_
  std::vector<BulkOp> pending_bulk_;       // guarded by mu_
  WaiterId last_waiter_id_ = 0;            // guarded by mu_
  bool stop_requested_ = false;            // guarded by mu_
  bool stopped_ = false;                   // guarded by mu_
  std::thread writer_;

  // Readers (invariant 9). Declared after store_, so destroyed before it.
  std::condition_variable read_cv_;  // pending_reads_ has a read, or the readers must stop
  bool reads_on_threads_ = false;    // guarded by mu_; set by start() once reader threads run
  bool readers_stop_ = false;        // guarded by mu_
  std::vector<std::unique_ptr<store::StoreReader>> readers_;  // one per reader thread
  std::vector<std::thread> reader_threads_;
  std::unique_ptr<store::StoreReader> inline_reader_;  // run_once()'s own (writer thread)
  bool inline_reader_tried_ = false;
  mutable std::mutex view_mu_;
  WriterView view_;  // guarded by view_mu_; written by the writer, read by reader threads
  std::uint64_t view_waiters_version_ = ~std::uint64_t{0};  // writer only: waiters_ published

  // Writer thread only.
  IdGenerator ids_;
  TimeMs now_ = 0;
  TimeMs delay_base_ = 0;  // this batch's instant rounded up to the millisecond (Clock)
  Waiters waiters_;
  std::list<BulkOp> bulk_;      // purges and retry-deads under way; the front one's turn is next
  bool bulk_in_batch_ = false;  // the running batch runs the front bulk write's chunk
  TimeMs bulk_ready_at_ = 0;    // no chunk before this (the rest after the last; bulk_duty)
  std::uint64_t waiter_visits_ = 0;  // waiters looked at by serve_waiters (a test hook)
  std::optional<Status> batch_failure_;
  std::set<std::string> dirty_;    // queues that may have work for waiters
  bool all_queues_dirty_ = false;  // lease expiries freed capacity in queues we cannot name
  std::unordered_map<std::string, TimeMs> rate_timers_;  // queue -> when a limit lets work out
  std::optional<TimeMs> next_due_;
  std::optional<TimeMs> next_expiry_;
  std::optional<TimeMs> next_schedule_due_;
  bool schedules_touched_ = true;  // a schedule was written since next_schedule_due_ was read
  TimeMs schedule_hint_at_ = 0;
  static constexpr std::int64_t kScheduleHintMaxAgeMs = 1'000;
  // How soon a due-time hint whose read failed is read again (D9).
  static constexpr std::int64_t kHintRetryMs = 1'000;
  std::vector<std::shared_ptr<JobObserver>> observers_;  // fixed before the writer starts
  std::vector<JobEvent> events_;                         // this batch's, until it commits
  std::vector<std::shared_ptr<TransactionHook>> hooks_;  // fixed before the writer starts
  std::optional<Status> last_write_failure_;  // the last transaction's, until one commits
  TimeMs last_write_failure_at_ = 0;
  static constexpr std::int64_t kWriteFailureMemoryMs = 10'000;
  TimeMs next_sweep_at_ = 0;
  TimeMs last_maintenance_ = 0;
};

}  // namespace spool::engine
