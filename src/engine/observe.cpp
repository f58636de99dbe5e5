// Engine::Impl::observe: what /metrics, /readyz and the metrics summary read in one visit to
// the writer, after the batch's commit.
#include "engine/engine_impl.hpp"

namespace spool::engine {

Observation Engine::Impl::observe(const ObservationRequest& req) {
  Observation out;
  out.now = now_;
  if (auto pinged = store_->ping(); !pinged) {
    out.store_error = pinged.error();
  } else if (last_write_failure_ && now_ - last_write_failure_at_ < kWriteFailureMemoryMs) {
    // The probe reads; a full disk fails only writes. A failed transaction counts until one
    // commits, or for a while after the failures stop (no writes may come while unready).
    out.store_error = *last_write_failure_;
  }
  if (auto stats = store_->stats()) out.stats = std::move(*stats);
  out.waiters = waiters_.count_by_queue();
  if (req.backlog) {
    if (auto b = store_->backlog(now_ - req.overdue_after_ms)) out.backlog = std::move(*b);
  }
  if (req.minutes_back_ms) {
    if (auto m = store_->minute_stats(now_ - *req.minutes_back_ms, req.queue)) {
      out.minutes = std::move(*m);
    }
  }
  return out;
}

}  // namespace spool::engine
