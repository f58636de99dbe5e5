#include "core/job.hpp"

namespace spool {

std::string_view to_string(CallbackState state) {
  switch (state) {
    case CallbackState::kPending:
      return "pending";
    case CallbackState::kDelivered:
      return "delivered";
    case CallbackState::kFailed:
      return "failed";
  }
  return "pending";
}

std::string_view to_string(JobState state) {
  switch (state) {
    case JobState::kScheduled:
      return "scheduled";
    case JobState::kQueued:
      return "queued";
    case JobState::kActive:
      return "active";
    case JobState::kRetrying:
      return "retrying";
    case JobState::kCompleted:
      return "completed";
    case JobState::kDead:
      return "dead";
    case JobState::kCancelled:
      return "cancelled";
  }
  return "unknown";
}

std::optional<JobState> parse_job_state(std::string_view text) {
  for (JobState s : kAllJobStates) {
    if (to_string(s) == text) return s;
  }
  return std::nullopt;
}

bool is_finished(JobState state) {
  return state == JobState::kCompleted || state == JobState::kDead || state == JobState::kCancelled;
}

std::string_view to_string(BackoffType type) {
  return type == BackoffType::kFixed ? "fixed" : "exponential";
}

std::optional<BackoffType> parse_backoff_type(std::string_view text) {
  if (text == "exponential") return BackoffType::kExponential;
  if (text == "fixed") return BackoffType::kFixed;
  return std::nullopt;
}

std::string_view to_string(FailKind kind) {
  switch (kind) {
    case FailKind::kRetry:
      return "retry";
    case FailKind::kPermanent:
      return "permanent";
    case FailKind::kSnooze:
      return "snooze";
    case FailKind::kRelease:
      return "release";
    case FailKind::kLeaseExpired:
      return "lease_expired";
    case FailKind::kTimeout:
      return "timeout";
  }
  return "retry";
}

std::optional<FailKind> parse_fail_kind(std::string_view text) {
  if (text == "retry") return FailKind::kRetry;
  if (text == "permanent") return FailKind::kPermanent;
  if (text == "snooze") return FailKind::kSnooze;
  if (text == "release") return FailKind::kRelease;
  return std::nullopt;
}

void QueueConfig::merge(const QueueConfig& patch) {
  if (patch.max_attempts) max_attempts = patch.max_attempts;
  if (patch.backoff) backoff = patch.backoff;
  if (patch.lease_ms) lease_ms = patch.lease_ms;
  if (patch.timeout_ms) timeout_ms = patch.timeout_ms;
  if (patch.concurrency) concurrency = patch.concurrency;
  if (patch.rate_limit) rate_limit = patch.rate_limit;
  if (patch.retain_completed_ms) retain_completed_ms = patch.retain_completed_ms;
  if (patch.retain_dead_ms) retain_dead_ms = patch.retain_dead_ms;
  if (patch.retain_cancelled_ms) retain_cancelled_ms = patch.retain_cancelled_ms;
  // A patch's push_json "null" (PATCH "push": null) removes the push config: the JSON null is
  // "no push", and a stored config never holds it.
  if (patch.push_json) {
    if (*patch.push_json == "null") {
      push_json.reset();
    } else {
      push_json = patch.push_json;
    }
  }
}

std::int64_t QueueConfig::retain_ms_for(JobState finished_state) const {
  switch (finished_state) {
    case JobState::kCompleted:
      return retain_completed_ms.value_or(kDefaultRetainCompletedMs);
    case JobState::kDead:
      return retain_dead_ms.value_or(kDefaultRetainDeadMs);
    case JobState::kCancelled:
      return retain_cancelled_ms.value_or(kDefaultRetainCancelledMs);
    default:
      return 0;
  }
}

}  // namespace spool
