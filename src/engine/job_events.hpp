// Job events: what the engine tells observers (metrics, the SSE fan-out) after each commit.
//
// What: one JobEvent per job transition applied in a committed transaction, in the order the
// writer applied them (upkeep first: lease expiries; then the batch's commands in arrival
// order; then jobs handed to waiters). A batch that rolls back emits nothing, so an observer
// sees only what is durable. A transaction that commits with no transition still reaches the
// observers (empty span) so they can record the commit's size and duration.
//
// Not emitted: dedupe hits on enqueue (nothing changed), scheduled/retrying -> queued promotions
// when a job falls due (its next event is `started`), purges and retention deletes of finished
// jobs (they leave no job behind to watch; counts come from Engine::stats()), extends without
// progress (a lease renewal is not a change a watcher needs).
//
// Ownership: the engine owns the events; the span handed to on_commit() is valid only for the
// duration of the call. Copy what you keep. Observers are shared with the engine
// (std::shared_ptr) and must outlive nothing: the engine drops its reference when destroyed.
//
// Threading: on_commit() runs on the engine's writer thread, after the commit and before the
// batch's callers are answered. It must be quick and must never block or wait on a lock held by
// a slow thread (copy into a bounded buffer, bump counters); every millisecond it takes delays
// every caller of the next batch. It must not call back into the Engine synchronously.
// Register observers with Engine::add_observer() before Engine::start() (or before the first
// run_once() in tests); the list is not guarded after that.
//
// Adding a kind: add it to JobEventKind and to_string() below, emit it in engine.cpp where the
// transition is applied, and say in the field comments which fields it sets.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/clock.hpp"
#include "core/job.hpp"

namespace spool::engine {

enum class JobEventKind {
  kEnqueued,   // a new job is stored (state scheduled or queued)
  kStarted,    // reserved by a worker: state active; sets wait_ms
  kProgress,   // an extend carried progress: state active; sets progress_json
  kRetrying,   // a failed attempt will run again (fail retry, or lease expired): state retrying;
               // sets fail_kind, error, next_run_at, run_ms
  kCompleted,  // acked: state completed; sets run_ms
  kDead,       // failed for good (permanent, attempts spent, lease expired on the last
               // attempt): state dead; sets fail_kind, error, run_ms
  kCancelled,  // cancelled by an operator: state cancelled
  kSnoozed,    // the worker gave the job back for later without spending an attempt: state
               // scheduled (or queued for a 0 ms snooze); sets error, next_run_at, run_ms
  kReleased,   // the worker handed the job back at once (shutting down): state queued; run_ms
  kRetried,    // an operator requeued a dead or cancelled job (one, or a queue's dead jobs in
               // bulk): state queued, attempts reset
};

constexpr std::string_view to_string(JobEventKind kind) {
  switch (kind) {
    case JobEventKind::kEnqueued:
      return "enqueued";
    case JobEventKind::kStarted:
      return "started";
    case JobEventKind::kProgress:
      return "progress";
    case JobEventKind::kRetrying:
      return "retrying";
    case JobEventKind::kCompleted:
      return "completed";
    case JobEventKind::kDead:
      return "dead";
    case JobEventKind::kCancelled:
      return "cancelled";
    case JobEventKind::kSnoozed:
      return "snoozed";
    case JobEventKind::kReleased:
      return "released";
    case JobEventKind::kRetried:
      return "retried";
  }
  return "unknown";
}

struct JobEvent {
  JobEventKind kind = JobEventKind::kEnqueued;
  std::string id;
  std::string type;
  std::string queue;
  int attempt = 0;  // the job's attempts after the transition (the attempt a start begins)
  int max_attempts = 0;
  JobState state = JobState::kQueued;  // the job's state after the transition
  TimeMs at = 0;                       // the batch's time (engine clock), committed just now

  // kRetrying, kDead, kSnoozed: how the attempt ended (retry, permanent, snooze,
  // lease_expired) and the error message recorded for it.
  std::optional<FailKind> fail_kind;
  std::string error;
  std::optional<std::string> progress_json;  // kProgress: the JSON text the worker sent
  std::optional<TimeMs> next_run_at;         // kRetrying, kSnoozed, kReleased, kRetried
  std::optional<std::int64_t> wait_ms;       // kStarted: due (run_at) -> start, never negative
  std::optional<std::int64_t> run_ms;        // settles of an attempt: start -> this transition
  bool callback_armed = false;  // kCompleted, kDead: the job's completion callback is now due
};

// One committed transaction, as observers see it.
struct CommitInfo {
  TimeMs at = 0;              // the batch's time (engine clock)
  std::size_t commands = 0;   // write commands applied plus long polls served in it
  double commit_seconds = 0;  // the store's commit() call alone (fsync in strict mode)
  double batch_seconds = 0;   // begin() -> commit() returned: the whole transaction
};

// Implemented by whoever watches jobs (metrics, SSE). See the threading contract above.
class JobObserver {
 public:
  virtual ~JobObserver() = default;
  // REQUIRES: quick, never blocks, does not call the Engine synchronously.
  virtual void on_commit(const CommitInfo& commit, std::span<const JobEvent> events) = 0;
};

}  // namespace spool::engine
