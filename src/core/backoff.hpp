// Retry delay math. Pure functions; the caller supplies the randomness so tests are exact.
#pragma once

#include <cstdint>

#include "core/job.hpp"

namespace spool {

// The delay before retry number `attempt` (1 = after the first failed attempt):
// exponential: base_ms * 2^(attempt-1), fixed: base_ms; both capped at max_ms. With jitter the
// delay is uniform in [0, computed] ("full jitter"): `unit_random` in [0, 1) picks the point.
std::int64_t retry_delay_ms(const Backoff& backoff, int attempt, double unit_random);

}  // namespace spool
