// Engine::Impl's builders of the batch's JobEvents; job_events.hpp says what each kind carries.
// Writer thread only.
#include <algorithm>

#include "engine/engine_impl.hpp"

namespace spool::engine {

JobEvent& Engine::Impl::emit(JobEventKind kind, JobState state) {
  JobEvent& ev = events_.emplace_back();
  ev.kind = kind;
  ev.state = state;
  ev.at = now_;
  return ev;
}

void Engine::Impl::emit_enqueued(const ops::EnqueueResult& r, const Job& job) {
  if (!observing() || r.deduplicated) return;
  JobEvent& ev = emit(JobEventKind::kEnqueued, r.state);
  ev.id = r.id;
  ev.type = job.type;
  ev.queue = job.queue;
  ev.max_attempts = job.max_attempts;
}

void Engine::Impl::emit_settle(JobEventKind kind, const ops::SettleResult& r,
                               std::optional<FailKind> fail_kind) {
  if (!observing()) return;
  JobEvent& ev = emit(kind, r.state);
  ev.id = r.id;
  ev.type = r.type;
  ev.queue = r.queue;
  ev.attempt = r.attempts;
  ev.max_attempts = r.max_attempts;
  ev.next_run_at = r.next_run_at;
  ev.fail_kind = fail_kind;
  ev.error = r.error;
  ev.callback_armed = r.callback_armed;
  bool ends_attempt = kind != JobEventKind::kCancelled && kind != JobEventKind::kRetried;
  if (ends_attempt && r.started_at) ev.run_ms = std::max<std::int64_t>(0, now_ - *r.started_at);
}

void Engine::Impl::emit_failure(const ops::SettleResult& r, FailKind kind) {
  JobEventKind event = JobEventKind::kRetrying;
  if (r.state == JobState::kDead) {
    event = JobEventKind::kDead;
  } else if (kind == FailKind::kSnooze) {
    event = JobEventKind::kSnoozed;
  } else if (kind == FailKind::kRelease) {
    event = JobEventKind::kReleased;
  }
  emit_settle(event, r, kind);
}

void Engine::Impl::emit_started(const std::vector<Job>& jobs) {
  if (!observing()) return;
  for (const Job& job : jobs) {
    JobEvent& ev = emit(JobEventKind::kStarted, JobState::kActive);
    ev.id = job.id;
    ev.type = job.type;
    ev.queue = job.queue;
    ev.attempt = job.attempts;
    ev.max_attempts = job.max_attempts;
    ev.wait_ms = std::max<std::int64_t>(0, job.started_at.value_or(now_) - job.run_at);
  }
}

void Engine::Impl::emit_progress(std::string id, const store::ExtendResult& r,
                                 std::string progress_json) {
  if (!observing()) return;
  JobEvent& ev = emit(JobEventKind::kProgress, JobState::kActive);
  ev.id = std::move(id);
  ev.type = r.type;
  ev.queue = r.queue;
  ev.attempt = r.attempts;
  ev.max_attempts = r.max_attempts;
  ev.progress_json = std::move(progress_json);
}

}  // namespace spool::engine
