// Turns what a person typed on the command line into the API's requests: the JSON body of
// POST /v1/jobs, the query of GET /v1/jobs, escaped paths. Kept apart from the network so every
// rule is unit-tested (client_requests_test.cpp). Pure functions on values; any thread.
//
// Errors are kInvalidArgument with field() naming the option ("--delay") and a message that
// quotes the value and says what is allowed; the CLI prints them and exits 2 (bad usage).
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.hpp"

namespace spool::cli {

// The job states of API.md, in lifecycle order (also the column order of `spool stats`).
inline constexpr std::string_view kJobStates[] = {"scheduled", "queued", "active",   "retrying",
                                                  "completed", "dead",   "cancelled"};
bool is_job_state(std::string_view state);

// Parses the payload strictly as JSON and returns it unchanged. `source` names where the text came
// from ("the payload argument", "payload.json", "stdin") for the message, which gives the line,
// column and the offending line with a caret under the spot.
StatusOr<boost::json::value> parse_payload(std::string_view text, std::string_view source);

struct EnqueueArgs {
  std::string type;
  std::string queue;
  std::optional<std::int64_t> priority;
  std::string delay;  // "10s"; empty when not given
  std::string at;     // RFC 3339; empty when not given
  std::string dedupe_key;
  std::string dedupe_window;  // "10m"
  std::optional<std::int64_t> max_attempts;
  std::string lease;    // "30s"
  std::string timeout;  // "2m": the longest one attempt may run
  std::vector<std::string> tags;
};

// The body of POST /v1/jobs. Only given options appear, so the queue's config and the server's
// defaults apply to the rest (API.md "Precedence"). Checks locally what a person most often gets
// wrong (names, durations, times); ranges like max_attempts stay the server's to judge so the
// two can never disagree.
StatusOr<boost::json::object> build_enqueue_request(const EnqueueArgs& args,
                                                    boost::json::value payload);

struct JobsFilter {
  std::string state;
  std::string type;
  std::string queue;
  std::vector<std::string> tags;  // all must match
  std::optional<std::int64_t> limit;
  std::string order;  // "asc" | "desc"; empty = the server's default (desc)
  std::string cursor;
};

// "/v1/jobs?state=dead&limit=20": the target of GET /v1/jobs, query values percent-encoded.
StatusOr<std::string> build_jobs_target(const JobsFilter& filter);

// The command that fetches the next page: the same filters plus --cursor, shell-quoted so it can
// be pasted as is.
std::string next_page_command(const JobsFilter& filter, std::string_view next_cursor);

// "/v1/jobs/<id><suffix>", "/v1/queues/<name><suffix>" and "/v1/schedules/<id><suffix>" with the id
// or name percent-encoded as one path segment, so an odd argument cannot reach another route.
std::string job_target(std::string_view id, std::string_view suffix = {});
std::string queue_target(std::string_view name, std::string_view suffix = {});
std::string schedule_target(std::string_view id, std::string_view suffix = {});

// Quotes an argument for a POSIX shell only when it needs it.
std::string shell_quote(std::string_view arg);

}  // namespace spool::cli
