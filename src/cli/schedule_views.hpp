// What `spool schedules` prints for people: the list table and one schedule's block with its
// next fire times. Pure functions of (answer, now, style), pinned by schedule_views_test.cpp;
// lenient about fields, like client_views.hpp.
#pragma once

#include <boost/json/value.hpp>
#include <string>

#include "cli/output.hpp"
#include "core/clock.hpp"

namespace spool::cli {

// "cron 0 9 * * 1 (Europe/Berlin)" or "every 5m".
std::string describe_timing(const boost::json::value& schedule);

// GET /v1/schedules: name, id, timing, next run, last run and its job, paused.
std::string render_schedules_table(const boost::json::value& answer, TimeMs now,
                                   const Style& style);

// GET /v1/schedules/{id}: one "label  value" line per field, the next runs, then the job.
std::string render_schedule(const boost::json::value& schedule, TimeMs now, const Style& style);

}  // namespace spool::cli
