#include "core/clock.hpp"

namespace spool {

RealClock::RealClock()
    : wall_at_start_(std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count()),
      steady_at_start_(std::chrono::steady_clock::now()) {}

TimeMs RealClock::now_ms() const {
  auto elapsed = std::chrono::steady_clock::now() - steady_at_start_;
  return wall_at_start_ + std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count();
}

TimeMs RealClock::now_ms_rounded_up() const {
  auto elapsed = std::chrono::steady_clock::now() - steady_at_start_;
  return wall_at_start_ + std::chrono::ceil<std::chrono::milliseconds>(elapsed).count();
}

}  // namespace spool
