// When a recurring schedule fires next: the upcoming fire times of a cron expression (the API's
// next_runs) and the next tick of a fixed interval (every_ms). Pure functions: thread-safe.
#pragma once

#include <cstdint>
#include <vector>

#include "core/clock.hpp"
#include "core/cron.hpp"
#include "core/time_zone.hpp"

namespace spool {

// Up to `n` fire times strictly after `after`, ascending; fewer if the expression stops firing
// (CronExpression::next_after answers nullopt), none if n <= 0.
std::vector<TimeMs> next_fire_times(const CronExpression& cron, const TimeZone& zone, TimeMs after,
                                    int n);

// The first anchor + k * every_ms strictly after `after` (so k >= 1 when after == anchor), or
// anchor itself when after < anchor. Saturates at the largest TimeMs rather than overflow.
// REQUIRES: every_ms > 0 (the caller validates input).
TimeMs next_every(TimeMs anchor, std::int64_t every_ms, TimeMs after);

}  // namespace spool
