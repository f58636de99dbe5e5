// The job shapes of the C++ client library: what you send to enqueue, and what the server tells
// you back about jobs (API.md "Producing and inspecting" and "Working").
//
// Plain values; copy and move freely between threads. Durations are std::chrono types and are
// sent as the API's integer milliseconds. Times come back as the server's RFC 3339 text (UTC,
// milliseconds) and as a system_clock time_point when they parse.
#pragma once

#include <boost/json/value.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace spool {
inline namespace v1 {  // see result.hpp

using Millis = std::chrono::milliseconds;
using WallTime = std::chrono::time_point<std::chrono::system_clock, Millis>;

struct Backoff {
  enum class Type { kExponential, kFixed };
  Type type = Type::kExponential;
  Millis base{1000};
  Millis max{3'600'000};
  bool jitter = true;  // full jitter
};

// POST /v1/jobs. Unset fields take the queue's config, then the server's default.
struct NewJob {
  std::string type;                  // [A-Za-z0-9_.:-]{1,128}
  boost::json::value payload;        // any JSON; null when not set
  std::optional<std::string> queue;  // defaults to type
  std::optional<int> priority;       // higher runs first; server default 0
  std::optional<Millis> delay;       // run no sooner than this from now (monotonic on the server)
  std::optional<WallTime> run_at;    // or: run no sooner than this instant (not both)
  std::optional<std::string> dedupe_key;
  std::optional<Millis> dedupe_window;
  std::optional<int> max_attempts;  // 1..1000
  std::optional<Backoff> backoff;
  std::optional<Millis> lease;  // 100 ms .. 24 h
  // The longest one attempt may run, however often its lease is renewed (100 ms .. 7 days);
  // past it the attempt fails as a timeout and a Worker's handler sees stop_requested().
  std::optional<Millis> timeout;
  std::vector<std::string> tags;
};

// The answer to an enqueue: deduplicated is true when a job with the same dedupe_key already
// existed within its window, and id is that job's.
struct Enqueued {
  std::string id;
  std::string state;
  bool deduplicated = false;
};

struct JobError {
  std::string message;
  std::string kind;  // retry, permanent, snooze, release, lease_expired, timeout
  std::string at;    // RFC 3339
};

// GET /v1/jobs/{id}. `raw` keeps the whole object, so fields added to the API after this
// library was built are still reachable.
struct JobInfo {
  std::string id;
  std::string type;
  std::string queue;
  std::string state;  // scheduled, queued, active, retrying, completed, dead, cancelled
  boost::json::value payload;
  int priority = 0;
  int attempts = 0;
  int max_attempts = 0;
  std::string created_at;
  std::string run_at;
  std::string started_at;        // empty when not set
  std::string finished_at;       // empty when not set
  std::string lease_expires_at;  // empty unless active
  std::string worker;
  std::optional<JobError> last_error;
  std::vector<JobError> errors;
  boost::json::value result;
  boost::json::value progress;
  std::string dedupe_key;
  std::vector<std::string> tags;
  std::optional<std::int64_t> processing_ms;
  boost::json::object raw;
};

// GET /v1/jobs filters; empty fields do not filter.
struct JobFilter {
  std::string state;
  std::string type;
  std::string queue;
  std::string tag;
  std::vector<std::string> tags;  // more tags: jobs carrying all of them (and `tag`) are listed
  std::string dedupe_key;
  int limit = 50;      // 1..500
  std::string cursor;  // from JobPage::next_cursor
  bool oldest_first = false;
};

struct JobPage {
  std::vector<JobInfo> jobs;
  std::string next_cursor;  // empty on the last page
};

// POST /v1/reserve.
struct ReserveRequest {
  std::vector<std::string> queues;  // 1..32
  int max = 1;                      // 1..100
  Millis wait{0};                   // long poll, up to 60 s
  std::optional<Millis> lease;      // default: each job's own
  std::string worker;               // shown on the job while active
};

// One job handed to a worker. `lease` is the token that proves this worker still holds it.
struct ReservedJob {
  std::string id;
  std::string type;
  std::string queue;
  boost::json::value payload;
  int attempt = 0;
  int max_attempts = 0;
  std::string lease;
  std::string lease_expires_at;
  Millis lease_length{0};  // how long the lease runs from the moment it was handed out
  std::string created_at;
  std::vector<std::string> tags;
};

// How a worker gives a job back without completing it (POST /v1/jobs/{id}/fail).
struct Failure {
  enum class Kind { kRetry, kPermanent, kSnooze, kRelease };
  Kind kind = Kind::kRetry;
  std::string message;
  std::optional<Millis> retry_after;  // retry: overrides the backoff; snooze: required
};

// What the server did with a settled job: its state now, and when it runs next if it will.
struct Settled {
  std::string id;
  std::string state;
  std::string next_run_at;  // empty unless it will run again
};

// Queue counts by state, as in GET /v1/stats.
struct Counts {
  std::map<std::string, std::int64_t> by_state;  // "queued" -> 12, ...
};

struct Stats {
  std::map<std::string, Counts> queues;
  Counts totals;
};

}  // namespace v1
}  // namespace spool
