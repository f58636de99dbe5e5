#include <algorithm>
#include <chrono>
#include <limits>
#include <map>
#include <set>

#include "engine/engine_impl.hpp"
#include "engine/schedule_plan.hpp"

namespace spool::engine {
namespace {

Status shutting_down() {
  return Status(StatusCode::kUnavailable, "the server is shutting down; nothing was accepted");
}

}  // namespace

Engine::Impl::Impl(std::unique_ptr<store::Store> store, const Clock& clock, EngineOptions options)
    : store_(std::move(store)),
      clock_(clock),
      options_(options),
      ids_(options.seed ? options.seed : random_seed()) {}

bool Engine::Impl::breaks_batch(const Status& status) {
  return status.code() == StatusCode::kUnavailable || status.code() == StatusCode::kInternal;
}

void Engine::Impl::submit_write(WriteOp op) {
  {
    std::lock_guard lock(mu_);
    if (!stopped_) {
      pending_writes_.push_back(std::move(op));
      cv_.notify_one();
      return;
    }
  }
  op.refuse(shutting_down());
}

void Engine::Impl::submit_read(ReadOp op) {
  {
    std::lock_guard lock(mu_);
    if (!stopped_) {
      pending_reads_.push_back(std::move(op));
      cv_.notify_one();
      return;
    }
  }
  op.refuse(shutting_down());
}

WaiterId Engine::Impl::submit_reserve(ReserveRequest request, Callback<std::vector<Job>> done) {
  std::lock_guard lock(mu_);
  WaiterId id = ++last_waiter_id_;
  if (stopped_) {
    done(tl::unexpected<Status>(shutting_down()));
    return id;
  }
  pending_reserves_.push_back(Waiter{id, std::move(request), 0, true, std::move(done)});
  cv_.notify_one();
  return id;
}

void Engine::Impl::submit_cancel_waiter(WaiterId id) {
  std::lock_guard lock(mu_);
  if (stopped_) return;
  pending_cancels_.push_back(id);
  cv_.notify_one();
}

bool Engine::Impl::has_pending_locked() const {
  return !pending_writes_.empty() || !pending_reads_.empty() || !pending_reserves_.empty() ||
         !pending_cancels_.empty();
}

void Engine::Impl::start() {
  writer_ = std::thread([this] { run(); });
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
  std::vector<WriteOp> writes;
  std::vector<ReadOp> reads;
  std::vector<Waiter> reserves;
  std::vector<WaiterId> cancels;
  {
    std::lock_guard lock(mu_);
    std::size_t take = std::min<std::size_t>(pending_writes_.size(), options_.max_batch);
    writes.assign(std::make_move_iterator(pending_writes_.begin()),
                  std::make_move_iterator(pending_writes_.begin() + take));
    pending_writes_.erase(pending_writes_.begin(), pending_writes_.begin() + take);
    reads.swap(pending_reads_);
    reserves.swap(pending_reserves_);
    cancels.swap(pending_cancels_);
  }
  // Rounded up before now_ is read rounded down, so delay_base_ >= the instant now_ stands for.
  delay_base_ = clock_.now_ms_rounded_up();
  now_ = clock_.now_ms();
  delay_base_ = std::max(delay_base_, now_);

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

  bool need_txn = !writes.empty() || !reserves.empty() || tick_due() || schedules_due() ||
                  sweep_due() ||
                  (!waiters_.empty() && (!dirty_.empty() || all_queues_dirty_ || rate_timer_due()));
  std::vector<Completion> completions;
  std::vector<std::pair<Waiter, std::vector<Job>>> served;
  if (need_txn) {
    batch_failure_.reset();
    events_.clear();
    // Durations for observers (metrics) only: the steady clock measures cost, never job time.
    using Steady = std::chrono::steady_clock;
    Steady::time_point began_at;
    Steady::time_point commit_at;
    if (observing()) began_at = Steady::now();
    if (auto began = store_->begin(); !began) {
      batch_failure_ = began.error();
    } else {
      run_tick();
      if (!batch_failure_) run_schedules();
      for (WriteOp& op : writes) {
        completions.push_back(op.apply(*this));
        if (batch_failure_) break;
      }
      if (!batch_failure_) run_sweep();
      if (!batch_failure_) serve_waiters(served);
      for (const auto& hook : hooks_) {
        if (batch_failure_) break;
        if (auto ok = hook->before_commit(*store_, now_, events_); !ok) {
          batch_failure_ = ok.error();
        }
      }
      if (!batch_failure_) {
        if (observing()) commit_at = Steady::now();
        if (auto committed = store_->commit(); !committed) batch_failure_ = committed.error();
      }
    }
    if (!batch_failure_ && observing()) {
      auto ended = Steady::now();
      CommitInfo info;
      info.at = now_;
      info.commands = completions.size() + served.size();
      info.commit_seconds = std::chrono::duration<double>(ended - commit_at).count();
      info.batch_seconds = std::chrono::duration<double>(ended - began_at).count();
      // Committed: observers hear of it before any caller does, so a watcher that sees an
      // answer has already been told of the change behind it.
      for (const auto& observer : observers_) observer->on_commit(info, events_);
    }
    // A rolled-back batch changed nothing: its events are dropped unseen.
    events_.clear();
    if (batch_failure_) {
      last_write_failure_ = batch_failure_;
      last_write_failure_at_ = now_;
    } else {
      last_write_failure_.reset();
    }
    if (batch_failure_) {
      store_->rollback();
      // Writes not applied because the batch broke early are answered with the failure too.
      for (std::size_t i = completions.size(); i < writes.size(); ++i) {
        writes[i].refuse(*batch_failure_);
      }
      // Jobs handed to waiters were rolled back with the rest: the waiters keep waiting.
      for (auto& [waiter, jobs] : served) {
        waiter.fresh = true;
        waiters_.add(std::move(waiter));
      }
      served.clear();
    }
    refresh_hints();
  }
  const Status* failure = batch_failure_ ? &*batch_failure_ : nullptr;
  for (Completion& c : completions) c(failure);
  for (auto& [waiter, jobs] : served) waiter.done(std::move(jobs));
  answer_expired_waiters();
  for (ReadOp& op : reads) op.apply(*this);
  // After the answers are out, so upkeep delays the next batch, never this one's callers.
  if (now_ - last_maintenance_ >= 1'000) {
    store_->maintenance();
    last_maintenance_ = now_;
  }
}

void Engine::Impl::finish() {
  std::vector<Waiter> left;
  std::vector<WriteOp> writes;
  std::vector<ReadOp> reads;
  {
    std::lock_guard lock(mu_);
    stopped_ = true;
    left.swap(pending_reserves_);
    writes.swap(pending_writes_);
    reads.swap(pending_reads_);
  }
  for (Waiter& w : left) w.done(std::vector<Job>{});
  for (WriteOp& op : writes) op.refuse(shutting_down());
  for (ReadOp& op : reads) op.refuse(shutting_down());
  for (auto it = waiters_.list().begin(); it != waiters_.list().end();) {
    it->done(std::vector<Job>{});
    it = waiters_.erase(it);
  }
}

std::size_t Engine::Impl::waiter_count() const { return waiters_.size(); }

void Engine::Impl::add_observer(std::shared_ptr<JobObserver> observer) {
  observers_.push_back(std::move(observer));
}

void Engine::Impl::add_transaction_hook(std::shared_ptr<TransactionHook> hook) {
  hooks_.push_back(std::move(hook));
}

// ---- Engine ----

namespace {

template <typename T>
Engine::Impl::Completion complete_with(StatusOr<T> result, Callback<T> done) {
  return [result = std::move(result), done = std::move(done)](const Status* failure) mutable {
    if (failure) {
      done(tl::unexpected<Status>(*failure));
    } else {
      done(std::move(result));
    }
  };
}

template <typename T, typename F>
Engine::Impl::WriteOp make_write(F apply, Callback<T> done) {
  auto cb = std::make_shared<Callback<T>>(std::move(done));
  return {[apply = std::move(apply), cb](Engine::Impl& e) mutable -> Engine::Impl::Completion {
            return complete_with<T>(apply(e), std::move(*cb));
          },
          [cb](const Status& s) { (*cb)(tl::unexpected<Status>(s)); }};
}

template <typename T, typename F>
Engine::Impl::ReadOp make_read(F apply, Callback<T> done) {
  auto cb = std::make_shared<Callback<T>>(std::move(done));
  return {[apply = std::move(apply), cb](Engine::Impl& e) mutable { (*cb)(apply(e)); },
          [cb](const Status& s) { (*cb)(tl::unexpected<Status>(s)); }};
}

}  // namespace

Engine::Engine(std::unique_ptr<store::Store> store, const Clock& clock, EngineOptions options)
    : impl_(std::make_unique<Impl>(std::move(store), clock, options)) {
  impl_->refresh_hints();  // due jobs and expiries left from the last run wake the writer
}

Engine::~Engine() { stop(); }

void Engine::add_observer(std::shared_ptr<JobObserver> observer) {
  impl_->add_observer(std::move(observer));
}

void Engine::add_transaction_hook(std::shared_ptr<TransactionHook> hook) {
  impl_->add_transaction_hook(std::move(hook));
}

void Engine::start() { impl_->start(); }
void Engine::stop() { impl_->stop(); }
void Engine::run_once() { impl_->run_once(); }
std::size_t Engine::waiter_count() const { return impl_->waiter_count(); }

void Engine::enqueue(std::vector<EnqueueRequest> jobs,
                     Callback<std::vector<store::EnqueueResult>> done) {
  impl_->submit_write(
      make_write([jobs = std::move(jobs)](Impl& e) mutable { return e.apply_enqueue(jobs); },
                 std::move(done)));
}

WaiterId Engine::reserve(ReserveRequest request, Callback<std::vector<Job>> done) {
  return impl_->submit_reserve(std::move(request), std::move(done));
}

void Engine::cancel_waiter(WaiterId id) { impl_->submit_cancel_waiter(id); }

void Engine::ack(AckItem item, Callback<store::SettleResult> done) {
  impl_->submit_write(make_write(
      [item = std::move(item)](Impl& e) mutable { return e.apply_ack(item); }, std::move(done)));
}

void Engine::fail(FailItem item, Callback<store::SettleResult> done) {
  impl_->submit_write(make_write(
      [item = std::move(item)](Impl& e) mutable { return e.apply_fail(item); }, std::move(done)));
}

void Engine::extend(ExtendItem item, Callback<TimeMs> done) {
  impl_->submit_write(make_write(
      [item = std::move(item)](Impl& e) mutable { return e.apply_extend(item); }, std::move(done)));
}

void Engine::settle(std::vector<AckItem> acks, std::vector<FailItem> fails,
                    std::function<void(std::vector<StatusOr<store::SettleResult>>)> done) {
  using Results = std::vector<StatusOr<store::SettleResult>>;
  // Per-item errors live inside the vector; the outer StatusOr only carries a batch failure.
  Callback<Results> outer = [done = std::move(done),
                             n = acks.size() + fails.size()](StatusOr<Results> r) {
    if (r) {
      done(std::move(*r));
    } else {
      done(Results(n, tl::unexpected<Status>(r.error())));
    }
  };
  impl_->submit_write(make_write(
      [acks = std::move(acks), fails = std::move(fails)](Impl& e) mutable -> StatusOr<Results> {
        Results results;
        results.reserve(acks.size() + fails.size());
        for (AckItem& a : acks) results.push_back(e.apply_ack(a));
        for (FailItem& f : fails) results.push_back(e.apply_fail(f));
        return results;
      },
      std::move(outer)));
}

void Engine::cancel(std::string id, Callback<store::SettleResult> done) {
  impl_->submit_write(make_write(
      [id = std::move(id)](Impl& e) {
        auto result = e.store().cancel(id, e.now());
        if (e.accept(result)) e.emit_settle(JobEventKind::kCancelled, *result, std::nullopt);
        return result;
      },
      std::move(done)));
}

void Engine::retry(std::string id, Callback<store::SettleResult> done) {
  impl_->submit_write(make_write(
      [id = std::move(id)](Impl& e) {
        auto result = e.store().retry(id, e.now());
        if (e.accept(result)) {
          e.mark_dirty(result->queue);
          e.emit_settle(JobEventKind::kRetried, *result, std::nullopt);
        }
        return result;
      },
      std::move(done)));
}

void Engine::retry_dead(std::string queue, std::optional<std::string> type,
                        Callback<std::int64_t> done) {
  impl_->submit_write(make_write([queue = std::move(queue), type = std::move(type)](
                                     Impl& e) { return e.apply_retry_dead(queue, type); },
                                 std::move(done)));
}

void Engine::purge(std::string queue, JobState state, Callback<std::int64_t> done) {
  impl_->submit_write(make_write(
      [queue = std::move(queue), state](Impl& e) {
        auto result = e.store().purge(queue, state);
        e.accept(result);
        return result;
      },
      std::move(done)));
}

void Engine::set_paused(std::string queue, bool paused, Callback<QueueInfo> done) {
  impl_->submit_write(make_write(
      [queue = std::move(queue), paused](Impl& e) {
        auto result = e.store().set_paused(queue, paused);
        if (e.accept(result)) e.mark_dirty(queue);
        return result;
      },
      std::move(done)));
}

void Engine::patch_queue(std::string queue, QueueConfig patch, Callback<QueueInfo> done) {
  impl_->submit_write(make_write(
      [queue = std::move(queue), patch = std::move(patch)](Impl& e) {
        auto result = e.store().patch_queue(queue, patch);
        if (e.accept(result)) e.mark_dirty(queue);
        return result;
      },
      std::move(done)));
}

void Engine::take_callbacks(int limit, std::int64_t hold_ms, Callback<std::vector<Job>> done) {
  impl_->submit_write(make_write(
      [limit, hold_ms](Impl& e) {
        auto result = e.store().take_callbacks(e.now(), limit, hold_ms);
        e.accept(result);
        return result;
      },
      std::move(done)));
}

void Engine::settle_callback(CallbackOutcome outcome, Callback<bool> done) {
  impl_->submit_write(make_write(
      [outcome = std::move(outcome)](Impl& e) {
        store::CallbackSettle s;
        s.id = outcome.id;
        s.attempt = outcome.attempt;
        s.state = outcome.state;
        s.at = e.now() + (outcome.state == CallbackState::kPending ? outcome.retry_in_ms : 0);
        s.error = outcome.error;
        auto result = e.store().settle_callback(s);
        e.accept(result);
        return result;
      },
      std::move(done)));
}

void Engine::create_schedule(ScheduleSpec spec, Callback<Schedule> done) {
  impl_->submit_write(make_write(
      [spec = std::move(spec)](Impl& e) mutable { return e.apply_create_schedule(spec); },
      std::move(done)));
}

void Engine::upsert_schedule(ScheduleSpec spec, Callback<Schedule> done) {
  impl_->submit_write(make_write(
      [spec = std::move(spec)](Impl& e) mutable { return e.apply_upsert_schedule(spec); },
      std::move(done)));
}

void Engine::patch_schedule(std::string id, SchedulePatch patch, Callback<Schedule> done) {
  impl_->submit_write(make_write([id = std::move(id), patch = std::move(patch)](
                                     Impl& e) mutable { return e.apply_patch_schedule(id, patch); },
                                 std::move(done)));
}

void Engine::delete_schedule(std::string id, Callback<void> done) {
  impl_->submit_write(make_write(
      [id = std::move(id)](Impl& e) { return e.apply_delete_schedule(id); }, std::move(done)));
}

void Engine::trigger_schedule(std::string id, Callback<store::EnqueueResult> done) {
  impl_->submit_write(make_write(
      [id = std::move(id)](Impl& e) { return e.apply_trigger_schedule(id); }, std::move(done)));
}

void Engine::get_schedule(std::string id, Callback<ScheduleView> done) {
  impl_->submit_read(make_read(
      [id = std::move(id)](Impl& e) -> StatusOr<ScheduleView> {
        auto found = e.store().get_schedule(id);
        if (!found) return tl::unexpected(found.error());
        ScheduleView view;
        view.schedule = std::move(*found);
        const Schedule& s = view.schedule;
        if (!s.paused && s.next_run_at) {
          view.next_runs.push_back(*s.next_run_at);
          auto more = upcoming_ticks(s, *s.next_run_at, kNextRunsShown - 1);
          view.next_runs.insert(view.next_runs.end(), more.begin(), more.end());
        } else if (s.paused) {
          view.next_runs = upcoming_ticks(s, e.now(), kNextRunsShown);
        }
        return view;
      },
      std::move(done)));
}

void Engine::list_schedules(Callback<std::vector<Schedule>> done) {
  impl_->submit_read(
      make_read([](Impl& e) { return e.store().list_schedules(); }, std::move(done)));
}

void Engine::get_job(std::string id, Callback<Job> done) {
  impl_->submit_read(
      make_read([id = std::move(id)](Impl& e) { return e.store().get_job(id); }, std::move(done)));
}

void Engine::list_jobs(store::JobFilter filter, Callback<store::JobPage> done) {
  impl_->submit_read(
      make_read([filter = std::move(filter)](Impl& e) { return e.store().list_jobs(filter); },
                std::move(done)));
}

void Engine::get_queue(std::string name, Callback<QueueInfo> done) {
  impl_->submit_read(make_read(
      [name = std::move(name)](Impl& e) { return e.store().get_queue(name); }, std::move(done)));
}

void Engine::list_queues(Callback<std::vector<QueueInfo>> done) {
  impl_->submit_read(make_read([](Impl& e) { return e.store().list_queues(); }, std::move(done)));
}

void Engine::stats(Callback<store::Stats> done) {
  impl_->submit_read(make_read([](Impl& e) { return e.store().stats(); }, std::move(done)));
}

void Engine::observe(ObservationRequest request, Callback<Observation> done) {
  impl_->submit_read(make_read([request = std::move(request)](
                                   Impl& e) -> StatusOr<Observation> { return e.observe(request); },
                               std::move(done)));
}

}  // namespace spool::engine
