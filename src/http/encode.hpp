// Response encoding: jobs, reserved jobs, queues, stats and the small acknowledgements, written
// by hand with JsonWriter so stored JSON text (payload, result, progress) is spliced as-is.
// Pure functions; thread-safe. A new field => add it to docs/openapi.yaml in the same commit.
#pragma once

#include <string>
#include <vector>

#include "core/job.hpp"
#include "core/json_writer.hpp"
#include "core/operations.hpp"
#include "core/schedule.hpp"
#include "core/status.hpp"

namespace spool::http {

// GET /v1/jobs/{id} and list entries. Never includes the lease token.
void write_job(JsonWriter& w, const Job& job);
std::string encode_job(const Job& job);
std::string encode_job_page(const ops::JobPage& page);

// A job as POST /v1/reserve hands it to a worker, with its lease token.
void write_reserved_job(JsonWriter& w, const Job& job);
std::string encode_reserved(const std::vector<Job>& jobs);

std::string encode_enqueue_result(const ops::EnqueueResult& r);
std::string encode_enqueue_batch(const std::vector<ops::EnqueueResult>& results);
// {id, state} plus next_run_at when `with_next_run_at` (fail answers it, even when null).
std::string encode_settle_result(const ops::SettleResult& r, bool with_next_run_at = false);
// `ids` in request order (acks first), naming the items whose result is an error.
std::string encode_settle_batch(const std::vector<std::string>& ids,
                                const std::vector<StatusOr<ops::SettleResult>>& results);
// POST /v1/settle with "reserve": the results as above, then the next jobs as POST /v1/reserve
// answers them, and "reserve_error" when the reserve was refused (then `jobs` is empty).
std::string encode_settle_then_reserve(const std::vector<std::string>& ids,
                                       const std::vector<StatusOr<ops::SettleResult>>& results,
                                       const std::vector<Job>& jobs, const Status* reserve_error);
std::string encode_extend(const std::string& id, TimeMs lease_expires_at);

void write_backoff(JsonWriter& w, const Backoff& backoff);
void write_counts(JsonWriter& w, const Counts& counts);
void write_queue_config(JsonWriter& w, const QueueConfig& config);
std::string encode_queue(const QueueInfo& q);
std::string encode_queues(const std::vector<QueueInfo>& queues);
std::string encode_stats(const ops::Stats& stats);
// {"<key>": n}: retry-dead, purge.
std::string encode_count(std::string_view key, std::int64_t n);

// Schedules (encode_schedules.cpp). `next_runs`, when given, is the single GET's list of the
// next fire times.
void write_schedule(JsonWriter& w, const Schedule& s, const std::vector<TimeMs>* next_runs);
std::string encode_schedule(const Schedule& s, const std::vector<TimeMs>* next_runs = nullptr);
std::string encode_schedules(const std::vector<Schedule>& schedules);

}  // namespace spool::http
