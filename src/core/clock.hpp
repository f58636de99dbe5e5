// Clock: the only source of time for the engine and the store. Thread-safe (const reads).
//
// Times are milliseconds since the Unix epoch (TimeMs). RealClock reads the wall clock once at
// start and advances by the monotonic clock after that, so a wall-clock step while the server
// runs never makes a delayed job run early (API.md: delays are measured on the monotonic clock).
// ManualClock only moves when a test moves it.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace spool {

using TimeMs = std::int64_t;

class Clock {
 public:
  virtual ~Clock() = default;
  // Rounded down to the millisecond.
  virtual TimeMs now_ms() const = 0;
  // The same instant rounded up: a relative delay counted from here never ends early, while due
  // checks against now_ms() (rounded down) never fire early. The two differ only on a clock with
  // sub-millisecond resolution.
  virtual TimeMs now_ms_rounded_up() const { return now_ms(); }
};

class RealClock final : public Clock {
 public:
  RealClock();
  TimeMs now_ms() const override;
  TimeMs now_ms_rounded_up() const override;

 private:
  TimeMs wall_at_start_;
  std::chrono::steady_clock::time_point steady_at_start_;
};

class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimeMs start = 1'764'000'000'000) : now_(start) {}
  TimeMs now_ms() const override { return now_.load(); }
  void advance_ms(TimeMs delta) { now_ += delta; }
  void set_ms(TimeMs t) { now_ = t; }

 private:
  std::atomic<TimeMs> now_;
};

}  // namespace spool
