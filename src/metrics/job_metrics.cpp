#include "metrics/job_metrics.hpp"

namespace spool::metrics {
namespace {

constexpr std::array<std::string_view, 4> kFailKindNames = {"retry", "permanent", "lease_expired",
                                                            "timeout"};

int fail_index(FailKind kind) {
  switch (kind) {
    case FailKind::kRetry:
      return 0;
    case FailKind::kPermanent:
      return 1;
    case FailKind::kLeaseExpired:
      return 2;
    case FailKind::kTimeout:
      return 3;
    default:
      return -1;
  }
}

double seconds(std::int64_t ms) { return static_cast<double>(ms) / 1000.0; }

// True when `map` has room for one more key of its own: the kOtherLabel entry, once there, does
// not count against the bound.
template <typename Map, typename Key>
bool has_room(const Map& map, const Key& other) {
  return map.size() - map.count(other) < kMaxLabelSets;
}

}  // namespace

JobMetrics::QueueSeries& JobMetrics::queue_locked(const std::string& queue) {
  auto it = by_queue_.find(queue);
  if (it != by_queue_.end()) return it->second;
  const std::string other(kOtherLabel);
  if (!has_room(by_queue_, other)) return by_queue_[other];
  return by_queue_.emplace(queue, QueueSeries{}).first->second;
}

JobMetrics::TypeCounters& JobMetrics::type_locked(const std::string& queue,
                                                  const std::string& type) {
  auto key = std::make_pair(queue, type);
  auto it = by_type_.find(key);
  if (it != by_type_.end()) return it->second;
  auto other = std::make_pair(std::string(kOtherLabel), std::string(kOtherLabel));
  if (!has_room(by_type_, other)) return by_type_[other];
  return by_type_.emplace(std::move(key), TypeCounters{}).first->second;
}

void JobMetrics::on_commit(const engine::CommitInfo& commit,
                           std::span<const engine::JobEvent> events) {
  std::lock_guard lock(mu_);
  commit_seconds_.observe(commit.commit_seconds);
  batch_seconds_.observe(commit.batch_seconds);
  batch_commands_.observe(static_cast<double>(commit.commands));
  // Batches usually touch one queue and type: remember the last lookup instead of building a
  // key (and allocating) per event.
  const engine::JobEvent* last = nullptr;
  TypeCounters* counters = nullptr;
  QueueSeries* series = nullptr;
  for (const engine::JobEvent& e : events) {
    if (!last || last->queue != e.queue || last->type != e.type) {
      counters = &type_locked(e.queue, e.type);
      series = &queue_locked(e.queue);
      last = &e;
    }
    int failed = e.fail_kind ? fail_index(*e.fail_kind) : -1;
    switch (e.kind) {
      case engine::JobEventKind::kEnqueued:
        ++counters->enqueued;
        break;
      case engine::JobEventKind::kStarted:
        if (e.wait_ms) series->wait.observe(seconds(*e.wait_ms));
        break;
      case engine::JobEventKind::kCompleted:
        ++counters->completed;
        if (e.run_ms) series->run.observe(seconds(*e.run_ms));
        break;
      case engine::JobEventKind::kRetrying:
      case engine::JobEventKind::kDead:
        if (failed >= 0) {
          ++counters->failed[failed];
          if (failures_.size() == kRecentFailures) failures_.pop_back();
          failures_.push_front(RecentFailure{e.id, e.type, e.queue,
                                             std::string(kFailKindNames[failed]), e.error,
                                             e.attempt, e.at});
        }
        if (e.kind == engine::JobEventKind::kDead) ++counters->dead;
        if (e.fail_kind == FailKind::kLeaseExpired) ++series->lease_expiries;
        if (e.run_ms) series->run.observe(seconds(*e.run_ms));
        break;
      case engine::JobEventKind::kCancelled:
        ++counters->cancelled;
        break;
      case engine::JobEventKind::kProgress:
      case engine::JobEventKind::kSnoozed:
      case engine::JobEventKind::kReleased:
      case engine::JobEventKind::kRetried:
        break;
    }
  }
}

std::vector<RecentFailure> JobMetrics::recent_failures() const {
  std::lock_guard lock(mu_);
  return {failures_.begin(), failures_.end()};
}

void JobMetrics::observe_request(std::string_view route, int status, double seconds) {
  std::lock_guard lock(mu_);
  auto key = std::make_pair(route, status);
  auto it = http_.find(key);
  if (it == http_.end()) it = http_.emplace(key, Histogram(kHttpSecondsBuckets)).first;
  it->second.observe(seconds);
}

std::string JobMetrics::render(const Gauges& gauges) const {
  Exposition x;
  x.family("spool_jobs", "gauge", "Jobs by queue and state, retained finished jobs included.");
  auto job_sample = [&](std::string_view queue, const Counts& counts) {
    for (JobState s : kAllJobStates) {
      x.sample("spool_jobs", {{"queue", queue}, {"state", to_string(s)}}, counts[s]);
    }
  };
  Counts other_jobs;
  for (std::size_t i = 0; i < gauges.jobs.size(); ++i) {
    if (i < kMaxLabelSets) {
      job_sample(gauges.jobs[i].queue, gauges.jobs[i].counts);
    } else {
      other_jobs.add(gauges.jobs[i].counts);
    }
  }
  if (gauges.jobs.size() > kMaxLabelSets) job_sample(kOtherLabel, other_jobs);
  x.family("spool_waiters", "gauge", "Long polls parked waiting for a job, by queue.");
  std::size_t other_waiters = 0;
  for (std::size_t i = 0; i < gauges.waiters.size(); ++i) {
    const auto& [queue, n] = gauges.waiters[i];
    if (i < kMaxLabelSets) {
      x.sample("spool_waiters", {{"queue", queue}}, static_cast<double>(n));
    } else {
      other_waiters += n;
    }
  }
  if (gauges.waiters.size() > kMaxLabelSets) {
    x.sample("spool_waiters", {{"queue", kOtherLabel}}, static_cast<double>(other_waiters));
  }
  x.family("spool_breaker_open", "gauge",
           "1 while the push circuit breaker of a target is open, else 0.");
  for (const auto& [target, open] : gauges.breakers) {
    x.sample("spool_breaker_open", {{"target", target}}, open ? 1 : 0);
  }

  std::lock_guard lock(mu_);
  auto counter = [&](std::string_view name, std::string_view help, auto field) {
    x.family(name, "counter", help);
    for (const auto& [key, c] : by_type_) {
      x.sample(name, {{"queue", key.first}, {"type", key.second}}, static_cast<double>(c.*field));
    }
  };
  counter("spool_jobs_enqueued_total", "Jobs stored by enqueue (dedupe hits not counted).",
          &TypeCounters::enqueued);
  counter("spool_jobs_completed_total", "Jobs acked by a worker.", &TypeCounters::completed);
  x.family("spool_jobs_failed_total", "counter",
           "Failed attempts by kind: retry, permanent or lease_expired (snooze and release are "
           "not failures).");
  for (const auto& [key, c] : by_type_) {
    for (int k = 0; k < kFailKinds; ++k) {
      x.sample("spool_jobs_failed_total",
               {{"queue", key.first}, {"type", key.second}, {"kind", kFailKindNames[k]}},
               static_cast<double>(c.failed[k]));
    }
  }
  counter("spool_jobs_dead_total", "Jobs moved to the dead-letter state.", &TypeCounters::dead);
  counter("spool_jobs_cancelled_total", "Jobs cancelled before they ran.",
          &TypeCounters::cancelled);
  x.family("spool_lease_expiries_total", "counter",
           "Active jobs whose lease ran out before an ack or fail.");
  for (const auto& [queue, s] : by_queue_) {
    x.sample("spool_lease_expiries_total", {{"queue", queue}},
             static_cast<double>(s.lease_expiries));
  }
  x.family("spool_job_wait_seconds", "histogram",
           "Time from when a job was due to when a worker started it.");
  for (const auto& [queue, s] : by_queue_)
    x.histogram("spool_job_wait_seconds", {{"queue", queue}}, s.wait);
  x.family("spool_job_run_seconds", "histogram",
           "Time from start to ack, fail or lease expiry of an attempt.");
  for (const auto& [queue, s] : by_queue_)
    x.histogram("spool_job_run_seconds", {{"queue", queue}}, s.run);
  x.family("spool_store_commit_seconds", "histogram",
           "Time the store took to commit one engine batch (the fsync in strict mode).");
  x.histogram("spool_store_commit_seconds", {}, commit_seconds_);
  x.family("spool_store_batch_seconds", "histogram",
           "Time one engine transaction took, begin to commit.");
  x.histogram("spool_store_batch_seconds", {}, batch_seconds_);
  x.family("spool_store_commit_batch_commands", "histogram",
           "Commands (writes and long polls served) applied in one committed transaction.");
  x.histogram("spool_store_commit_batch_commands", {}, batch_commands_);
  x.family("spool_http_request_seconds", "histogram",
           "HTTP requests by route pattern and status code, from request read to answer "
           "written.");
  for (const auto& [key, h] : http_) {
    std::string code = std::to_string(key.second);
    x.histogram("spool_http_request_seconds", {{"route", key.first}, {"code", code}}, h);
  }
  return x.take();
}

}  // namespace spool::metrics
