// Engine::Impl's long polls: parked waiters served oldest first inside the batch's
// transaction, and answered empty when their wait runs out (waiters.hpp).
#include <set>

#include "engine/engine_impl.hpp"

namespace spool::engine {

bool Engine::Impl::rate_timer_due() const {
  for (const auto& [queue, at] : rate_timers_) {
    if (at <= now_) return true;
  }
  return false;
}

void Engine::Impl::serve_waiters(Served& served) {
  if (waiters_.empty()) {
    dirty_.clear();
    all_queues_dirty_ = false;
    return;
  }
  for (const auto& [queue, at] : rate_timers_) {
    if (at <= now_) dirty_.insert(queue);
  }
  std::erase_if(rate_timers_, [&](const auto& kv) { return kv.second <= now_; });
  // Queues that came up empty (or held back) in this pass: not asked again until the next.
  std::set<std::string> exhausted;
  auto is_exhausted = [&](const std::string& q) { return exhausted.contains(q); };
  waiters_.visit(dirty_, all_queues_dirty_, is_exhausted, [&](Waiter& w) {
    ++waiter_visits_;
    std::vector<std::string> candidates;
    for (const auto& q : w.request.queues) {
      bool maybe = w.fresh || all_queues_dirty_ || dirty_.contains(q);
      if (maybe && !exhausted.contains(q)) candidates.push_back(q);
    }
    if (candidates.empty()) return true;
    store::ReserveRequest req;
    req.queues = candidates;
    req.max = w.request.max;
    req.lease_ms = w.request.lease_ms;
    req.worker = w.request.worker;
    req.now = now_;
    req.lease_tokens.reserve(req.max);
    for (int i = 0; i < req.max; ++i) req.lease_tokens.push_back(ids_.next_token());
    auto reserved = store_->reserve(req);
    note_batch_failure(reserved);
    if (!reserved) return !batch_failure_;
    if (reserved->retry_at) {
      for (const auto& q : candidates) {
        auto& at = rate_timers_[q];
        if (at == 0 || *reserved->retry_at < at) at = *reserved->retry_at;
      }
    }
    // Fewer jobs than asked: every candidate queue is drained (or held back) for this pass.
    if (static_cast<int>(reserved->jobs.size()) < req.max) {
      for (const auto& q : candidates) exhausted.insert(q);
    }
    if (reserved->jobs.empty()) return true;
    emit_started(reserved->jobs);
    served.emplace_back(std::move(*waiters_.remove(w.id)), std::move(reserved->jobs));
    return true;
  });
  // A pass cut short by a batch failure leaves the dirty set: the batch rolls back, and the
  // next one looks again.
  if (batch_failure_) return;
  dirty_.clear();
  all_queues_dirty_ = false;
}

}  // namespace spool::engine
