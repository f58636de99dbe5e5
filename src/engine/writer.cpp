// Engine::Impl's writer: submission from any thread, the writer loop, and run_once(), which
// applies one batch in one transaction and then answers its callers (engine_impl.hpp).
#include <algorithm>
#include <chrono>
#include <string>

#include "core/thread_name.hpp"
#include "engine/engine_impl.hpp"

namespace spool::engine {
namespace {

Status overloaded(std::size_t waiting) {
  return Status(StatusCode::kUnavailable, "the server is overloaded: " + std::to_string(waiting) +
                                              " commands are waiting to be applied; nothing was "
                                              "accepted, retry shortly");
}

}  // namespace

Status Engine::Impl::shutting_down() {
  return Status(StatusCode::kUnavailable, "the server is shutting down; nothing was accepted");
}

Engine::Impl::Impl(std::unique_ptr<store::Store> store, const Clock& clock, EngineOptions options)
    : store_(std::move(store)),
      clock_(clock),
      options_(options),
      ids_(options.seed ? options.seed : random_seed()) {
  refresh_hints();  // due jobs and expiries left from the last run wake the writer
}

bool Engine::Impl::breaks_batch(const Status& status) {
  return status.code() == StatusCode::kUnavailable || status.code() == StatusCode::kInternal;
}

void Engine::Impl::submit_write(WriteOp op) {
  std::optional<Status> refused;
  {
    std::lock_guard lock(mu_);
    refused = refusal_locked();
    if (!refused) {
      pending_writes_.push_back(std::move(op));
      cv_.notify_one();
      return;
    }
  }
  // Never queued, so never applied: the caller may retry without a duplicate.
  op.refuse(*refused);
}

void Engine::Impl::submit_read(ReadOp op) {
  std::optional<Status> refused;
  {
    std::lock_guard lock(mu_);
    refused = refusal_locked();
    if (!refused) {
      pending_reads_.push_back(std::move(op));
      // A reader thread takes it at once; without them, the writer's next batch does.
      if (reads_on_threads_) {
        read_cv_.notify_one();
      } else {
        cv_.notify_one();
      }
      return;
    }
  }
  op.refuse(*refused);
}

void Engine::Impl::submit_bulk(BulkOp op) {
  std::optional<Status> refused;
  {
    std::lock_guard lock(mu_);
    refused = refusal_locked();
    if (!refused) {
      pending_bulk_.push_back(std::move(op));
      cv_.notify_one();
      return;
    }
  }
  op.done(tl::unexpected<Status>(*refused));
}

WaiterId Engine::Impl::submit_reserve(ReserveRequest request, Callback<std::vector<Job>> done) {
  WaiterId id;
  std::optional<Status> refused;
  {
    std::lock_guard lock(mu_);
    id = ++last_waiter_id_;
    refused = refusal_locked();
    if (!refused) {
      pending_reserves_.push_back(Waiter{id, std::move(request), 0, true, std::move(done)});
      cv_.notify_one();
      return id;
    }
  }
  // Outside the lock: a callback that calls the engine must not deadlock (D11).
  done(tl::unexpected<Status>(*refused));
  return id;
}

void Engine::Impl::submit_cancel_waiter(WaiterId id) {
  std::lock_guard lock(mu_);
  if (stopped_) return;
  pending_cancels_.push_back(id);
  cv_.notify_one();
}

bool Engine::Impl::accepting_locked() const {
  // Refused from the moment stop() is asked, not only once the writer is gone: busy keep-alive
  // producers would otherwise keep the writer's queue from ever emptying, and stop() from
  // returning (D5). What was accepted before is still applied and answered.
  return !stopped_ && !stop_requested_;
}

std::optional<Status> Engine::Impl::refusal_locked() const {
  if (!accepting_locked()) return shutting_down();
  // Admission control (D7): while the writer is behind (a slow disk, a long batch), commands
  // would otherwise pile up here without bound, each holding its request's memory. Cancels are
  // never refused: they only free what a waiter holds.
  std::size_t waiting = pending_writes_.size() + pending_reads_.size() + pending_reserves_.size() +
                        pending_bulk_.size();
  if (waiting >= options_.max_pending_commands) return overloaded(waiting);
  return std::nullopt;
}

bool Engine::Impl::has_pending_locked() const {
  // Reads wake the writer only when it answers them itself (no reader threads).
  bool reads_for_writer = !reads_on_threads_ && !pending_reads_.empty();
  return !pending_writes_.empty() || reads_for_writer || !pending_reserves_.empty() ||
         !pending_cancels_.empty() || !pending_bulk_.empty();
}

void Engine::Impl::start() {
  start_readers();
  writer_ = std::thread([this] {
    name_this_thread("spool-writer");
    run();
  });
}

void Engine::Impl::stop() {
  {
    std::lock_guard lock(mu_);
    if (stop_requested_) return;
    stop_requested_ = true;
    cv_.notify_one();
  }
  if (writer_.joinable()) {
    writer_.join();
  } else {
    run_once();
    finish();
  }
  join_readers();
}

void Engine::Impl::run() {
  for (;;) {
    {
      std::unique_lock lock(mu_);
      for (;;) {
        if (has_pending_locked() || stop_requested_) break;
        TimeMs wake = next_wake();
        TimeMs now = clock_.now_ms();
        if (wake <= now) break;
        // Sleep at most a second so a slow clock step or a missed hint costs little.
        cv_.wait_for(lock, std::chrono::milliseconds(std::min<TimeMs>(wake - now, 1000)));
        if (clock_.now_ms() >= wake) break;
      }
      if (stop_requested_ && !has_pending_locked()) break;
    }
    run_once();
  }
  finish();
}

void Engine::Impl::run_once() {
  Batch batch = take_batch();
  bool commands = !batch.writes.empty() || !batch.reserves.empty();
  run_batch(std::move(batch), /*with_bulk=*/!commands);
  // A purge or retry-dead chunk gets a transaction of its own once the commands' answers are
  // out: a command then waits behind at most one chunk, never for one inside its own batch
  // (D2: every enqueue beside a 500k retry-dead paid a whole chunk in its commit).
  // While the writer rests from the last chunk there is nothing for that batch to do.
  if (commands && !bulk_.empty() && bulk_rested()) run_batch(Batch{}, /*with_bulk=*/true);
}

void Engine::Impl::run_batch(Batch batch, bool with_bulk) {
  // Rounded up before now_ is read rounded down, so delay_base_ >= the instant now_ stands for.
  delay_base_ = clock_.now_ms_rounded_up();
  now_ = clock_.now_ms();
  delay_base_ = std::max(delay_base_, now_);

  bool new_waiters = !batch.reserves.empty();
  park_waiters(std::move(batch.reserves), batch.cancels);
  for (BulkOp& op : batch.bulk) bulk_.push_back(std::move(op));
  bulk_in_batch_ = with_bulk && !bulk_.empty() && bulk_rested();
  bool need_txn = !batch.writes.empty() || new_waiters || bulk_in_batch_ || tick_due() ||
                  schedules_due() || sweep_due() ||
                  (!waiters_.empty() && (!dirty_.empty() || all_queues_dirty_ || rate_timer_due()));
  std::vector<Completion> completions;
  Served served;
  if (need_txn) write_batch(batch.writes, completions, served);
  if (bulk_in_batch_) rest_after_chunk(clock_.now_ms() - now_);

  std::vector<Waiter> expired = waiters_.take_expired(now_);
  // Rate timers exist to wake parked long polls. With none left, a timer in the past would keep
  // next_wake() in the past and the writer spinning on empty batches (D1); a later long poll is
  // fresh and tries every queue it names anyway.
  if (waiters_.empty()) rate_timers_.clear();
  // Before any caller hears of this batch: one told of a failed write then reading the health
  // sees the failure too.
  publish_writer_view();

  const Status* failure = batch_failure_ ? &*batch_failure_ : nullptr;
  for (Completion& c : completions) c(failure);
  if (need_txn && bulk_in_batch_) answer_bulk(failure);
  for (auto& [waiter, jobs] : served) waiter.done(std::move(jobs));
  for (Waiter& w : expired) w.done(std::vector<Job>{});
  // Only without reader threads (invariant 9): after the commit, outside the transaction.
  if (!batch.reads.empty()) {
    store::StoreReader& reader = inline_reader();
    for (ReadOp& op : batch.reads) op.apply(*this, reader);
  }
  // After the answers are out, so upkeep delays the next batch, never this one's callers.
  if (now_ - last_maintenance_ >= 1'000) {
    store_->maintenance();
    last_maintenance_ = now_;
  }
}

Engine::Impl::Batch Engine::Impl::take_batch() {
  Batch batch;
  std::lock_guard lock(mu_);
  std::size_t take = std::min<std::size_t>(pending_writes_.size(), options_.max_batch);
  batch.writes.assign(std::make_move_iterator(pending_writes_.begin()),
                      std::make_move_iterator(pending_writes_.begin() + take));
  pending_writes_.erase(pending_writes_.begin(), pending_writes_.begin() + take);
  if (!reads_on_threads_) batch.reads.swap(pending_reads_);
  batch.reserves.swap(pending_reserves_);
  batch.cancels.swap(pending_cancels_);
  batch.bulk.swap(pending_bulk_);
  return batch;
}

void Engine::Impl::park_waiters(std::vector<Waiter> reserves,
                                const std::vector<WaiterId>& cancels) {
  for (Waiter& w : reserves) {
    w.deadline = now_ + w.request.wait_ms;
    for (const auto& q : w.request.queues) dirty_.insert(q);
    waiters_.add(std::move(w));
  }
  // After the new reserves are registered: a cancel may arrive in the same batch as its own
  // reserve, and must not miss it (the waiter would then lease jobs for a caller who left).
  for (WaiterId id : cancels) {
    if (auto waiter = waiters_.remove(id)) waiter->done(std::vector<Job>{});
  }
}

void Engine::Impl::write_batch(std::vector<WriteOp>& writes, std::vector<Completion>& completions,
                               Served& served) {
  batch_failure_.reset();
  events_.clear();
  // Durations for observers (metrics) only: the steady clock measures cost, never job time.
  Steady::time_point began_at;
  Steady::time_point commit_at;
  if (observing()) began_at = Steady::now();
  if (auto began = store_->begin(); !began) {
    batch_failure_ = began.error();
  } else {
    apply_in_transaction(writes, completions, served);
    if (!batch_failure_) {
      if (observing()) commit_at = Steady::now();
      if (auto committed = store_->commit(); !committed) batch_failure_ = committed.error();
    }
  }
  if (!batch_failure_ && observing()) {
    tell_observers(completions.size() + served.size(), began_at, commit_at);
  }
  // A rolled-back batch changed nothing: its events are dropped unseen.
  events_.clear();
  if (batch_failure_) {
    last_write_failure_ = batch_failure_;
    last_write_failure_at_ = now_;
  } else {
    last_write_failure_.reset();
  }
  if (batch_failure_) roll_back(writes, completions.size(), served);
  refresh_hints();
}

void Engine::Impl::apply_in_transaction(std::vector<WriteOp>& writes,
                                        std::vector<Completion>& completions, Served& served) {
  run_tick();
  if (!batch_failure_) run_schedules();
  for (WriteOp& op : writes) {
    completions.push_back(op.apply(*this));
    if (batch_failure_) break;
  }
  if (!batch_failure_ && bulk_in_batch_) run_bulk_chunk();
  if (!batch_failure_) run_sweep();
  if (!batch_failure_) serve_waiters(served);
  for (const auto& hook : hooks_) {
    if (batch_failure_) break;
    if (auto ok = hook->before_commit(*store_, now_, events_); !ok) batch_failure_ = ok.error();
  }
}

void Engine::Impl::tell_observers(std::size_t commands, Steady::time_point began_at,
                                  Steady::time_point commit_at) {
  auto ended = Steady::now();
  CommitInfo info;
  info.at = now_;
  info.commands = commands;
  info.commit_seconds = std::chrono::duration<double>(ended - commit_at).count();
  info.batch_seconds = std::chrono::duration<double>(ended - began_at).count();
  // Committed: observers hear of it before any caller does, so a watcher that sees an answer
  // has already been told of the change behind it.
  for (const auto& observer : observers_) observer->on_commit(info, events_);
}

void Engine::Impl::roll_back(std::vector<WriteOp>& writes, std::size_t applied, Served& served) {
  store_->rollback();
  // Writes not applied because the batch broke early are answered with the failure too.
  for (std::size_t i = applied; i < writes.size(); ++i) writes[i].refuse(*batch_failure_);
  // Jobs handed to waiters were rolled back with the rest: the waiters keep waiting.
  for (auto& [waiter, jobs] : served) {
    waiter.fresh = true;
    waiters_.add(std::move(waiter));
  }
  served.clear();
}

void Engine::Impl::finish() {
  std::vector<Waiter> left;
  std::vector<WriteOp> writes;
  std::deque<ReadOp> reads;
  std::vector<BulkOp> bulk;
  {
    std::lock_guard lock(mu_);
    stopped_ = true;
    left.swap(pending_reserves_);
    writes.swap(pending_writes_);
    // Reads not yet taken by a reader thread are refused; the ones running finish, and then
    // the reader threads end (stop() joins them).
    reads.swap(pending_reads_);
    readers_stop_ = true;
    read_cv_.notify_all();
    bulk.swap(pending_bulk_);
  }
  for (Waiter& w : left) w.done(std::vector<Job>{});
  for (WriteOp& op : writes) op.refuse(shutting_down());
  for (BulkOp& op : bulk) op.done(tl::unexpected(shutting_down()));
  // A purge or retry-dead under way stops between chunks: finishing a million rows would hold
  // the shutdown (D5). What its committed chunks did stays done, and the answer says how much.
  answer_bulk_at_stop();
  for (ReadOp& op : reads) op.refuse(shutting_down());
  for (Waiter& w : waiters_.take_all()) w.done(std::vector<Job>{});
}

std::size_t Engine::Impl::waiter_count() const { return waiters_.size(); }

void Engine::Impl::add_observer(std::shared_ptr<JobObserver> observer) {
  observers_.push_back(std::move(observer));
}

void Engine::Impl::add_transaction_hook(std::shared_ptr<TransactionHook> hook) {
  hooks_.push_back(std::move(hook));
}

}  // namespace spool::engine
