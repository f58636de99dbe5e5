// Engine::Impl::observe: what /metrics, /readyz and the metrics summary read in one visit, on a
// reader thread: the store's reads and the view the writer published after its last batch.
#include "engine/engine_impl.hpp"

namespace spool::engine {

Observation Engine::Impl::observe(store::StoreReader& reader, const ObservationRequest& req) {
  Observation out;
  // The clock, not the last batch's time: an idle writer may not have run a batch for a while.
  out.now = clock_.now_ms();
  WriterView view = writer_view();
  if (auto pinged = reader.ping(); !pinged) {
    out.store_error = pinged.error();
  } else if (view.last_write_failure &&
             out.now - view.last_write_failure_at < kWriteFailureMemoryMs) {
    // The probe reads; a full disk fails only writes. A failed transaction counts until one
    // commits, or for a while after the failures stop (no writes may come while unready).
    out.store_error = *view.last_write_failure;
  }
  if (auto stats = reader.stats()) out.stats = std::move(*stats);
  out.waiters = std::move(view.waiters);
  if (req.backlog) {
    if (auto b = reader.backlog(out.now - req.overdue_after_ms)) out.backlog = std::move(*b);
  }
  if (req.minutes_back_ms) {
    if (auto m = reader.minute_stats(out.now - *req.minutes_back_ms, req.queue)) {
      out.minutes = std::move(*m);
    }
  }
  return out;
}

}  // namespace spool::engine
