// Field groups shared by several request decoders (backoff appears in jobs and queue configs).
// Internal to src/http; pure functions.
#pragma once

#include <optional>

#include "core/job.hpp"
#include "http/json_input.hpp"

namespace spool::http {

// backoff {type: exponential|fixed, base_ms 1..1 day, max_ms base_ms..30 days, jitter}.
// Missing members take the server default; a missing max_ms is at least base_ms.
bool read_backoff(FieldReader& r, std::string_view key, std::optional<Backoff>& out);

}  // namespace spool::http
