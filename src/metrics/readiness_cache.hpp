// ReadinessCache: GET /readyz's last probe, kept for about a second. /readyz is public and each
// probe visits the engine's writer thread (backlog counts, minute aggregates), so without it
// anyone could call it in a loop and stall every write (D2). With it one server makes at most one
// probe per kReadinessCacheMs however many callers come, and an answer is at most that old.
//
// Ownership: one per server (http::Context holds it by shared_ptr). It borrows the Clock, which
// must outlive it.
//
// Threading: any thread. get() starts at most one probe at a time; callers that come while one
// is on its way wait for it. Answers run on the thread that completed the probe (the engine's
// writer) or on the caller's, never under the lock, so an answer may call get() again.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <vector>

#include "core/clock.hpp"
#include "metrics/readiness.hpp"

namespace spool::metrics {

// How long a probe is reused (docs/api.md "/readyz").
inline constexpr std::int64_t kReadinessCacheMs = 1000;

class ReadinessCache {
 public:
  using Answer = std::function<void(const ReadinessProbe&)>;
  // Makes one fresh probe and calls its argument with it exactly once, from any thread.
  using Probe = std::function<void(Answer)>;

  explicit ReadinessCache(const Clock& clock, std::int64_t max_age_ms = kReadinessCacheMs)
      : clock_(clock), max_age_ms_(max_age_ms) {}

  // Calls `answer` with the last probe if it was asked for less than max_age_ms ago; else with
  // the probe on its way, or with a new one made by `probe`. REQUIRES: `probe` answers exactly
  // once (Engine::observe does, stopped or not), else every later caller waits forever.
  void get(const Probe& probe, Answer answer);

 private:
  void store(const ReadinessProbe& fresh);

  const Clock& clock_;
  const std::int64_t max_age_ms_;
  std::mutex mu_;
  std::optional<ReadinessProbe> last_;  // GUARDED_BY(mu_)
  TimeMs last_at_ = 0;                  // GUARDED_BY(mu_): when last_ was asked for
  bool probing_ = false;                // GUARDED_BY(mu_): a probe is on its way
  TimeMs probe_started_at_ = 0;         // GUARDED_BY(mu_): when it was asked for
  std::vector<Answer> waiting_;         // GUARDED_BY(mu_): callers of that probe
};

}  // namespace spool::metrics
