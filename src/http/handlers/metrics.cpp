// GET /metrics (Prometheus text), GET /v1/metrics/summary and GET /readyz: one visit to the
// engine (Engine::observe) each, then encoding on the session's strand; /readyz, being public,
// reuses a probe for about a second (metrics/readiness_cache.hpp). What the answers mean is
// decided in metrics/ (summary.hpp, readiness.hpp); these parse, call and encode.
#include <charconv>
#include <chrono>

#include "core/json_writer.hpp"
#include "engine/engine.hpp"
#include "http/handlers/handlers.hpp"
#include "metrics/job_metrics.hpp"
#include "metrics/readiness.hpp"
#include "metrics/readiness_cache.hpp"
#include "metrics/summary.hpp"

namespace spool::http::handlers {
namespace {

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

// GET /readyz's body (docs/api.md); the verdict is metrics::judge_readiness()'s.
std::string encode_readiness(const metrics::ReadinessProbe& probe,
                             const metrics::Readiness& verdict) {
  JsonWriter w;
  w.begin_object().field("status", verdict.ready ? "ok" : "unavailable");
  w.key("store")
      .begin_object()
      .field("ok", verdict.ready)
      .field("latency_ms", probe.store_latency_ms);
  if (probe.store_error) w.field("error", *probe.store_error);
  w.end_object();
  w.key("queues").begin_object();
  for (const metrics::QueueReadiness& q : probe.queues) {
    w.key(q.name).begin_object();
    w.field("paused", q.paused)
        .field("queued", q.counts[JobState::kQueued])
        .field("active", q.counts[JobState::kActive])
        .field("scheduled", q.counts[JobState::kScheduled])
        .field("retrying", q.counts[JobState::kRetrying]);
    w.field("waiters", q.waiters);
    w.key("oldest_queued_ms");
    if (q.oldest_queued_ms) {
      w.value(*q.oldest_queued_ms);
    } else {
      w.null();
    }
    w.end_object();
  }
  w.end_object();
  w.key("breakers").begin_object();
  for (const auto& b : probe.push.breakers) {
    w.key(b.target).begin_object();
    w.field("state", b.state)
        .field("consecutive_failures", b.consecutive_failures)
        .field("retry_in_ms", b.retry_in_ms);
    w.end_object();
  }
  w.end_object();
  w.key("push").begin_object();
  for (const auto& q : probe.push.queues) {
    w.key(q.queue).begin_object();
    w.field("target", q.target).field("state", q.state).field("in_flight", q.in_flight);
    if (!q.message.empty()) w.field("message", q.message);
    w.end_object();
  }
  w.end_object();
  w.key("warnings").begin_array();
  for (const metrics::ReadinessWarning& warning : verdict.warnings) {
    w.begin_object().field("code", warning.code).field("message", warning.message);
    if (warning.queue) w.field("queue", *warning.queue);
    w.end_object();
  }
  w.end_array();
  w.end_object();
  return w.take();
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

namespace {

// One visit to the engine for /readyz: the store's answer and how long it took. Push state is
// left out: it is read fresh for every answer, cached probe or not.
void probe_store(engine::Engine& engine, const metrics::ReadinessCache::Answer& done) {
  auto start = std::chrono::steady_clock::now();
  engine::ObservationRequest o;
  o.backlog = true;
  o.minutes_back_ms = metrics::kReadinessFailureWindowMs + metrics::kMinuteMs;
  engine.observe(std::move(o), [start, done](const StatusOr<engine::Observation>& r) {
    double latency =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    done(metrics::readiness_probe(r, latency, metrics::PushView{}));
  });
}

}  // namespace

void readyz(Context& ctx, const Request&, ExchangePtr ex) {
  metrics::ReadinessThresholds t = ctx.watch.ready;
  metrics::PushViewSource push = ctx.push;
  auto answer = [ex, t, push](const metrics::ReadinessProbe& store_probe) {
    metrics::ReadinessProbe probe = store_probe;
    if (push) probe.push = push();
    metrics::Readiness verdict = metrics::judge_readiness(probe, t);
    ex->respond(json_response(verdict.ready ? 200 : 503, encode_readiness(probe, verdict)));
  };
  engine::Engine* engine = &ctx.engine;
  if (!ctx.readiness) return probe_store(*engine, answer);
  ctx.readiness->get(
      [engine](const metrics::ReadinessCache::Answer& done) { probe_store(*engine, done); },
      std::move(answer));
}

}  // namespace spool::http::handlers
