// The job vocabulary shared by every module: states, backoff, queue config, the job record.
// Plain values; no threading concerns.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"

namespace spool {

// Order matters: it indexes Counts and is stored as an integer by the SQLite store.
// Change it => add a store migration.
enum class JobState {
  kScheduled = 0,
  kQueued = 1,
  kActive = 2,
  kRetrying = 3,
  kCompleted = 4,
  kDead = 5,
  kCancelled = 6,
};
inline constexpr int kJobStateCount = 7;
inline constexpr std::array<JobState, kJobStateCount> kAllJobStates = {
    JobState::kScheduled, JobState::kQueued, JobState::kActive,   JobState::kRetrying,
    JobState::kCompleted, JobState::kDead,   JobState::kCancelled};

std::string_view to_string(JobState state);
std::optional<JobState> parse_job_state(std::string_view text);
bool is_finished(JobState state);  // completed, dead, cancelled

enum class BackoffType { kExponential, kFixed };
std::string_view to_string(BackoffType type);
std::optional<BackoffType> parse_backoff_type(std::string_view text);

struct Backoff {
  BackoffType type = BackoffType::kExponential;
  std::int64_t base_ms = 1000;
  std::int64_t max_ms = 3'600'000;
  bool jitter = true;  // full jitter: a uniform delay in [0, computed]
  bool operator==(const Backoff&) const = default;
};

// How a worker fails a job. kLeaseExpired and kTimeout are never sent by a worker: the engine
// records them when a lease runs out, or when an attempt runs past its timeout_ms.
enum class FailKind { kRetry, kPermanent, kSnooze, kRelease, kLeaseExpired, kTimeout };
std::string_view to_string(FailKind kind);
std::optional<FailKind> parse_fail_kind(std::string_view text);  // the four a worker may send

struct RateLimit {
  std::int64_t limit = 0;   // jobs handed out ...
  std::int64_t per_ms = 0;  // ... per this window
  bool operator==(const RateLimit&) const = default;
};

// Server defaults (API.md "Precedence").
inline constexpr int kDefaultMaxAttempts = 3;
inline constexpr std::int64_t kDefaultLeaseMs = 30'000;
inline constexpr std::int64_t kMinLeaseMs = 100;
inline constexpr std::int64_t kMaxLeaseMs = 86'400'000;
// timeout_ms: the longest one attempt may run, however often its lease is extended. No default:
// an attempt runs as long as its worker extends the lease unless the job, its queue or the
// server sets one.
inline constexpr std::int64_t kMinTimeoutMs = 100;
inline constexpr std::int64_t kMaxTimeoutMs = 7LL * 86'400'000;
inline constexpr std::int64_t kDefaultDedupeWindowMs = 3'600'000;
inline constexpr std::int64_t kDefaultRetainCompletedMs = 24LL * 3'600'000;
inline constexpr std::int64_t kDefaultRetainDeadMs = 7LL * 24 * 3'600'000;
inline constexpr std::int64_t kDefaultRetainCancelledMs = 24LL * 3'600'000;
inline constexpr std::size_t kMaxErrorsKept = 10;  // a job keeps its last N errors

// Per-queue configuration; every field is optional and falls back to the server default.
struct QueueConfig {
  std::optional<int> max_attempts;
  std::optional<Backoff> backoff;
  std::optional<std::int64_t> lease_ms;
  std::optional<std::int64_t> timeout_ms;  // for jobs enqueued without one
  std::optional<int> concurrency;          // max active jobs across all workers
  std::optional<RateLimit> rate_limit;
  std::optional<std::int64_t> retain_completed_ms;
  std::optional<std::int64_t> retain_dead_ms;
  std::optional<std::int64_t> retain_cancelled_ms;
  std::optional<std::string> push_json;  // push delivery target (issue 6), stored as given

  // Fields set in `patch` replace ours.
  void merge(const QueueConfig& patch);
  std::int64_t retain_ms_for(JobState finished_state) const;
  bool operator==(const QueueConfig&) const = default;
};

struct Counts {
  std::array<std::int64_t, kJobStateCount> by_state{};
  std::int64_t& operator[](JobState s) { return by_state[static_cast<int>(s)]; }
  std::int64_t operator[](JobState s) const { return by_state[static_cast<int>(s)]; }
  void add(const Counts& other) {
    for (int i = 0; i < kJobStateCount; ++i) by_state[i] += other.by_state[i];
  }
};

struct QueueInfo {
  std::string name;
  bool paused = false;
  QueueConfig config;
  Counts counts;
};

struct ErrorRecord {
  std::string message;
  FailKind kind = FailKind::kRetry;
  TimeMs at = 0;
  int attempt = 0;
};

// A job's completion callback (docs/push.md "Completion callbacks"). Stored as integers by the
// SQLite store: change the order => a store migration.
enum class CallbackState {
  kPending = 0,    // due at `at`, or being delivered (an attempt holds it until `at`)
  kDelivered = 1,  // a 2xx came back at `at`
  kFailed = 2,     // given up at `at`; `last_error` says why
};
std::string_view to_string(CallbackState state);

struct CallbackStatus {
  CallbackState state = CallbackState::kPending;
  int attempts = 0;  // POSTs tried so far
  TimeMs at = 0;     // pending: the next attempt; otherwise when it was delivered or given up
  std::string last_error;
};

// One job as stored. JSON fields (payload, result, progress) hold JSON text exactly as given.
struct Job {
  std::string id;  // ULID
  std::string type;
  std::string queue;
  JobState state = JobState::kQueued;
  std::string payload_json = "null";
  int priority = 0;
  int attempts = 0;  // reservations so far; snooze and release give theirs back
  int max_attempts = kDefaultMaxAttempts;
  Backoff backoff;
  std::int64_t lease_ms = kDefaultLeaseMs;
  // The longest one attempt may run: a lease never reaches past started_at + timeout_ms, and an
  // attempt that gets there fails as FailKind::kTimeout. Unset: no limit.
  std::optional<std::int64_t> timeout_ms;
  TimeMs created_at = 0;
  TimeMs run_at = 0;                  // when the job is (or was) due
  std::optional<TimeMs> started_at;   // start of the latest reservation
  std::optional<TimeMs> finished_at;  // completed, dead or cancelled
  std::optional<TimeMs> lease_expires_at;
  std::string lease_token;  // current lease; empty unless active. Never shown to readers.
  std::string worker;
  std::vector<ErrorRecord> errors;  // oldest first, at most kMaxErrorsKept
  std::optional<std::string> result_json;
  std::optional<std::string> progress_json;
  std::optional<std::string> dedupe_key;
  std::vector<std::string> tags;
  std::optional<TimeMs> expires_at;  // when retention deletes a finished job
  // Where to POST the final job view when the job completes or dies (checked at enqueue).
  std::optional<std::string> callback_url;
  // Set from the transaction that finished the job with a callback_url.
  std::optional<CallbackStatus> callback;
};

}  // namespace spool
