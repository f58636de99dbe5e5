#include "engine/engine.hpp"

#include <memory>

#include "engine/engine_impl.hpp"

namespace spool::engine {

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
  return {[apply = std::move(apply), cb](Engine::Impl& engine) mutable -> Engine::Impl::Completion {
            return complete_with<T>(apply(engine), std::move(*cb));
          },
          [cb](const Status& s) { (*cb)(tl::unexpected<Status>(s)); }};
}

template <typename T, typename F>
Engine::Impl::ReadOp make_read(F apply, Callback<T> done) {
  auto cb = std::make_shared<Callback<T>>(std::move(done));
  return {[apply = std::move(apply), cb](Engine::Impl& engine) mutable { (*cb)(apply(engine)); },
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
  impl_->submit_write(make_write(
      [jobs = std::move(jobs)](Impl& engine) mutable { return engine.apply_enqueue(jobs); },
      std::move(done)));
}

WaiterId Engine::reserve(ReserveRequest request, Callback<std::vector<Job>> done) {
  return impl_->submit_reserve(std::move(request), std::move(done));
}

void Engine::cancel_waiter(WaiterId id) { impl_->submit_cancel_waiter(id); }

void Engine::ack(AckItem item, Callback<store::SettleResult> done) {
  impl_->submit_write(
      make_write([item = std::move(item)](Impl& engine) mutable { return engine.apply_ack(item); },
                 std::move(done)));
}

void Engine::fail(FailItem item, Callback<store::SettleResult> done) {
  impl_->submit_write(
      make_write([item = std::move(item)](Impl& engine) mutable { return engine.apply_fail(item); },
                 std::move(done)));
}

void Engine::extend(ExtendItem item, Callback<TimeMs> done) {
  impl_->submit_write(make_write(
      [item = std::move(item)](Impl& engine) mutable { return engine.apply_extend(item); },
      std::move(done)));
}

void Engine::settle(std::vector<AckItem> acks, std::vector<FailItem> fails,
                    std::function<void(std::vector<StatusOr<store::SettleResult>>)> done) {
  using Results = Impl::SettleResults;
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
      [acks = std::move(acks), fails = std::move(fails)](Impl& engine) mutable {
        return engine.apply_settle(acks, fails);
      },
      std::move(outer)));
}

void Engine::cancel(std::string id, Callback<store::SettleResult> done) {
  impl_->submit_write(make_write(
      [id = std::move(id)](Impl& engine) { return engine.apply_cancel(id); }, std::move(done)));
}

void Engine::retry(std::string id, Callback<store::SettleResult> done) {
  impl_->submit_write(make_write(
      [id = std::move(id)](Impl& engine) { return engine.apply_retry(id); }, std::move(done)));
}

void Engine::retry_dead(std::string queue, std::optional<std::string> type,
                        Callback<std::int64_t> done) {
  impl_->submit_write(make_write([queue = std::move(queue), type = std::move(type)](
                                     Impl& engine) { return engine.apply_retry_dead(queue, type); },
                                 std::move(done)));
}

void Engine::purge(std::string queue, JobState state, Callback<std::int64_t> done) {
  impl_->submit_write(make_write(
      [queue = std::move(queue), state](Impl& engine) { return engine.apply_purge(queue, state); },
      std::move(done)));
}

void Engine::set_paused(std::string queue, bool paused, Callback<QueueInfo> done) {
  impl_->submit_write(
      make_write([queue = std::move(queue),
                  paused](Impl& engine) { return engine.apply_set_paused(queue, paused); },
                 std::move(done)));
}

void Engine::patch_queue(std::string queue, QueueConfig patch, Callback<QueueInfo> done) {
  impl_->submit_write(make_write(
      [queue = std::move(queue), patch = std::move(patch)](Impl& engine) {
        return engine.apply_patch_queue(queue, patch);
      },
      std::move(done)));
}

void Engine::take_callbacks(int limit, std::int64_t hold_ms, Callback<std::vector<Job>> done) {
  impl_->submit_write(make_write(
      [limit, hold_ms](Impl& engine) { return engine.apply_take_callbacks(limit, hold_ms); },
      std::move(done)));
}

void Engine::settle_callback(CallbackOutcome outcome, Callback<bool> done) {
  impl_->submit_write(make_write(
      [outcome = std::move(outcome)](Impl& engine) {
        return engine.apply_settle_callback(outcome);
      },
      std::move(done)));
}

void Engine::create_schedule(ScheduleSpec spec, Callback<Schedule> done) {
  impl_->submit_write(make_write(
      [spec = std::move(spec)](Impl& engine) mutable { return engine.apply_create_schedule(spec); },
      std::move(done)));
}

void Engine::upsert_schedule(ScheduleSpec spec, Callback<Schedule> done) {
  impl_->submit_write(make_write(
      [spec = std::move(spec)](Impl& engine) mutable { return engine.apply_upsert_schedule(spec); },
      std::move(done)));
}

void Engine::patch_schedule(std::string id, SchedulePatch patch, Callback<Schedule> done) {
  impl_->submit_write(make_write(
      [id = std::move(id), patch = std::move(patch)](Impl& engine) mutable {
        return engine.apply_patch_schedule(id, patch);
      },
      std::move(done)));
}

void Engine::delete_schedule(std::string id, Callback<void> done) {
  impl_->submit_write(
      make_write([id = std::move(id)](Impl& engine) { return engine.apply_delete_schedule(id); },
                 std::move(done)));
}

void Engine::trigger_schedule(std::string id, Callback<store::EnqueueResult> done) {
  impl_->submit_write(
      make_write([id = std::move(id)](Impl& engine) { return engine.apply_trigger_schedule(id); },
                 std::move(done)));
}

void Engine::get_schedule(std::string id, Callback<ScheduleView> done) {
  impl_->submit_read(make_read(
      [id = std::move(id)](Impl& engine) { return engine.read_schedule(id); }, std::move(done)));
}

void Engine::list_schedules(Callback<std::vector<Schedule>> done) {
  impl_->submit_read(
      make_read([](Impl& engine) { return engine.store().list_schedules(); }, std::move(done)));
}

void Engine::get_job(std::string id, Callback<Job> done) {
  impl_->submit_read(make_read(
      [id = std::move(id)](Impl& engine) { return engine.store().get_job(id); }, std::move(done)));
}

void Engine::list_jobs(store::JobFilter filter, Callback<store::JobPage> done) {
  impl_->submit_read(make_read(
      [filter = std::move(filter)](Impl& engine) { return engine.store().list_jobs(filter); },
      std::move(done)));
}

void Engine::get_queue(std::string name, Callback<QueueInfo> done) {
  impl_->submit_read(
      make_read([name = std::move(name)](Impl& engine) { return engine.store().get_queue(name); },
                std::move(done)));
}

void Engine::list_queues(Callback<std::vector<QueueInfo>> done) {
  impl_->submit_read(
      make_read([](Impl& engine) { return engine.store().list_queues(); }, std::move(done)));
}

void Engine::stats(Callback<store::Stats> done) {
  impl_->submit_read(
      make_read([](Impl& engine) { return engine.store().stats(); }, std::move(done)));
}

void Engine::observe(ObservationRequest request, Callback<Observation> done) {
  impl_->submit_read(make_read([request = std::move(request)](Impl& engine)
                                   -> StatusOr<Observation> { return engine.observe(request); },
                               std::move(done)));
}

}  // namespace spool::engine
