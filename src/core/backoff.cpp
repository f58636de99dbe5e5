#include "core/backoff.hpp"

#include <algorithm>
#include <cmath>

namespace spool {

std::int64_t retry_delay_ms(const Backoff& backoff, int attempt, double unit_random) {
  std::int64_t cap = std::max<std::int64_t>(0, backoff.max_ms);
  std::int64_t delay = std::max<std::int64_t>(0, backoff.base_ms);
  if (backoff.type == BackoffType::kExponential) {
    // Double step by step so a large attempt number saturates at the cap instead of overflowing.
    for (int i = 1; i < attempt && delay < cap; ++i) delay *= 2;
  }
  delay = std::min(delay, cap);
  if (backoff.jitter) {
    double r = std::clamp(unit_random, 0.0, 1.0);
    delay = static_cast<std::int64_t>(std::floor(static_cast<double>(delay) * r));
  }
  return delay;
}

}  // namespace spool
