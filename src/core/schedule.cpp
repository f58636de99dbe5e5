#include "core/schedule.hpp"

#include "core/time_format.hpp"

namespace spool {

std::string_view to_string(MisfirePolicy policy) {
  return policy == MisfirePolicy::kSkip ? "skip" : "run_once";
}

std::optional<MisfirePolicy> parse_misfire_policy(std::string_view text) {
  if (text == "skip") return MisfirePolicy::kSkip;
  if (text == "run_once") return MisfirePolicy::kRunOnce;
  return std::nullopt;
}

std::string_view to_string(OverlapPolicy policy) {
  return policy == OverlapPolicy::kSkip ? "skip" : "allow";
}

std::optional<OverlapPolicy> parse_overlap_policy(std::string_view text) {
  if (text == "allow") return OverlapPolicy::kAllow;
  if (text == "skip") return OverlapPolicy::kSkip;
  return std::nullopt;
}

std::string fire_dedupe_key(std::string_view schedule_id, TimeMs fire_at) {
  return "schedule:" + std::string(schedule_id) + ":" + format_rfc3339(fire_at);
}

}  // namespace spool
