// What the client verbs print for people, from the server's JSON answers: the job block of
// `spool job`, the tables of `spool jobs`, `spool stats` and `spool queues`. Pure functions of
// (answer, now, style) so tests pin the layout (client_views_test.cpp); any thread.
//
// They read the answers leniently (output.hpp json_* helpers): a field a newer server adds is
// ignored and a missing one shows as "-", so the CLI keeps working across server versions.
#pragma once

#include <boost/json/value.hpp>
#include <string>

#include "cli/output.hpp"
#include "core/clock.hpp"

namespace spool::cli {

// GET /v1/jobs/{id}: one "label  value" line per known field, then payload, result and progress
// pretty-printed and indented. Empty times and fields are left out rather than shown as null.
std::string render_job(const boost::json::value& job, TimeMs now, const Style& style);

// GET /v1/jobs: id, type, queue, state, attempts, created, last error (shortened).
std::string render_jobs_table(const boost::json::value& answer, const Style& style);

// GET /v1/stats: one row per queue with a count per state, and a TOTAL row.
std::string render_stats(const boost::json::value& answer, const Style& style);

// GET /v1/queues: name, paused, the counts people act on, and the queue's config in one line.
std::string render_queues(const boost::json::value& answer, const Style& style);

// A queue's config as "max_attempts=5 lease=30s concurrency=5 rate=50/1s", "-" when default.
std::string describe_queue_config(const boost::json::value& config);

}  // namespace spool::cli
