// Request decoding and validation: from a body (JSON text) or a query string to the engine's
// request types, with every limit of API.md checked here, before anything reaches the engine.
// One function per endpoint; the .cpp files split by area (requests_jobs.cpp,
// requests_working.cpp, requests_queues.cpp).
//
// Errors are kInvalidArgument with a message naming the field, the value and what is allowed,
// and Status::field() set ("max_attempts", "jobs[3].type", "fail[0].error.kind").
// Pure functions; thread-safe. Unknown top-level fields are ignored (clients may be newer).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/job.hpp"
#include "core/operations.hpp"
#include "core/status.hpp"
#include "engine/engine.hpp"

namespace spool::http {

// Limits beyond core/job.hpp's, as API.md gives them. Change one => update docs/api.md and
// docs/openapi.yaml.
inline constexpr std::int64_t kDayMs = 86'400'000;
inline constexpr std::int64_t kMaxDelayMs = 3650 * kDayMs;  // ten years
inline constexpr std::int64_t kMaxDedupeWindowMs = 30 * kDayMs;
inline constexpr std::int64_t kMaxBackoffBaseMs = kDayMs;
inline constexpr std::int64_t kMaxBackoffMaxMs = 30 * kDayMs;
inline constexpr std::int64_t kMaxRetainMs = 3650 * kDayMs;
inline constexpr int kMinAttempts = 1;
inline constexpr int kMaxAttempts = 1000;
inline constexpr std::size_t kMaxBatchJobs = 1000;
inline constexpr std::size_t kMaxTags = 32;
inline constexpr std::size_t kMaxReserveQueues = 32;
inline constexpr int kMaxReserve = 100;
inline constexpr std::int64_t kMaxWaitMs = 60'000;
inline constexpr std::size_t kMaxSettleItems = 1000;
inline constexpr int kMaxListLimit = 500;
inline constexpr int kDefaultListLimit = 50;
inline constexpr std::size_t kMaxDedupeKeyBytes = 512;
inline constexpr std::size_t kMaxLeaseTokenBytes = 256;
inline constexpr std::size_t kMaxErrorMessageBytes = 16 * 1024;
inline constexpr std::size_t kMaxIdBytes = 64;

// Decoded query parameters in order of appearance (percent-decoding already done).
using QueryParams = std::vector<std::pair<std::string, std::string>>;

// ---- Producing and inspecting (requests_jobs.cpp) ----
StatusOr<engine::EnqueueRequest> parse_enqueue(std::string_view body);
StatusOr<std::vector<engine::EnqueueRequest>> parse_enqueue_batch(std::string_view body);
StatusOr<ops::JobFilter> parse_list_jobs(const QueryParams& query);
// kInvalidArgument for a parameter not in `known` (suggesting the nearest) or given twice (one
// of `repeatable` may be).
Status check_query(const QueryParams& query, std::span<const std::string_view> known,
                   std::span<const std::string_view> repeatable = {});

// ---- Working (requests_working.cpp) ----
StatusOr<engine::ReserveRequest> parse_reserve(std::string_view body);
StatusOr<engine::AckItem> parse_ack(std::string id, std::string_view body);
StatusOr<engine::FailItem> parse_fail(std::string id, std::string_view body);
StatusOr<engine::ExtendItem> parse_extend(std::string id, std::string_view body);
struct SettleRequest {
  std::vector<engine::AckItem> acks;
  std::vector<engine::FailItem> fails;
  // "reserve": the next jobs for the same worker, asked for in the same request (the settle is
  // applied first, in the same batch when the writer takes both together).
  std::optional<engine::ReserveRequest> reserve;
};
StatusOr<SettleRequest> parse_settle(std::string_view body);

// ---- Queues (requests_queues.cpp) ----
StatusOr<QueueConfig> parse_queue_patch(std::string_view body);
// POST /v1/queues/{name}/retry-dead: optional {"type"}; an empty body is fine.
StatusOr<std::optional<std::string>> parse_retry_dead(std::string_view body);
// DELETE /v1/queues/{name}/jobs?state=completed|dead|cancelled
StatusOr<JobState> parse_purge(const QueryParams& query);
// A queue name from the path.
Status check_queue_name(std::string_view name);

// ---- Schedules (requests_schedules.cpp) ----
inline constexpr std::size_t kMaxCronBytes = 256;
inline constexpr std::size_t kMaxTimeZoneBytes = 64;
inline constexpr std::int64_t kMaxEveryMs = 366 * kDayMs;
StatusOr<engine::ScheduleSpec> parse_schedule_create(std::string_view body);
StatusOr<engine::SchedulePatch> parse_schedule_patch(std::string_view body);

}  // namespace spool::http
