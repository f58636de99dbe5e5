// Schedule planning: when a schedule's ticks fall and what to do with a tick that is due. Pure
// functions over core values (no store, no clock of their own); thread-safe. The engine applies
// the plans (engine.cpp); the HTTP layer shows upcoming ticks with them.
//
// Misfires (documented in docs/schedules.md): a due tick fired no more than kMisfireGraceMs late,
// with no later tick also due, is on time and fires. Otherwise ticks were missed (the server was
// down, or too busy): under run_once the first missed tick fires once, late, and the rest are
// skipped; under skip none fires. Either way the schedule goes on from the first tick after now.
#pragma once

#include <optional>
#include <vector>

#include "core/clock.hpp"
#include "core/schedule.hpp"
#include "core/status.hpp"

namespace spool::engine {

// Checks that the schedule's timing can be evaluated: exactly one of cron and every_ms, a cron
// expression that parses, every_ms >= kMinEveryMs, a known time zone. Errors name the field.
Status check_timing(const Schedule& schedule);

// The first tick strictly after `after`; nullopt when the schedule never fires again (or its
// timing does not evaluate: see check_timing).
std::optional<TimeMs> next_tick(const Schedule& schedule, TimeMs after);

// Up to n ticks strictly after `after`, earliest first (GET /v1/schedules/{id}'s next_runs).
std::vector<TimeMs> upcoming_ticks(const Schedule& schedule, TimeMs after, int n);

struct FirePlan {
  std::optional<TimeMs> fire_at;      // the tick to enqueue a job for; unset: skip it
  std::optional<TimeMs> next_run_at;  // the schedule's next tick after this one
  bool misfire = false;               // ticks were missed (see above)
};

// What to do with a schedule whose next_run_at is due. REQUIRES: schedule.next_run_at <= now.
FirePlan plan_fire(const Schedule& schedule, TimeMs now);

}  // namespace spool::engine
