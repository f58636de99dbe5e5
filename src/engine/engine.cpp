// Engine, the facade of engine.hpp: each public method posts one command to Engine::Impl
// (engine_impl.hpp) and returns. The work itself is in the files engine_impl.hpp names.
#include "engine/engine.hpp"

#include <functional>
#include <memory>

#include "engine/engine_impl.hpp"

namespace spool::engine {
namespace {

using Impl = Engine::Impl;

template <typename T>
Impl::Completion complete_with(StatusOr<T> result, Callback<T> done) {
  return [result = std::move(result), done = std::move(done)](const Status* failure) mutable {
    if (failure) {
      done(tl::unexpected<Status>(*failure));
    } else {
      done(std::move(result));
    }
  };
}

// Posts apply(engine, args...) as one write of the next batch. `done` hears its result only
// after the batch commits, or the batch's failure instead; it is refused unapplied when the
// engine has stopped.
template <typename T, typename Apply, typename... Args>
void post_write(Impl& impl, Callback<T> done, Apply apply, Args... args) {
  auto cb = std::make_shared<Callback<T>>(std::move(done));
  impl.submit_write(
      {[cb, apply, ... args = std::move(args)](Impl& engine) mutable -> Impl::Completion {
         return complete_with<T>(std::invoke(apply, engine, args...), std::move(*cb));
       },
       [cb](const Status& status) { (*cb)(tl::unexpected<Status>(status)); }});
}

// Posts read(engine, reader, args...) to a reader thread (engine_impl.hpp, "Reads").
template <typename T, typename Read, typename... Args>
void post_read(Impl& impl, Callback<T> done, Read read, Args... args) {
  auto cb = std::make_shared<Callback<T>>(std::move(done));
  impl.submit_read(
      {[cb, read, ... args = std::move(args)](Impl& engine, store::StoreReader& reader) mutable {
         (*cb)(std::invoke(read, engine, reader, args...));
       },
       [cb](const Status& status) { (*cb)(tl::unexpected<Status>(status)); }});
}

// A read the store answers as it is: read is a store::StoreReader method.
template <typename T, typename Read, typename... Args>
void post_store_read(Impl& impl, Callback<T> done, Read read, Args... args) {
  post_read(
      impl, std::move(done),
      [read](Impl&, store::StoreReader& reader, auto&... read_args) {
        return std::invoke(read, reader, read_args...);
      },
      std::move(args)...);
}

}  // namespace

Engine::Engine(std::unique_ptr<store::Store> store, const Clock& clock, EngineOptions options)
    : impl_(std::make_unique<Impl>(std::move(store), clock, options)) {}

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
std::uint64_t Engine::waiter_visits() const { return impl_->waiter_visits(); }
TimeMs Engine::next_wake_ms() const { return impl_->next_wake(); }

// ---- Writes ----

void Engine::enqueue(std::vector<EnqueueRequest> jobs,
                     Callback<std::vector<ops::EnqueueResult>> done) {
  post_write(*impl_, std::move(done), &Impl::apply_enqueue, std::move(jobs));
}

WaiterId Engine::reserve(ReserveRequest request, Callback<std::vector<Job>> done) {
  return impl_->submit_reserve(std::move(request), std::move(done));
}

void Engine::cancel_waiter(WaiterId id) { impl_->submit_cancel_waiter(id); }

void Engine::ack(AckItem item, Callback<ops::SettleResult> done) {
  post_write(*impl_, std::move(done), &Impl::apply_ack, std::move(item));
}

void Engine::fail(FailItem item, Callback<ops::SettleResult> done) {
  post_write(*impl_, std::move(done), &Impl::apply_fail, std::move(item));
}

void Engine::extend(ExtendItem item, Callback<TimeMs> done) {
  post_write(*impl_, std::move(done), &Impl::apply_extend, std::move(item));
}

void Engine::settle(std::vector<AckItem> acks, std::vector<FailItem> fails,
                    std::function<void(std::vector<StatusOr<ops::SettleResult>>)> done) {
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
  post_write(*impl_, std::move(outer), &Impl::apply_settle, std::move(acks), std::move(fails));
}

void Engine::cancel(std::string id, Callback<ops::SettleResult> done) {
  post_write(*impl_, std::move(done), &Impl::apply_cancel, std::move(id));
}

void Engine::retry(std::string id, Callback<ops::SettleResult> done) {
  post_write(*impl_, std::move(done), &Impl::apply_retry, std::move(id));
}

void Engine::retry_dead(std::string queue, std::optional<std::string> type,
                        Callback<std::int64_t> done) {
  Impl::BulkOp op;
  op.kind = Impl::BulkOp::Kind::kRetryDead;
  op.queue = std::move(queue);
  op.type = std::move(type);
  op.done = std::move(done);
  impl_->submit_bulk(std::move(op));
}

void Engine::purge(std::string queue, JobState state, Callback<std::int64_t> done) {
  Impl::BulkOp op;
  op.kind = Impl::BulkOp::Kind::kPurge;
  op.queue = std::move(queue);
  op.state = state;
  op.done = std::move(done);
  impl_->submit_bulk(std::move(op));
}

void Engine::set_paused(std::string queue, bool paused, Callback<QueueInfo> done) {
  post_write(*impl_, std::move(done), &Impl::apply_set_paused, std::move(queue), paused);
}

void Engine::patch_queue(std::string queue, QueueConfig patch, Callback<QueueInfo> done) {
  post_write(*impl_, std::move(done), &Impl::apply_patch_queue, std::move(queue), std::move(patch));
}

// ---- Completion callbacks ----

void Engine::take_callbacks(int limit, std::int64_t hold_ms, Callback<std::vector<Job>> done) {
  post_write(*impl_, std::move(done), &Impl::apply_take_callbacks, limit, hold_ms);
}

void Engine::settle_callback(CallbackOutcome outcome, Callback<bool> done) {
  post_write(*impl_, std::move(done), &Impl::apply_settle_callback, std::move(outcome));
}

// ---- Schedules ----

void Engine::create_schedule(ScheduleSpec spec, Callback<Schedule> done) {
  post_write(*impl_, std::move(done), &Impl::apply_create_schedule, std::move(spec));
}

void Engine::upsert_schedule(ScheduleSpec spec, Callback<Schedule> done) {
  post_write(*impl_, std::move(done), &Impl::apply_upsert_schedule, std::move(spec));
}

void Engine::patch_schedule(std::string id, SchedulePatch patch, Callback<Schedule> done) {
  post_write(*impl_, std::move(done), &Impl::apply_patch_schedule, std::move(id), std::move(patch));
}

void Engine::delete_schedule(std::string id, Callback<void> done) {
  post_write(*impl_, std::move(done), &Impl::apply_delete_schedule, std::move(id));
}

void Engine::trigger_schedule(std::string id, Callback<ops::EnqueueResult> done) {
  post_write(*impl_, std::move(done), &Impl::apply_trigger_schedule, std::move(id));
}

void Engine::get_schedule(std::string id, Callback<ScheduleView> done) {
  post_read(*impl_, std::move(done), &Impl::read_schedule, std::move(id));
}

void Engine::list_schedules(Callback<std::vector<Schedule>> done) {
  post_store_read(*impl_, std::move(done), &store::StoreReader::list_schedules);
}

// ---- Reads ----

void Engine::get_job(std::string id, Callback<Job> done) {
  post_store_read(*impl_, std::move(done), &store::StoreReader::get_job, std::move(id));
}

void Engine::list_jobs(ops::JobFilter filter, Callback<ops::JobPage> done) {
  post_store_read(*impl_, std::move(done), &store::StoreReader::list_jobs, std::move(filter));
}

void Engine::get_queue(std::string name, Callback<QueueInfo> done) {
  post_store_read(*impl_, std::move(done), &store::StoreReader::get_queue, std::move(name));
}

void Engine::list_queues(Callback<std::vector<QueueInfo>> done) {
  post_store_read(*impl_, std::move(done), &store::StoreReader::list_queues);
}

void Engine::stats(Callback<ops::Stats> done) {
  post_store_read(*impl_, std::move(done), &store::StoreReader::stats);
}

void Engine::observe(ObservationRequest request, Callback<Observation> done) {
  post_read(*impl_, std::move(done), &Impl::observe, std::move(request));
}

}  // namespace spool::engine
