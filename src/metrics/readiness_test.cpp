// Readiness: the rules behind GET /readyz, on hand-built observations (no engine, no clock).
// The answer's bytes are checked against a real server in test/integration/.
#include "metrics/readiness.hpp"

#include <gtest/gtest.h>

#include "engine/engine.hpp"
#include "metrics/summary.hpp"

namespace spool::metrics {
namespace {

constexpr TimeMs kNow = 1'700'000'030'000;  // 30 s into a minute

QueueReadiness queue(std::string name, std::int64_t queued,
                     std::optional<std::int64_t> oldest_queued_ms = std::nullopt) {
  QueueReadiness q;
  q.name = std::move(name);
  q.counts[JobState::kQueued] = queued;
  q.oldest_queued_ms = oldest_queued_ms;
  return q;
}

std::vector<std::string_view> codes(const Readiness& verdict) {
  std::vector<std::string_view> out;
  for (const auto& w : verdict.warnings) out.push_back(w.code);
  return out;
}

TEST(ReadinessTest, OnlyTheStoreDecidesWhetherTheServerIsReady) {
  ReadinessProbe troubled;
  troubled.store_latency_ms = 10'000;
  troubled.queues.push_back(queue("mail", 1'000'000, 86'400'000));
  troubled.failure_rate = 1.0;
  troubled.push.breakers.push_back({"api.example.com:443", "open", 12, 5000});
  Readiness verdict = judge_readiness(troubled, ReadinessThresholds{});
  EXPECT_TRUE(verdict.ready);
  EXPECT_EQ(verdict.warnings.size(), 5u);

  ReadinessProbe calm_but_broken;
  calm_but_broken.store_error = "database or disk is full";
  verdict = judge_readiness(calm_but_broken, ReadinessThresholds{});
  EXPECT_FALSE(verdict.ready);
  EXPECT_TRUE(verdict.warnings.empty());
}

TEST(ReadinessTest, WarningsSayWhatIsAboveWhichThresholdInTheOrderReadyzListsThem) {
  ReadinessThresholds t;
  t.backlog = 100;
  t.failure_rate_percent = 10;
  t.oldest_queued_ms = 60'000;
  t.store_latency_ms = 5;
  ReadinessProbe probe;
  probe.store_latency_ms = 7.9;
  probe.queues.push_back(queue("mail", 150, 90'000));
  probe.queues.push_back(queue("calm", 3, 10));
  probe.failure_rate = 0.255;
  probe.push.breakers.push_back({"api.example.com:443", "half_open", 4, 0});
  probe.push.breakers.push_back({"ok.example.com:443", "closed", 0, 0});
  probe.push.queues.push_back(
      {"events", "old.example.com:443", "gone", "the endpoint said 410", 0});
  probe.push.queues.push_back({"hooks", "", "invalid_config", "push.url is not a URL", 0});
  probe.push.queues.push_back({"fine", "ok.example.com:443", "delivering", "", 2});

  Readiness verdict = judge_readiness(probe, t);

  ASSERT_EQ(codes(verdict), (std::vector<std::string_view>{
                                "store_latency", "backlog", "oldest_queued", "failure_rate",
                                "breaker_open", "push_gone", "push_config"}));
  const auto& w = verdict.warnings;
  EXPECT_EQ(w[0].message, "the store answered in 7 ms, above the 5 ms threshold");
  EXPECT_FALSE(w[0].queue);
  EXPECT_EQ(w[1].message, "queue mail has 150 queued jobs, above the 100 threshold");
  EXPECT_EQ(w[1].queue, "mail");
  EXPECT_EQ(w[2].message,
            "queue mail's oldest queued job has waited 90000 ms, above the 60000 ms threshold");
  EXPECT_EQ(w[2].queue, "mail");
  EXPECT_EQ(w[3].message, "26% of attempts failed in the last 5 minutes, above the 10% threshold");
  EXPECT_FALSE(w[3].queue);
  EXPECT_EQ(w[4].message,
            "the push circuit breaker of api.example.com:443 is half_open after 4 consecutive "
            "failures");
  EXPECT_FALSE(w[4].queue);
  EXPECT_EQ(w[5].message, "push of queue events: the endpoint said 410");
  EXPECT_EQ(w[5].queue, "events");
  EXPECT_EQ(w[6].message, "push of queue hooks: push.url is not a URL");
  EXPECT_EQ(w[6].queue, "hooks");
}

TEST(ReadinessTest, AValueAtItsThresholdIsNoWarning) {
  ReadinessThresholds t;
  ReadinessProbe probe;
  probe.store_latency_ms = static_cast<double>(t.store_latency_ms);
  probe.queues.push_back(queue("mail", t.backlog, t.oldest_queued_ms));
  probe.failure_rate = static_cast<double>(t.failure_rate_percent) / 100;
  EXPECT_TRUE(judge_readiness(probe, t).warnings.empty());

  probe.queues[0].counts[JobState::kQueued] = t.backlog + 1;
  EXPECT_EQ(codes(judge_readiness(probe, t)), std::vector<std::string_view>{"backlog"});
}

TEST(ReadinessTest, NoEndedAttemptsAndNoQueuedJobsAreNoWarning) {
  ReadinessProbe probe;
  probe.queues.push_back(queue("empty", 0));
  ReadinessThresholds strict{0, 0, 0, 1'000'000};
  EXPECT_TRUE(judge_readiness(probe, strict).warnings.empty());
}

TEST(ReadinessTest, AFailedObservationMeansTheStoreIsNotReadyAndNothingElseIsKnown) {
  StatusOr<engine::Observation> failed =
      tl::unexpected(Status(StatusCode::kUnavailable, "the engine is stopping"));
  PushView push;
  push.breakers.push_back({"api.example.com:443", "closed", 0, 0});

  ReadinessProbe probe = readiness_probe(failed, 1.5, push);

  EXPECT_EQ(probe.store_error, "the engine is stopping");
  EXPECT_DOUBLE_EQ(probe.store_latency_ms, 1.5);
  EXPECT_TRUE(probe.queues.empty());
  EXPECT_FALSE(probe.failure_rate);
  ASSERT_EQ(probe.push.breakers.size(), 1u);
  EXPECT_FALSE(judge_readiness(probe, ReadinessThresholds{}).ready);
}

TEST(ReadinessTest, AStoreErrorStillReportsTheQueuesItSaw) {
  engine::Observation obs;
  obs.now = kNow;
  obs.store_error = Status(StatusCode::kUnavailable, "database or disk is full");
  obs.stats.queues.push_back(QueueInfo{"mail", false, {}, {}});

  ReadinessProbe probe = readiness_probe(obs, 0.2, {});

  EXPECT_EQ(probe.store_error, "database or disk is full");
  ASSERT_EQ(probe.queues.size(), 1u);
  EXPECT_EQ(probe.queues[0].name, "mail");
}

TEST(ReadinessTest, EachQueueGetsItsWaitersAndTheAgeOfItsOldestReadyJob) {
  engine::Observation obs;
  obs.now = kNow;
  QueueInfo mail{"mail", true, {}, {}};
  mail.counts[JobState::kQueued] = 4;
  mail.counts[JobState::kActive] = 2;
  obs.stats.queues.push_back(mail);
  obs.stats.queues.push_back(QueueInfo{"idle", false, {}, {}});
  obs.stats.queues.push_back(QueueInfo{"clock_skew", false, {}, {}});
  obs.waiters = {{"mail", 3}, {"elsewhere", 9}};
  auto& mail_backlog = obs.backlog.emplace_back();
  mail_backlog.queue = "mail";
  mail_backlog.queued = 4;
  mail_backlog.oldest_run_at = kNow - 950;
  // A job due after the observation's now (set by another server's clock) has not waited.
  auto& skewed = obs.backlog.emplace_back();
  skewed.queue = "clock_skew";
  skewed.queued = 1;
  skewed.oldest_run_at = kNow + 5'000;

  ReadinessProbe probe = readiness_probe(obs, 0.2, {});

  EXPECT_FALSE(probe.store_error);
  ASSERT_EQ(probe.queues.size(), 3u);
  const QueueReadiness& q = probe.queues[0];
  EXPECT_EQ(q.name, "mail");
  EXPECT_TRUE(q.paused);
  EXPECT_EQ(q.counts[JobState::kQueued], 4);
  EXPECT_EQ(q.counts[JobState::kActive], 2);
  EXPECT_EQ(q.waiters, 3);
  EXPECT_EQ(q.oldest_queued_ms, 950);
  EXPECT_EQ(probe.queues[1].waiters, 0);
  EXPECT_FALSE(probe.queues[1].oldest_queued_ms);
  EXPECT_EQ(probe.queues[2].oldest_queued_ms, 0);
}

TEST(ReadinessTest, TheFailureRateCountsTheWholeMinutesOfTheLastFive) {
  engine::Observation obs;
  obs.now = kNow;
  TimeMs window_start = kNow - kReadinessFailureWindowMs;
  window_start -= window_start % kMinuteMs;
  auto minute = [&](TimeMs at, std::int64_t failed, std::int64_t completed) {
    auto& m = obs.minutes.emplace_back();
    m.minute = at;
    m.queue = "mail";
    m.type = "send";
    m.failed = failed;
    m.completed = completed;
  };
  minute(window_start - kMinuteMs, 100, 0);  // before the window: not counted
  minute(window_start, 1, 2);                // the window's first, partly older, minute counts
  minute(kNow - kNow % kMinuteMs, 0, 1);

  ReadinessProbe probe = readiness_probe(obs, 0.2, {});

  ASSERT_TRUE(probe.failure_rate);
  EXPECT_DOUBLE_EQ(*probe.failure_rate, 0.25);

  obs.minutes.clear();
  EXPECT_FALSE(readiness_probe(obs, 0.2, {}).failure_rate);
}

}  // namespace
}  // namespace spool::metrics
