// How `spool jobs watch` and `spool job ID --follow` show one live event (GET /v1/events) to a
// person: one calm line, time first, so a scrolling terminal reads like a log. --json prints the
// event's data object as-is instead. Pure functions; safe from any thread.
#pragma once

#include <boost/json/value.hpp>
#include <string>
#include <string_view>

#include "cli/output.hpp"

namespace spool::cli {

// "09:14:03.123  retrying   01JD5Z8Q3N4M6P7R8S9T0V1W2X  send_email  attempt 1/3  smtp timeout;
// next 09:14:05" for an event's data object; `kind` is the SSE event name. The queue is named only
// when it differs from the type (by default it does not). Without a newline.
std::string render_event_line(std::string_view kind, const boost::json::value& data,
                              const Style& style);

// The line for an `event: gap` notice.
std::string render_gap_line(const boost::json::value& data, const Style& style);

// True for the events after which a job changes no more unless someone retries it.
bool is_final_event(std::string_view kind);

}  // namespace spool::cli
