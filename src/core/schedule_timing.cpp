#include "core/schedule_timing.hpp"

#include <limits>

namespace spool {

std::vector<TimeMs> next_fire_times(const CronExpression& cron, const TimeZone& zone, TimeMs after,
                                    int n) {
  std::vector<TimeMs> times;
  for (int i = 0; i < n; ++i) {
    const std::optional<TimeMs> next = cron.next_after(after, zone);
    if (!next) break;
    times.push_back(*next);
    after = *next;
  }
  return times;
}

TimeMs next_every(TimeMs anchor, std::int64_t every_ms, TimeMs after) {
  SPOOL_CHECK(every_ms > 0);
  if (after < anchor) return anchor;
  // Unsigned, because after - anchor can exceed the int64 range when anchor is negative.
  const std::uint64_t elapsed =
      static_cast<std::uint64_t>(after) - static_cast<std::uint64_t>(anchor);
  const std::uint64_t every = static_cast<std::uint64_t>(every_ms);
  const std::uint64_t ticks = elapsed / every + 1;
  const std::uint64_t headroom = static_cast<std::uint64_t>(std::numeric_limits<TimeMs>::max()) -
                                 static_cast<std::uint64_t>(anchor);
  if (ticks > headroom / every) return std::numeric_limits<TimeMs>::max();
  return static_cast<TimeMs>(static_cast<std::uint64_t>(anchor) + ticks * every);
}

}  // namespace spool
