// The values job operations answer and listings take, shared by the store that produces them,
// the engine that passes them on, and the modules that show them (http encodes them, metrics
// sums them). They live in core, not in store/store.hpp, so http and metrics can read an
// engine answer without seeing the Store interface (docs/architecture.md, the dependency rule).
//
// Namespace spool::ops, not spool: the installed client library (include/spool/) has its own
// spool::JobFilter, spool::JobPage and spool::Stats, and one file may include both.
//
// Values only; no threading concerns.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/job.hpp"

namespace spool::ops {

// ---- Enqueue --------------------------------------------------------------------------------

struct EnqueueResult {
  std::string id;
  JobState state = JobState::kQueued;
  bool deduplicated = false;  // true: an earlier job holds (type, dedupe_key); id is that job's
};

// ---- Settle (ack, fail, cancel, retry, lease expiry) -----------------------------------------

struct SettleResult {
  std::string id;
  JobState state = JobState::kCompleted;
  std::optional<TimeMs> next_run_at;  // when the job runs again (retrying, queued, scheduled)
  std::string queue;  // the job's queue: tells the engine whose waiters to look at again
  // What observers are told (engine/job_events.hpp); the store has the row at hand anyway.
  std::string type;
  int attempts = 0;  // after the transition
  int max_attempts = 0;
  std::optional<TimeMs> started_at;  // start of the attempt this settles (ack, fail, expiry)
  std::string error;                 // the error recorded (fail, lease expiry), else empty
  // Set by every failure (fail, and tick()'s expiries: kLeaseExpired, or kTimeout when the
  // attempt reached its timeout_ms); unset for ack, cancel and retry.
  std::optional<FailKind> failed_kind;
  bool callback_armed = false;  // this transition armed the job's completion callback
};

// ---- Listing --------------------------------------------------------------------------------

// Tags one listing may ask for at once (GET /v1/jobs?tag=a&tag=b: jobs carrying all of them).
inline constexpr std::size_t kMaxTagFilters = 8;

struct JobFilter {
  std::optional<JobState> state;
  std::optional<std::string> type;
  std::optional<std::string> queue;
  std::vector<std::string> tags;  // every one must be among the job's tags (0..kMaxTagFilters)
  std::optional<std::string> dedupe_key;
  int limit = 50;                       // 1..500
  bool ascending = false;               // by creation (id) order
  std::optional<std::string> after_id;  // cursor: continue past this id in the chosen order
};

struct JobPage {
  std::vector<Job> jobs;
  std::optional<std::string> next_cursor;  // id of the last job when more may follow
};

struct Stats {
  std::vector<QueueInfo> queues;  // every known queue, with counts (config may be left empty)
  Counts totals;
};

// ---- Per-minute aggregates (GET /v1/metrics/summary) ----------------------------------------

// Upper bounds (ms, inclusive) of the run-time buckets kept per minute; one more bucket counts
// the rest. Stored as columns by the SQLite store: change them => a store migration.
inline constexpr std::array<std::int64_t, 15> kRunMsBuckets = {
    5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 1800000};

// What happened in one minute to one (queue, type): added to, never rewritten.
struct MinuteStats {
  TimeMs minute = 0;  // start of the minute, a multiple of 60000 ms
  std::string queue;
  std::string type;
  std::int64_t enqueued = 0;
  std::int64_t completed = 0;
  std::int64_t failed = 0;  // attempts failed: retry, permanent, lease expired
  std::int64_t dead = 0;
  std::int64_t run_count = 0;  // attempts that ended (completed or failed)
  std::int64_t run_ms_sum = 0;
  std::array<std::int64_t, kRunMsBuckets.size() + 1> run_buckets{};
};

// Queued (ready) jobs of one queue: how many, the oldest, and how many are overdue.
struct QueueBacklog {
  std::string queue;
  std::int64_t queued = 0;
  std::optional<TimeMs> oldest_run_at;  // the earliest run_at among them
  std::int64_t overdue = 0;             // run_at <= the asked instant (counted up to a bound)
};

}  // namespace spool::ops
