// CircuitBreaker: one per target (host:port), so a failing endpoint stops costing attempts and
// sockets. Pure state machine on times given by the caller; not thread-safe (the pusher keeps
// its breakers on its one io thread).
//
//   closed --(N consecutive failures, or the failure rate of the last `window` outcomes at or
//             over rate_percent)--> open
//   open --(open_ms passed)--> half-open: one probe delivery at a time is let through
//   half-open --(probe succeeds)--> closed      --(probe fails)--> open, open_ms doubled
//                                                                  (at most max_open_ms)
//
// A failure is what outcome.hpp says counts (5xx, 408, 429, transport); any other answer is a
// success: the target is up, even if it refused the request.
#pragma once

#include <cstdint>
#include <deque>
#include <string_view>

#include "core/clock.hpp"

namespace spool::push {

struct BreakerOptions {
  int consecutive_failures = 5;
  int window = 20;        // outcomes looked at for the rate; the rate needs a full window
  int rate_percent = 50;  // 0: rate rule off
  std::int64_t open_ms = 30'000;
  std::int64_t max_open_ms = 300'000;
};

enum class BreakerState { kClosed, kOpen, kHalfOpen };
std::string_view to_string(BreakerState state);

class CircuitBreaker {
 public:
  explicit CircuitBreaker(BreakerOptions options = {}) : options_(options) {}

  enum class Admit { kYes, kProbe, kNo };
  // May a delivery go now? kProbe: yes, as the half-open probe (report its outcome with
  // record()). kNo: wait retry_in_ms(now).
  Admit admit(TimeMs now);
  void record(bool failure, TimeMs now);
  // A probe that was admitted but never sent (the pusher stopping): let another probe go.
  void abandon_probe() { probe_in_flight_ = false; }

  BreakerState state(TimeMs now) const;
  std::int64_t retry_in_ms(TimeMs now) const;  // 0 unless open
  int consecutive_failures() const { return consecutive_; }
  bool probing() const { return probe_in_flight_; }

 private:
  void open(TimeMs now);

  BreakerOptions options_;
  bool open_ = false;
  bool probe_in_flight_ = false;
  TimeMs open_until_ = 0;
  std::int64_t current_open_ms_ = 0;
  int consecutive_ = 0;
  std::deque<bool> recent_;  // last `window` outcomes, true = failure
  int recent_failures_ = 0;
};

}  // namespace spool::push
