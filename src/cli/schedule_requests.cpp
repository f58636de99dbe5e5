#include "cli/schedule_requests.hpp"

#include "cli/duration.hpp"

namespace spool::cli {

StatusOr<boost::json::object> build_schedule_request(const ScheduleArgs& args,
                                                     boost::json::value payload) {
  if (args.cron.empty() == args.every.empty()) {
    return invalid("--cron",
                   "give either --cron \"0 9 * * 1\" (or @daily, @hourly, ...) or "
                   "--every 5m, exactly one of them");
  }
  boost::json::object body;
  body["name"] = args.name;
  if (!args.cron.empty()) {
    body["cron"] = args.cron;
  } else {
    auto ms = parse_duration_ms(args.every);
    if (!ms) return invalid("--every", ms.error().message());
    body["every_ms"] = *ms;
  }
  if (!args.tz.empty()) body["timezone"] = args.tz;
  if (!args.misfire.empty()) body["misfire"] = args.misfire;
  if (!args.overlap.empty()) body["overlap"] = args.overlap;
  if (args.paused) body["paused"] = true;

  boost::json::object job;
  job["type"] = args.type;
  job["payload"] = std::move(payload);
  if (!args.queue.empty()) job["queue"] = args.queue;
  if (args.priority) job["priority"] = *args.priority;
  if (args.max_attempts) job["max_attempts"] = *args.max_attempts;
  if (!args.lease.empty()) {
    auto ms = parse_duration_ms(args.lease);
    if (!ms) return invalid("--lease", ms.error().message());
    job["lease_ms"] = *ms;
  }
  if (!args.tags.empty()) {
    boost::json::array tags;
    for (const auto& t : args.tags) tags.emplace_back(t);
    job["tags"] = std::move(tags);
  }
  body["job"] = std::move(job);
  return body;
}

}  // namespace spool::cli
