// Engine::Impl's schedule writes, the firing of due ticks inside the batch's transaction, and
// the schedule read. When ticks fall and what a misfire does is schedule_plan.hpp's business.
#include "engine/engine_impl.hpp"
#include "engine/schedule_plan.hpp"

namespace spool::engine {

StatusOr<Schedule> Engine::Impl::apply_create_schedule(ScheduleSpec& spec) {
  Schedule s;
  s.id = ids_.next_ulid(now_);
  s.created_at = now_;
  set_spec(s, spec);
  if (Status ok = check_timing(s); !ok.ok()) return tl::unexpected(ok);
  schedules_touched_ = true;
  auto put = store_->put_schedule(s);
  note_batch_failure(put);
  return put;
}

StatusOr<Schedule> Engine::Impl::apply_upsert_schedule(ScheduleSpec& spec) {
  auto existing = store_->schedule_by_name(spec.name);
  if (!existing) {
    note_batch_failure(existing);
    if (existing.error().code() != StatusCode::kNotFound) return existing;
    return apply_create_schedule(spec);
  }
  Schedule s = std::move(*existing);
  bool same_timing = s.cron == spec.cron && s.every_ms == spec.every_ms &&
                     s.timezone == spec.timezone && s.paused == spec.paused;
  if (same_timing && s.job == spec.job && s.misfire == spec.misfire && s.overlap == spec.overlap) {
    return s;  // unchanged: its next tick stays where it was
  }
  std::optional<TimeMs> kept_next = s.next_run_at;
  TimeMs kept_anchor = s.anchor_at;
  set_spec(s, spec);
  if (Status ok = check_timing(s); !ok.ok()) return tl::unexpected(ok);
  if (same_timing) {
    s.next_run_at = kept_next;
    s.anchor_at = kept_anchor;
  }
  schedules_touched_ = true;
  auto put = store_->put_schedule(s);
  note_batch_failure(put);
  return put;
}

StatusOr<Schedule> Engine::Impl::apply_patch_schedule(const std::string& id, SchedulePatch& patch) {
  auto found = store_->get_schedule(id);
  note_batch_failure(found);
  if (!found) return found;
  Schedule s = std::move(*found);
  bool retime = false;
  if (patch.name) s.name = std::move(*patch.name);
  if (patch.cron) {
    s.cron = std::move(patch.cron);
    s.every_ms.reset();
    retime = true;
  }
  if (patch.every_ms) {
    s.every_ms = patch.every_ms;
    s.cron.reset();
    retime = true;
  }
  if (patch.timezone) {
    s.timezone = std::move(*patch.timezone);
    retime = true;
  }
  if (patch.job) s.job = std::move(*patch.job);
  if (patch.misfire) s.misfire = *patch.misfire;
  if (patch.overlap) s.overlap = *patch.overlap;
  if (patch.paused && *patch.paused != s.paused) {
    s.paused = *patch.paused;
    // A resumed schedule goes on from now: the ticks it slept through are not misfires.
    if (!s.paused) retime = true;
  }
  if (Status ok = check_timing(s); !ok.ok()) return tl::unexpected(ok);
  s.updated_at = now_;
  if (retime) {
    // A new interval starts counting now; a new zone or a resume keeps the interval's grid.
    if (patch.every_ms) s.anchor_at = now_;
    s.next_run_at = first_tick(s);
  }
  schedules_touched_ = true;
  auto put = store_->put_schedule(s);
  note_batch_failure(put);
  return put;
}

StatusOr<void> Engine::Impl::apply_delete_schedule(const std::string& id) {
  schedules_touched_ = true;
  auto deleted = store_->delete_schedule(id);
  note_batch_failure(deleted);
  return deleted;
}

StatusOr<ops::EnqueueResult> Engine::Impl::apply_trigger_schedule(const std::string& id) {
  auto found = store_->get_schedule(id);
  note_batch_failure(found);
  if (!found) return tl::unexpected(found.error());
  store::ScheduleFire fire;
  fire.schedule_id = found->id;
  fire.fire_at = now_;
  fire.job = job_of(*found, std::nullopt);
  return apply_fire(fire);
}

StatusOr<ops::EnqueueResult> Engine::Impl::apply_fire(const store::ScheduleFire& fire) {
  schedules_touched_ = true;
  auto fired = store_->fire_schedule(fire);
  note_batch_failure(fired);
  if (!fired) return tl::unexpected(fired.error());
  if (fired->outcome != store::FireOutcome::kEnqueued || !fired->job) {
    return error(StatusCode::kConflict, "the schedule's tick was not fired");
  }
  note_enqueued(*fired->job, fire.job->job);
  return *fired->job;
}

void Engine::Impl::run_schedules() {
  if (!schedules_due()) return;
  auto due = store_->due_schedules(now_, options_.schedule_limit);
  note_batch_failure(due);
  if (!due) return;
  for (const Schedule& s : *due) {
    FirePlan plan = plan_fire(s, now_);
    store::ScheduleFire fire;
    fire.schedule_id = s.id;
    fire.expected_next_run_at = s.next_run_at;
    fire.next_run_at = plan.next_run_at;
    fire.skip_while_unfinished = s.overlap == OverlapPolicy::kSkip;
    if (plan.fire_at) {
      fire.fire_at = *plan.fire_at;
      fire.job = job_of(s, fire_dedupe_key(s.id, *plan.fire_at));
    }
    if (!apply_fire(fire) && batch_failure_) return;
  }
}

void Engine::Impl::set_spec(Schedule& s, ScheduleSpec& spec) {
  s.name = std::move(spec.name);
  s.cron = std::move(spec.cron);
  s.every_ms = spec.every_ms;
  s.timezone = std::move(spec.timezone);
  s.job = std::move(spec.job);
  s.misfire = spec.misfire;
  s.overlap = spec.overlap;
  s.paused = spec.paused;
  s.updated_at = now_;
  s.anchor_at = now_;
  s.next_run_at = first_tick(s);
}

std::optional<TimeMs> Engine::Impl::first_tick(const Schedule& s) const {
  return next_tick(s, now_);
}

store::NewJob Engine::Impl::job_of(const Schedule& s, std::optional<std::string> dedupe_key) {
  EnqueueRequest r;
  r.type = s.job.type;
  r.queue = s.job.queue;
  r.payload_json = s.job.payload_json;
  r.priority = s.job.priority;
  r.max_attempts = s.job.max_attempts;
  r.backoff = s.job.backoff;
  r.lease_ms = s.job.lease_ms;
  r.tags = s.job.tags;
  if (dedupe_key) {
    r.dedupe_key = std::move(dedupe_key);
    r.dedupe_window_ms = kFireDedupeWindowMs;
  }
  return resolve(r);
}

StatusOr<ScheduleView> Engine::Impl::read_schedule(store::StoreReader& reader,
                                                   const std::string& id) {
  auto found = reader.get_schedule(id);
  if (!found) return tl::unexpected(found.error());
  ScheduleView view;
  view.schedule = std::move(*found);
  const Schedule& s = view.schedule;
  if (!s.paused && s.next_run_at) {
    view.next_runs.push_back(*s.next_run_at);
    auto more = upcoming_ticks(s, *s.next_run_at, kNextRunsShown - 1);
    view.next_runs.insert(view.next_runs.end(), more.begin(), more.end());
  } else if (s.paused) {
    view.next_runs = upcoming_ticks(s, clock_.now_ms(), kNextRunsShown);
  }
  return view;
}

}  // namespace spool::engine
