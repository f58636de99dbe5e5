// Readiness: GET /readyz's verdict (docs/api.md), whether this server can take jobs and what the
// [watch] thresholds warn about. The rule: only the store decides ready or not. A long backlog, a
// high failure rate or a failing push endpoint is reported as a warning, never turned into a 503:
// none of them is this server failing. The http handler gathers the values, calls these two
// functions and encodes the answer. A new warning goes in judge_readiness() and docs/api.md.
//
// Plain values and pure functions: any thread, no shared state.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/job.hpp"
#include "core/status.hpp"
#include "metrics/push_health.hpp"

namespace spool::engine {
struct Observation;
}

namespace spool::metrics {

// The window of the failure_rate warning ("the last 5 whole minutes").
inline constexpr std::int64_t kReadinessFailureWindowMs = 5 * 60'000;

// The [watch] ready_* keys (docs/configuration.md): above any of these, /readyz warns.
struct ReadinessThresholds {
  std::int64_t backlog = 10'000;            // queued jobs in one queue
  std::int64_t failure_rate_percent = 25;   // failed attempts / ended attempts, last 5 min
  std::int64_t oldest_queued_ms = 300'000;  // age of a queue's oldest ready job
  std::int64_t store_latency_ms = 250;      // the probe's round trip through the engine
};

// One queue as the probe saw it.
struct QueueReadiness {
  std::string name;
  bool paused = false;
  Counts counts;
  std::int64_t waiters = 0;                      // parked long polls
  std::optional<std::int64_t> oldest_queued_ms;  // how long its oldest ready job has waited
};

// What one probe saw.
struct ReadinessProbe {
  double store_latency_ms = 0;             // the probe's round trip through the engine
  std::optional<std::string> store_error;  // set: the store cannot take jobs, and why
  std::vector<QueueReadiness> queues;      // empty when the probe got no observation
  std::optional<double> failure_rate;      // 0..1 over the window; unset: no attempt ended
  PushView push;
};

// `observed` answers an engine::ObservationRequest with `backlog` set and `minutes_back_ms` =
// kReadinessFailureWindowMs + kMinuteMs (the window starts on a whole minute, up to one minute
// before now - kReadinessFailureWindowMs).
ReadinessProbe readiness_probe(const StatusOr<engine::Observation>& observed,
                               double store_latency_ms, PushView push);

struct ReadinessWarning {
  // backlog, oldest_queued, failure_rate, store_latency, breaker_open, push_gone, push_config
  std::string_view code;
  std::string message;
  std::optional<std::string> queue;  // the queue it is about, if any
};

struct Readiness {
  bool ready = false;                      // /readyz answers 200 when true, else 503
  std::vector<ReadinessWarning> warnings;  // in the order /readyz lists them
};

Readiness judge_readiness(const ReadinessProbe& probe, const ReadinessThresholds& thresholds);

}  // namespace spool::metrics
