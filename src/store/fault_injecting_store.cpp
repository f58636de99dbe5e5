#include "store/fault_injecting_store.hpp"

#include "store/reads_via.hpp"

namespace spool::store {
namespace {

// kUnavailable while `failing` answers true, else the call's own answer.
template <typename F>
auto guarded(const std::function<bool()>& failing, F&& call) -> decltype(call()) {
  if (failing()) {
    return tl::unexpected(
        Status(StatusCode::kUnavailable, "the store is unavailable (injected fault, test seam)"));
  }
  return call();
}

// The reads, guarded: over the inner store itself (FaultInjectingStore's own reads) or over a
// reader it opened (which it then owns).
class FaultInjectingReader final : public StoreReader {
 public:
  FaultInjectingReader(StoreReader& inner, std::function<bool()> failing)
      : inner_(&inner), failing_(std::move(failing)) {}
  FaultInjectingReader(std::unique_ptr<StoreReader> owned, std::function<bool()> failing)
      : owned_(std::move(owned)), inner_(owned_.get()), failing_(std::move(failing)) {}

  StatusOr<Job> get_job(const std::string& id) override {
    return guard([&] { return inner_->get_job(id); });
  }
  StatusOr<JobPage> list_jobs(const JobFilter& filter) override {
    return guard([&] { return inner_->list_jobs(filter); });
  }
  StatusOr<QueueInfo> get_queue(const std::string& name) override {
    return guard([&] { return inner_->get_queue(name); });
  }
  StatusOr<std::vector<QueueInfo>> list_queues() override {
    return guard([&] { return inner_->list_queues(); });
  }
  StatusOr<Stats> stats() override {
    return guard([&] { return inner_->stats(); });
  }
  StatusOr<std::vector<MinuteStats>> minute_stats(
      TimeMs from, const std::optional<std::string>& queue) override {
    return guard([&] { return inner_->minute_stats(from, queue); });
  }
  StatusOr<std::vector<QueueBacklog>> backlog(TimeMs overdue_before) override {
    return guard([&] { return inner_->backlog(overdue_before); });
  }
  StatusOr<void> ping() override {
    return guard([&] { return inner_->ping(); });
  }
  StatusOr<Schedule> get_schedule(const std::string& id) override {
    return guard([&] { return inner_->get_schedule(id); });
  }
  StatusOr<std::vector<Schedule>> list_schedules() override {
    return guard([&] { return inner_->list_schedules(); });
  }

 private:
  template <typename F>
  auto guard(F&& call) -> decltype(call()) {
    return guarded(failing_, std::forward<F>(call));
  }

  std::unique_ptr<StoreReader> owned_;
  StoreReader* inner_;
  std::function<bool()> failing_;
};

class FaultInjectingStore final : public ReadsVia<Store> {
 public:
  FaultInjectingStore(std::unique_ptr<Store> inner, std::function<bool()> failing)
      : inner_(std::move(inner)), failing_(std::move(failing)), reads_(*inner_, failing_) {}

  StatusOr<std::unique_ptr<StoreReader>> open_reader() override {
    auto inner = guard([&] { return inner_->open_reader(); });
    if (!inner) return tl::unexpected(inner.error());
    return std::unique_ptr<StoreReader>(
        std::make_unique<FaultInjectingReader>(std::move(*inner), failing_));
  }

  StatusOr<void> begin() override {
    return guard([&] { return inner_->begin(); });
  }
  StatusOr<void> commit() override {
    return guard([&] { return inner_->commit(); });
  }
  void rollback() override { inner_->rollback(); }

