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
  std::set<std::string> exhausted;
  auto& list = waiters_.list();
  for (auto it = list.begin(); it != list.end();) {
    Waiter& w = *it;
    std::vector<std::string> candidates;
    for (const auto& q : w.request.queues) {
      bool maybe = w.fresh || all_queues_dirty_ || dirty_.contains(q);
      if (maybe && !exhausted.contains(q)) candidates.push_back(q);
    }
    w.fresh = false;
    if (candidates.empty()) {
      ++it;
      continue;
    }
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
    if (!reserved) {
      if (batch_failure_) return;
      ++it;
      continue;
    }
    if (reserved->retry_at) {
      for (const auto& q : candidates) {
        auto& at = rate_timers_[q];
        if (at == 0 || *reserved->retry_at < at) at = *reserved->retry_at;
      }
    }
    if (reserved->jobs.empty()) {
      for (const auto& q : candidates) exhausted.insert(q);
      ++it;
      continue;
    }
    // Fewer jobs than asked: every candidate queue is drained (or held back) for this pass.
    if (static_cast<int>(reserved->jobs.size()) < req.max) {
      for (const auto& q : candidates) exhausted.insert(q);
    }
    emit_started(reserved->jobs);
    Waiter taken = std::move(*it);
    it = waiters_.erase(it);
    served.emplace_back(std::move(taken), std::move(reserved->jobs));
  }
  dirty_.clear();
  all_queues_dirty_ = false;
}

void Engine::Impl::answer_expired_waiters() {
  auto& list = waiters_.list();
  for (auto it = list.begin(); it != list.end();) {
    if (it->deadline <= now_) {
      auto done = std::move(it->done);
      it = waiters_.erase(it);
      done(std::vector<Job>{});
    } else {
      ++it;
    }
  }
}

}  // namespace spool::engine
