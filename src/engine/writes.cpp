// Engine::Impl's writes of jobs, queues and completion callbacks. Each apply_* runs on the
// writer inside the batch's transaction (engine_impl.hpp, "Adding a write").
#include "engine/engine_impl.hpp"

namespace spool::engine {

StatusOr<std::vector<ops::EnqueueResult>> Engine::Impl::apply_enqueue(
    std::vector<EnqueueRequest>& requests) {
  std::vector<ops::EnqueueResult> results;
  results.reserve(requests.size());
  for (EnqueueRequest& r : requests) {
    store::NewJob nj = resolve(r);
    auto result = store_->enqueue(nj);
    note_batch_failure(result);
    if (!result) return tl::unexpected(result.error());
    note_enqueued(*result, nj.job);
    results.push_back(std::move(*result));
  }
  return results;
}

void Engine::Impl::note_enqueued(const ops::EnqueueResult& r, const Job& job) {
  if (!r.deduplicated && r.state == JobState::kQueued) mark_dirty(job.queue);
  emit_enqueued(r, job);
}

store::NewJob Engine::Impl::resolve(EnqueueRequest& r) {
  store::NewJob nj;
  Job& job = nj.job;
  job.queue = r.queue ? std::move(*r.queue) : r.type;
  QueueConfig config = store_->queue_config(job.queue);
  job.id = ids_.next_ulid(now_);
  job.type = std::move(r.type);
  job.payload_json = std::move(r.payload_json);
  job.priority = r.priority;
  job.created_at = now_;
  // A delay counts from the enqueue's instant rounded up, and due checks compare with now_
  // (rounded down): a delayed job is never handed out before its delay has fully passed.
  std::int64_t delay = r.delay_ms.value_or(0);
  job.run_at = r.run_at ? *r.run_at : delay > 0 ? delay_base_ + delay : now_;
  job.state = job.run_at > now_ ? JobState::kScheduled : JobState::kQueued;
  job.max_attempts = r.max_attempts.value_or(config.max_attempts.value_or(kDefaultMaxAttempts));
  job.backoff = r.backoff.value_or(config.backoff.value_or(Backoff{}));
  job.lease_ms = r.lease_ms.value_or(config.lease_ms.value_or(kDefaultLeaseMs));
  job.timeout_ms = r.timeout_ms        ? r.timeout_ms
                   : config.timeout_ms ? config.timeout_ms
                                       : options_.default_timeout_ms;
  job.dedupe_key = std::move(r.dedupe_key);
  job.tags = std::move(r.tags);
  job.callback_url = std::move(r.callback_url);
  nj.dedupe_window_ms = r.dedupe_window_ms.value_or(kDefaultDedupeWindowMs);
  return nj;
}

StatusOr<ops::SettleResult> Engine::Impl::apply_ack(AckItem& item) {
  store::AckRequest req{item.id, item.lease_token, std::move(item.result_json), now_};
  auto result = store_->ack(req);
  note_batch_failure(result);
  if (result) {
    mark_dirty(result->queue);
    emit_settle(JobEventKind::kCompleted, *result, std::nullopt);
  }
  return result;
}

StatusOr<ops::SettleResult> Engine::Impl::apply_fail(FailItem& item) {
  store::FailRequest req{item.id,         item.lease_token,    std::move(item.message),
                         item.kind,       item.retry_after_ms, now_,
                         ids_.next_unit()};
  auto result = store_->fail(req);
  note_batch_failure(result);
  if (result) {
    mark_dirty(result->queue);
    emit_failure(*result, req.kind);
  }
  return result;
}

StatusOr<Engine::Impl::SettleResults> Engine::Impl::apply_settle(std::vector<AckItem>& acks,
                                                                 std::vector<FailItem>& fails) {
  SettleResults results;
  results.reserve(acks.size() + fails.size());
  for (AckItem& a : acks) results.push_back(apply_ack(a));
  for (FailItem& f : fails) results.push_back(apply_fail(f));
  return results;
}

StatusOr<TimeMs> Engine::Impl::apply_extend(ExtendItem& item) {
  store::ExtendRequest req{item.id, item.lease_token, item.lease_ms, std::move(item.progress_json),
                           now_};
  auto result = store_->extend(req);
  note_batch_failure(result);
  if (!result) return tl::unexpected(result.error());
  if (req.progress_json) emit_progress(std::move(req.id), *result, std::move(*req.progress_json));
  return result->lease_expires_at;
}

StatusOr<ops::SettleResult> Engine::Impl::apply_cancel(const std::string& id) {
  auto result = store_->cancel(id, now_);
  note_batch_failure(result);
  if (result) emit_settle(JobEventKind::kCancelled, *result, std::nullopt);
  return result;
}

StatusOr<ops::SettleResult> Engine::Impl::apply_retry(const std::string& id) {
  auto result = store_->retry(id, now_);
  note_batch_failure(result);
  if (result) {
    mark_dirty(result->queue);
    emit_settle(JobEventKind::kRetried, *result, std::nullopt);
  }
  return result;
}

StatusOr<QueueInfo> Engine::Impl::apply_set_paused(const std::string& queue, bool paused) {
  auto result = store_->set_paused(queue, paused);
  note_batch_failure(result);
  if (result) mark_dirty(queue);
  return result;
}

StatusOr<QueueInfo> Engine::Impl::apply_patch_queue(const std::string& queue,
                                                    const QueueConfig& patch) {
  auto result = store_->patch_queue(queue, patch);
  note_batch_failure(result);
  if (result) mark_dirty(queue);
  return result;
}

StatusOr<std::vector<Job>> Engine::Impl::apply_take_callbacks(int limit, std::int64_t hold_ms) {
  auto result = store_->take_callbacks(now_, limit, hold_ms);
  note_batch_failure(result);
  return result;
}

StatusOr<bool> Engine::Impl::apply_settle_callback(const CallbackOutcome& outcome) {
  store::CallbackSettle s;
  s.id = outcome.id;
  s.attempt = outcome.attempt;
  s.state = outcome.state;
  s.at = now_ + (outcome.state == CallbackState::kPending ? outcome.retry_in_ms : 0);
  s.error = outcome.error;
  auto result = store_->settle_callback(s);
  note_batch_failure(result);
  return result;
}

}  // namespace spool::engine
