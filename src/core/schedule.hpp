// The schedule vocabulary shared by the store, the engine and the HTTP layer: what a recurring
// schedule is and the job it enqueues on each fire. Plain values; no threading concerns. The
// time math (cron expressions, time zones) lives in core/cron.hpp and core/time_zone.hpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/job.hpp"

namespace spool {

// What a schedule does about ticks that passed while the server could not fire them (it was
// down, or the schedule was further behind than kMisfireGraceMs).
enum class MisfirePolicy {
  kSkip,     // fire none of them; go on from now
  kRunOnce,  // fire the first missed tick once, late; skip the rest; go on from now
};
std::string_view to_string(MisfirePolicy policy);
std::optional<MisfirePolicy> parse_misfire_policy(std::string_view text);

// What a schedule does when a tick comes while the job of its previous fire is unfinished.
enum class OverlapPolicy {
  kAllow,  // enqueue anyway
  kSkip,   // skip this tick (the schedule moves on to the next)
};
std::string_view to_string(OverlapPolicy policy);
std::optional<OverlapPolicy> parse_overlap_policy(std::string_view text);

// A tick fired at most this late is on time; later ones are misfires (see MisfirePolicy).
inline constexpr std::int64_t kMisfireGraceMs = 60'000;
// every_ms may not be shorter than this: a schedule is not a busy loop.
inline constexpr std::int64_t kMinEveryMs = 1'000;
// How long the dedupe key of a fire ("schedule:<id>:<fire time>") holds.
inline constexpr std::int64_t kFireDedupeWindowMs = 24LL * 3'600'000;

// The job of each fire: POST /v1/jobs' fields without timing or dedupe key (the schedule
// decides both). Unset fields take the queue's config, then the server default, at each fire.
struct JobTemplate {
  std::string type;
  std::optional<std::string> queue;  // defaults to type
  std::string payload_json = "null";
  int priority = 0;
  std::optional<int> max_attempts;
  std::optional<Backoff> backoff;
  std::optional<std::int64_t> lease_ms;
  std::vector<std::string> tags;
  bool operator==(const JobTemplate&) const = default;
};

// Exactly one of cron and every_ms is set.
struct Schedule {
  std::string id;    // a ULID, like job ids
  std::string name;  // unique; [A-Za-z0-9_.:-]{1,128}
  std::optional<std::string> cron;
  std::optional<std::int64_t> every_ms;
  std::string timezone = "UTC";  // IANA name; cron fields are read in this zone's local time
  JobTemplate job;
  MisfirePolicy misfire = MisfirePolicy::kRunOnce;
  OverlapPolicy overlap = OverlapPolicy::kAllow;
  bool paused = false;
  TimeMs created_at = 0;
  TimeMs updated_at = 0;
  // every_ms ticks fall on anchor_at + k * every_ms; set when the interval is (re)set.
  TimeMs anchor_at = 0;
  std::optional<TimeMs> next_run_at;  // unset: the expression never fires again
  std::optional<TimeMs> last_run_at;  // the fire time of the last fire that enqueued a job
  std::optional<std::string> last_job_id;
};

// The dedupe key of the fire of `schedule_id` at `fire_at`: one tick, one job, whichever server
// fires it and however often.
std::string fire_dedupe_key(std::string_view schedule_id, TimeMs fire_at);

}  // namespace spool
