#include "metrics/readiness.hpp"

#include <algorithm>
#include <cmath>

#include "engine/engine.hpp"
#include "metrics/summary.hpp"

namespace spool::metrics {

ReadinessProbe readiness_probe(const StatusOr<engine::Observation>& observed,
                               double store_latency_ms, PushView push) {
  ReadinessProbe probe;
  probe.store_latency_ms = store_latency_ms;
  probe.push = std::move(push);
  if (!observed) {
    probe.store_error = observed.error().message();
    return probe;
  }
  const engine::Observation& obs = *observed;
  if (obs.store_error) probe.store_error = obs.store_error->message();
  for (const QueueInfo& q : obs.stats.queues) {
    QueueReadiness& queue = probe.queues.emplace_back();
    queue.name = q.name;
    queue.paused = q.paused;
    queue.counts = q.counts;
    for (const auto& [name, n] : obs.waiters) {
      if (name == q.name) queue.waiters = static_cast<std::int64_t>(n);
    }
    for (const auto& b : obs.backlog) {
      if (b.queue == q.name && b.oldest_run_at) {
        queue.oldest_queued_ms = std::max<std::int64_t>(0, obs.now - *b.oldest_run_at);
      }
    }
  }
  TimeMs since = obs.now - kReadinessFailureWindowMs;
  since -= since % kMinuteMs;  // whole minutes: the aggregates' grain
  probe.failure_rate = failure_rate(obs.minutes, since);
  return probe;
}

Readiness judge_readiness(const ReadinessProbe& probe, const ReadinessThresholds& t) {
  Readiness verdict;
  verdict.ready = !probe.store_error;
  auto warn = [&](std::string_view code, std::string message,
                  std::optional<std::string> queue = std::nullopt) {
    verdict.warnings.push_back({code, std::move(message), std::move(queue)});
  };
  if (probe.store_latency_ms > static_cast<double>(t.store_latency_ms)) {
    warn("store_latency", "the store answered in " +
                              std::to_string(static_cast<std::int64_t>(probe.store_latency_ms)) +
                              " ms, above the " + std::to_string(t.store_latency_ms) +
                              " ms threshold");
  }
  for (const QueueReadiness& q : probe.queues) {
    std::int64_t queued = q.counts[JobState::kQueued];
    if (queued > t.backlog) {
      warn("backlog",
           "queue " + q.name + " has " + std::to_string(queued) + " queued jobs, above the " +
               std::to_string(t.backlog) + " threshold",
           q.name);
    }
    if (q.oldest_queued_ms && *q.oldest_queued_ms > t.oldest_queued_ms) {
      warn("oldest_queued",
           "queue " + q.name + "'s oldest queued job has waited " +
               std::to_string(*q.oldest_queued_ms) + " ms, above the " +
               std::to_string(t.oldest_queued_ms) + " ms threshold",
           q.name);
    }
  }
  if (probe.failure_rate) {
    double percent = *probe.failure_rate * 100;
    if (percent > static_cast<double>(t.failure_rate_percent)) {
      warn("failure_rate", std::to_string(std::lround(percent)) +
                               "% of attempts failed in the last 5 minutes, above the " +
                               std::to_string(t.failure_rate_percent) + "% threshold");
    }
  }
  // Push delivery (docs/push.md): a failing endpoint is someone else's outage, so a warning.
  for (const PushBreakerView& b : probe.push.breakers) {
    if (b.state != "closed") {
      warn("breaker_open", "the push circuit breaker of " + b.target + " is " + b.state +
                               " after " + std::to_string(b.consecutive_failures) +
                               " consecutive failures");
    }
  }
  for (const PushQueueView& q : probe.push.queues) {
    if (q.state == "gone" || q.state == "invalid_config") {
      warn(q.state == "gone" ? "push_gone" : "push_config",
           "push of queue " + q.queue + ": " + q.message, q.queue);
    }
  }
  return verdict;
}

}  // namespace spool::metrics
