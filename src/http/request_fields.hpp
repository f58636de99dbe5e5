// Field groups shared by several request decoders (backoff appears in jobs and queue configs).
// Internal to src/http; pure functions.
#pragma once

#include <optional>
#include <string>

#include "core/job.hpp"
#include "core/schedule.hpp"
#include "http/json_input.hpp"

namespace spool::http {

// backoff {type: exponential|fixed, base_ms 1..1 day, max_ms base_ms..30 days, jitter}.
// Missing members take the server default; a missing max_ms is at least base_ms.
bool read_backoff(FieldReader& r, std::string_view key, std::optional<Backoff>& out);

// A schedule's `job`: POST /v1/jobs' fields without delay_ms, run_at and dedupe fields. `raw` is
// the object's text in the body (its payload is kept byte for byte), or empty.
StatusOr<JobTemplate> decode_job_template(const boost::json::object& o, const std::string& prefix,
                                          std::string_view raw = {});

}  // namespace spool::http
