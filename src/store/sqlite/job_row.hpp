// How a Job maps onto a row of the `jobs` table: the column list every job-reading query
// selects, and the codecs for the columns stored as JSON text (tags, errors). Pure functions;
// no threading concerns.
//
// Change the column list => keep JobColumn in the same order.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/job.hpp"
#include "store/sqlite/statement.hpp"

namespace spool::store::sqlite {

// Select this list (in this order) to read a job with read_job_row().
#define SPOOL_JOB_COLUMNS                                                                     \
  "id, type, queue, state, priority, attempts, max_attempts, backoff_type, backoff_base_ms, " \
  "backoff_max_ms, backoff_jitter, lease_ms, created_at, run_at, started_at, finished_at, "   \
  "lease_expires_at, expires_at, lease_token, worker, dedupe_key, tags, errors, result, "     \
  "progress, payload, callback, timeout_ms"
inline constexpr int kJobColumnCount = 28;

// A job row's type and queue are name ids (the `names` table); the caller resolves them.
struct JobRowNames {
  std::int64_t type = 0;
  std::int64_t queue = 0;
};

// Fills everything but job.type and job.queue from columns [first, first + kJobColumnCount).
JobRowNames read_job_row(const Use& row, int first, Job& job);

// Tags as a JSON array of strings; empty tags are stored as NULL (so: nullopt).
std::optional<std::string> encode_tags(const std::vector<std::string>& tags);
std::vector<std::string> decode_tags(std::string_view json);

// The `callback` column: {"url"} at enqueue (nullopt without a callback_url).
std::optional<std::string> encode_callback_url(const std::optional<std::string>& url);

// Errors as a JSON array of {"message","kind","at","attempt"}, oldest first.
std::vector<ErrorRecord> decode_errors(std::string_view json);
// `json` (may be empty: no errors yet) with `record` appended, keeping the last kMaxErrorsKept.
std::string append_error(std::string_view json, const ErrorRecord& record);

}  // namespace spool::store::sqlite
