// Turns `spool schedules add` arguments into the body of POST /v1/schedules. Kept apart from the
// network so every rule is unit-tested (schedule_views_test.cpp). Pure functions; any thread.
//
// Errors are kInvalidArgument with field() naming the option and a message that quotes the value
// and says what is allowed; the CLI prints them and exits 2 (bad usage). The cron expression and
// time zone are the server's to judge, so the two can never disagree.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/status.hpp"

namespace spool::cli {

struct ScheduleArgs {
  std::string name;
  std::string type;
  std::string cron;   // "0 9 * * 1", "@daily"; empty when not given
  std::string every;  // "5m"; empty when not given
  std::string tz;     // IANA name; empty: the server's default (UTC)
  std::string queue;
  std::optional<std::int64_t> priority;
  std::optional<std::int64_t> max_attempts;
  std::string lease;  // "30s"
  std::vector<std::string> tags;
  std::string misfire;  // skip | run_once
  std::string overlap;  // allow | skip
  bool paused = false;
};

StatusOr<boost::json::object> build_schedule_request(const ScheduleArgs& args,
                                                     boost::json::value payload);

}  // namespace spool::cli
