#include "core/clock.hpp"

namespace spool {

namespace {
TimeMs system_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}
}  // namespace

RealClock::RealClock() : RealClock(&system_now_ms, &std::chrono::steady_clock::now) {}

RealClock::RealClock(WallNow wall_now, SteadyNow steady_now)
    : steady_now_(steady_now), wall_at_start_(wall_now()), steady_at_start_(steady_now()) {}

TimeMs RealClock::now_ms() const {
  auto elapsed = steady_now_() - steady_at_start_;
  return wall_at_start_ + std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count();
}

TimeMs RealClock::now_ms_rounded_up() const {
  auto elapsed = steady_now_() - steady_at_start_;
  return wall_at_start_ + std::chrono::ceil<std::chrono::milliseconds>(elapsed).count();
}

}  // namespace spool
