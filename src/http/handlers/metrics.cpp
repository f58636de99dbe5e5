// GET /metrics (Prometheus text), GET /v1/metrics/summary and GET /readyz: one visit to the
// engine (Engine::observe) each, then encoding on the session's strand.
#include <charconv>
#include <chrono>

#include "core/json_writer.hpp"
#include "engine/engine.hpp"
#include "http/handlers/handlers.hpp"
#include "metrics/job_metrics.hpp"
#include "metrics/summary.hpp"

namespace spool::http::handlers {
namespace {

constexpr std::int64_t kFailureRateWindowMs = 5 * 60'000;

Status metrics_off() {
  return Status(StatusCode::kUnavailable, "metrics are not enabled on this server");
}

// ?hours=N (1..168, default 24) and ?queue=NAME.
StatusOr<metrics::SummaryQuery> parse_summary_query(const QueryParams& query,
                                                    std::int64_t overdue_ms) {
  metrics::SummaryQuery q;
  q.overdue_ms = overdue_ms;
  for (const auto& [key, value] : query) {
    if (key == "hours") {
      int n = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (ec != std::errc() || end != value.data() + value.size() ||
          n < metrics::kMinSummaryHours || n > metrics::kMaxSummaryHours) {
        return tl::unexpected(Status(StatusCode::kInvalidArgument,
                                     "hours must be an integer between 1 and 168 (7 days of "
                                     "per-minute data are kept), got \"" +
                                         value + "\"",
                                     "hours"));
      }
      q.hours = n;
    } else if (key == "queue") {
      if (!value.empty()) q.queue = value;
    } else {
      return tl::unexpected(Status(
          StatusCode::kInvalidArgument,
          "unknown query parameter \"" + key + "\"; the summary takes hours and queue", key));
    }
  }
  return q;
}

}  // namespace

void metrics(Context& ctx, const Request&, ExchangePtr ex) {
  if (!ctx.metrics) return respond_error(ex, metrics_off());
  std::shared_ptr<metrics::JobMetrics> m = ctx.metrics;
  metrics::PushViewSource push = ctx.push;
  ctx.engine.observe(engine::ObservationRequest{}, [ex, m, push](StatusOr<engine::Observation> r) {
    if (!r) return respond_error(ex, r.error());
    ex->respond_with([ex, m, push, obs = std::move(*r)] {
      metrics::Gauges g;
      for (const QueueInfo& q : obs.stats.queues) g.jobs.push_back({q.name, q.counts});
      g.waiters = obs.waiters;
      if (push) {
        for (const auto& b : push().breakers)
          g.breakers.emplace_back(b.target, b.state != "closed");
      }
      Response res;
      res.status = 200;
      res.content_type = "text/plain; version=0.0.4; charset=utf-8";
      res.body = m->render(g);
      return res;
    });
  });
}

void metrics_summary(Context& ctx, const Request& req, ExchangePtr ex) {
  if (!ctx.metrics) return respond_error(ex, metrics_off());
  auto query = parse_summary_query(*req.query, ctx.watch.overdue_ms);
  if (!query) return respond_error(ex, query.error());
  engine::ObservationRequest o;
  o.backlog = true;
  o.overdue_after_ms = query->overdue_ms;
  o.minutes_back_ms = static_cast<std::int64_t>(query->hours) * 3'600'000 + metrics::kMinuteMs;
  o.queue = query->queue;
  std::shared_ptr<metrics::JobMetrics> m = ctx.metrics;
  ctx.engine.observe(std::move(o), [ex, m, q = *query](StatusOr<engine::Observation> r) {
    if (!r) return respond_error(ex, r.error());
    ex->respond_with([m, q, obs = std::move(*r)] {
      return json_response(200, metrics::summarize(obs, q, m->recent_failures()));
    });
  });
}

// Only the store decides 200 or 503; the thresholds only add warnings (API.md).
void readyz(Context& ctx, const Request&, ExchangePtr ex) {
  auto start = std::chrono::steady_clock::now();
  engine::ObservationRequest o;
  o.backlog = true;
  o.minutes_back_ms = kFailureRateWindowMs + metrics::kMinuteMs;
  ReadinessThresholds t = ctx.watch.ready;
  metrics::PushViewSource push = ctx.push;
  ctx.engine.observe(std::move(o), [ex, start, t, push](StatusOr<engine::Observation> r) {
    double latency =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    bool ok = r && !r->store_error;
    JsonWriter w;
    w.begin_object().field("status", ok ? "ok" : "unavailable");
    w.key("store").begin_object().field("ok", ok).field("latency_ms", latency);
    if (!r) {
      w.field("error", r.error().message());
    } else if (r->store_error) {
      w.field("error", r->store_error->message());
    }
    w.end_object();
    JsonWriter warnings;
    warnings.begin_array();
    auto warn = [&](std::string_view code, const std::string& message, const std::string* queue) {
      warnings.begin_object().field("code", code).field("message", message);
      if (queue) warnings.field("queue", *queue);
      warnings.end_object();
    };
    if (latency > static_cast<double>(t.store_latency_ms)) {
      warn("store_latency",
           "the store answered in " + std::to_string(static_cast<std::int64_t>(latency)) +
               " ms, above the " + std::to_string(t.store_latency_ms) + " ms threshold",
           nullptr);
    }
    w.key("queues").begin_object();
    if (r) {
      const engine::Observation& obs = *r;
      for (const QueueInfo& q : obs.stats.queues) {
        w.key(q.name).begin_object();
        w.field("paused", q.paused)
            .field("queued", q.counts[JobState::kQueued])
            .field("active", q.counts[JobState::kActive])
            .field("scheduled", q.counts[JobState::kScheduled])
            .field("retrying", q.counts[JobState::kRetrying]);
        std::size_t waiting = 0;
        for (const auto& [name, n] : obs.waiters) {
          if (name == q.name) waiting = n;
        }
        w.field("waiters", static_cast<std::int64_t>(waiting));
        std::optional<std::int64_t> age;
        for (const auto& b : obs.backlog) {
          if (b.queue == q.name && b.oldest_run_at)
            age = std::max<std::int64_t>(0, obs.now - *b.oldest_run_at);
        }
        w.key("oldest_queued_ms");
        if (age) {
          w.value(*age);
        } else {
          w.null();
        }
        w.end_object();
        if (q.counts[JobState::kQueued] > t.backlog) {
          warn("backlog",
               "queue " + q.name + " has " + std::to_string(q.counts[JobState::kQueued]) +
                   " queued jobs, above the " + std::to_string(t.backlog) + " threshold",
               &q.name);
        }
        if (age && *age > t.oldest_queued_ms) {
          warn("oldest_queued",
               "queue " + q.name + "'s oldest queued job has waited " + std::to_string(*age) +
                   " ms, above the " + std::to_string(t.oldest_queued_ms) + " ms threshold",
               &q.name);
        }
      }
      TimeMs since = obs.now - kFailureRateWindowMs;
      since -= since % metrics::kMinuteMs;  // whole minutes: the aggregates' grain
      if (auto rate = metrics::failure_rate(obs.minutes, since)) {
        double percent = *rate * 100;
        if (percent > static_cast<double>(t.failure_rate_percent)) {
          warn("failure_rate",
               std::to_string(static_cast<int>(percent + 0.5)) +
                   "% of attempts failed in the last 5 minutes, above the " +
                   std::to_string(t.failure_rate_percent) + "% threshold",
               nullptr);
        }
      }
    }
    w.end_object();
    // Push delivery (docs/push.md): breakers by target and each push queue's state. Neither
    // changes the status: a failing endpoint is not this server failing.
    w.key("breakers").begin_object();
    metrics::PushView pv;
    if (push) pv = push();
    for (const auto& b : pv.breakers) {
      w.key(b.target).begin_object();
      w.field("state", b.state)
          .field("consecutive_failures", b.consecutive_failures)
          .field("retry_in_ms", b.retry_in_ms);
      w.end_object();
      if (b.state != "closed") {
        warn("breaker_open",
             "the push circuit breaker of " + b.target + " is " + b.state + " after " +
                 std::to_string(b.consecutive_failures) + " consecutive failures",
             nullptr);
      }
    }
    w.end_object();
    w.key("push").begin_object();
    for (const auto& q : pv.queues) {
      w.key(q.queue).begin_object();
      w.field("target", q.target).field("state", q.state).field("in_flight", q.in_flight);
      if (!q.message.empty()) w.field("message", q.message);
      w.end_object();
      if (q.state == "gone" || q.state == "invalid_config") {
        warn(q.state == "gone" ? "push_gone" : "push_config",
             "push of queue " + q.queue + ": " + q.message, &q.queue);
      }
    }
    w.end_object();
    warnings.end_array();
    w.key("warnings").raw(warnings.take());
    w.end_object();
    ex->respond(json_response(ok ? 200 : 503, w.take()));
  });
}

}  // namespace spool::http::handlers
