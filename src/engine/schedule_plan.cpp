#include "engine/schedule_plan.hpp"

#include "core/cron.hpp"
#include "core/schedule_timing.hpp"
#include "core/time_zone.hpp"

namespace spool::engine {

Status check_timing(const Schedule& s) {
  if (s.cron.has_value() == s.every_ms.has_value()) {
    return Status(StatusCode::kInvalidArgument,
                  "give exactly one of cron (an expression such as \"0 9 * * 1\") and every_ms "
                  "(an interval in milliseconds)",
                  "cron");
  }
  if (s.every_ms && *s.every_ms < kMinEveryMs) {
    return Status(StatusCode::kInvalidArgument,
                  "every_ms must be at least " + std::to_string(kMinEveryMs) + ", got " +
                      std::to_string(*s.every_ms),
                  "every_ms");
  }
  if (s.cron) {
    if (auto parsed = CronExpression::parse(*s.cron); !parsed) return parsed.error();
  }
  if (auto zone = TimeZone::find(s.timezone); !zone) {
    Status e = zone.error();
    return Status(e.code(), e.message(), "timezone");
  }
  return Status();
}

std::optional<TimeMs> next_tick(const Schedule& s, TimeMs after) {
  if (s.every_ms) {
    if (*s.every_ms < kMinEveryMs) return std::nullopt;
    return next_every(s.anchor_at, *s.every_ms, after);
  }
  if (!s.cron) return std::nullopt;
  auto expr = CronExpression::parse(*s.cron);
  auto zone = TimeZone::find(s.timezone);
  if (!expr || !zone) return std::nullopt;
  return expr->next_after(after, *zone);
}

std::vector<TimeMs> upcoming_ticks(const Schedule& s, TimeMs after, int n) {
  std::vector<TimeMs> out;
  for (int i = 0; i < n; ++i) {
    auto t = next_tick(s, after);
    if (!t) break;
    out.push_back(*t);
    after = *t;
  }
  return out;
}

FirePlan plan_fire(const Schedule& s, TimeMs now) {
  SPOOL_DCHECK(s.next_run_at && *s.next_run_at <= now);
  TimeMs due = *s.next_run_at;
  FirePlan plan;
  std::optional<TimeMs> following = next_tick(s, due);
  bool on_time = now - due <= kMisfireGraceMs && (!following || *following > now);
  if (on_time) {
    plan.fire_at = due;
    plan.next_run_at = following;
    return plan;
  }
  plan.misfire = true;
  if (s.misfire == MisfirePolicy::kRunOnce) plan.fire_at = due;
  plan.next_run_at = next_tick(s, now);
  return plan;
}

}  // namespace spool::engine