  StatusOr<EnqueueResult> enqueue(const NewJob& job) override {
    return guard([&] { return inner_->enqueue(job); });
  }
  StatusOr<ReserveResult> reserve(const ReserveRequest& req) override {
    return guard([&] { return inner_->reserve(req); });
  }
  StatusOr<SettleResult> ack(const AckRequest& req) override {
    return guard([&] { return inner_->ack(req); });
  }
  StatusOr<SettleResult> fail(const FailRequest& req) override {
    return guard([&] { return inner_->fail(req); });
  }
  StatusOr<ExtendResult> extend(const ExtendRequest& req) override {
    return guard([&] { return inner_->extend(req); });
  }
  StatusOr<SettleResult> cancel(const std::string& id, TimeMs now) override {
    return guard([&] { return inner_->cancel(id, now); });
  }
  StatusOr<SettleResult> retry(const std::string& id, TimeMs now) override {
    return guard([&] { return inner_->retry(id, now); });
  }
  StatusOr<std::vector<SettleResult>> retry_dead(const std::string& queue,
                                                 const std::optional<std::string>& type, TimeMs now,
                                                 int limit) override {
    return guard([&] { return inner_->retry_dead(queue, type, now, limit); });
  }
  StatusOr<std::int64_t> purge(const std::string& queue, JobState state, int limit) override {
    return guard([&] { return inner_->purge(queue, state, limit); });
  }
  StatusOr<QueueInfo> set_paused(const std::string& queue, bool paused) override {
    return guard([&] { return inner_->set_paused(queue, paused); });
  }
  StatusOr<QueueInfo> patch_queue(const std::string& queue, const QueueConfig& patch) override {
    return guard([&] { return inner_->patch_queue(queue, patch); });
  }
  StatusOr<TickResult> tick(TimeMs now, int limit, double jitter) override {
    return guard([&] { return inner_->tick(now, limit, jitter); });
  }
  StatusOr<std::int64_t> sweep_retention(TimeMs now, int limit) override {
    return guard([&] { return inner_->sweep_retention(now, limit); });
  }
  StatusOr<std::optional<TimeMs>> next_due() override {
    return guard([&] { return inner_->next_due(); });
  }
  StatusOr<std::optional<TimeMs>> next_expiry() override {
    return guard([&] { return inner_->next_expiry(); });
  }
  QueueConfig queue_config(const std::string& name) override { return inner_->queue_config(name); }
  void maintenance() override {
    if (!failing_()) inner_->maintenance();
  }
  StatusOr<void> add_minute_stats(std::span<const MinuteStats> rows) override {
    return guard([&] { return inner_->add_minute_stats(rows); });
  }
  StatusOr<std::int64_t> prune_minute_stats(TimeMs before, int limit) override {
    return guard([&] { return inner_->prune_minute_stats(before, limit); });
  }
  StatusOr<Schedule> put_schedule(const Schedule& schedule) override {
    return guard([&] { return inner_->put_schedule(schedule); });
  }
  StatusOr<void> delete_schedule(const std::string& id) override {
    return guard([&] { return inner_->delete_schedule(id); });
  }
  StatusOr<FireResult> fire_schedule(const ScheduleFire& fire) override {
    return guard([&] { return inner_->fire_schedule(fire); });
  }
  StatusOr<Schedule> schedule_by_name(const std::string& name) override {
    return guard([&] { return inner_->schedule_by_name(name); });
  }
  StatusOr<std::vector<Schedule>> due_schedules(TimeMs now, int limit) override {
    return guard([&] { return inner_->due_schedules(now, limit); });
  }
  StatusOr<std::optional<TimeMs>> next_schedule_due() override {
    return guard([&] { return inner_->next_schedule_due(); });
  }
  StatusOr<std::vector<Job>> take_callbacks(TimeMs now, int limit, std::int64_t hold_ms) override {
    return guard([&] { return inner_->take_callbacks(now, limit, hold_ms); });
  }
  StatusOr<bool> settle_callback(const CallbackSettle& settle) override {
    return guard([&] { return inner_->settle_callback(settle); });
  }

 protected:
  StoreReader& reads() override { return reads_; }

 private:
  template <typename F>
  auto guard(F&& call) -> decltype(call()) {
    return guarded(failing_, std::forward<F>(call));
  }

  std::unique_ptr<Store> inner_;
  std::function<bool()> failing_;
  FaultInjectingReader reads_;  // the reads on the inner store itself
};

}  // namespace

std::unique_ptr<Store> inject_faults(std::unique_ptr<Store> inner, std::function<bool()> failing) {
  return std::make_unique<FaultInjectingStore>(std::move(inner), std::move(failing));
}

}  // namespace spool::store
