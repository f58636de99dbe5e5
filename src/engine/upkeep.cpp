// Engine::Impl's due work (promotion, lease expiry, retention) and the wake-up hints that tell
// the writer when it next has something to do without a command.
#include <algorithm>
#include <limits>

#include "engine/engine_impl.hpp"

namespace spool::engine {

bool Engine::Impl::tick_due() const { return next_due_ && *next_due_ <= now_; }

bool Engine::Impl::sweep_due() const {
  return next_expiry_ && *next_expiry_ <= now_ && now_ >= next_sweep_at_;
}

bool Engine::Impl::schedules_due() const {
  return next_schedule_due_ && *next_schedule_due_ <= now_;
}

void Engine::Impl::run_tick() {
  if (!tick_due()) return;
  auto ticked = store_->tick(now_, options_.tick_limit, ids_.next_unit());
  note_batch_failure(ticked);
  if (!ticked) return;
  for (auto& q : ticked->queues_with_new_work) dirty_.insert(q);
  if (ticked->expired > 0) all_queues_dirty_ = true;  // expiries free concurrency slots
  for (const ops::SettleResult& r : ticked->expired_jobs) {
    emit_failure(r, r.failed_kind.value_or(FailKind::kLeaseExpired));
  }
}

void Engine::Impl::run_sweep() {
  if (!sweep_due()) return;
  auto swept = store_->sweep_retention(now_, options_.sweep_limit);
  note_batch_failure(swept);
  if (!swept) return;
  // A full chunk means more is due: come back on the next pass, not in this transaction,
  // so one long delete never holds the writer.
  next_sweep_at_ = *swept >= options_.sweep_limit ? now_ : now_ + options_.sweep_interval_ms;
}

void Engine::Impl::refresh_hints() {
  // A failed read is not "nothing due": that would let the writer sleep past delayed jobs and
  // expired leases until some command arrived (D9). Wake again shortly and read again instead.
  auto hint = [this](StatusOr<std::optional<TimeMs>> read) {
    return read ? *read : std::optional<TimeMs>(now_ + kHintRetryMs);
  };
  next_due_ = hint(store_->next_due());
  next_expiry_ = hint(store_->next_expiry());
  // Only schedule writes move the next tick here; the timed re-read picks up schedules another
  // server wrote to a shared store.
  if (schedules_touched_ || now_ - schedule_hint_at_ >= kScheduleHintMaxAgeMs) {
    auto schedule_due = store_->next_schedule_due();
    next_schedule_due_ = hint(schedule_due);
    schedules_touched_ = !schedule_due;
    schedule_hint_at_ = now_;
  }
}

TimeMs Engine::Impl::next_wake() const {
  TimeMs wake = std::numeric_limits<TimeMs>::max();
  // A purge or retry-dead has its next chunk to run, once the writer has rested from the last.
  if (!bulk_.empty()) wake = bulk_rested() ? now_ : bulk_ready_at_;
  if (next_due_) wake = std::min(wake, *next_due_);
  if (next_schedule_due_) wake = std::min(wake, *next_schedule_due_);
  if (next_expiry_) wake = std::min(wake, std::max(*next_expiry_, next_sweep_at_));
  if (auto d = waiters_.earliest_deadline()) wake = std::min(wake, *d);
  // A rate timer only wakes parked long polls; with none parked it is dropped (run_once), and
  // must not wake the writer meanwhile.
  if (!waiters_.empty()) {
    for (const auto& [queue, at] : rate_timers_) wake = std::min(wake, at);
  }
  return wake;
}

}  // namespace spool::engine
