// Metrics: counters, histograms and the per-minute summary after a known workload, driven by a
// real engine on a real SQLite file under a manual clock (no sleeps).
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <sstream>

#include "core/time_format.hpp"
#include "engine/engine.hpp"
#include "metrics/exposition.hpp"
#include "metrics/job_metrics.hpp"
#include "metrics/summary.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "support/temp_dir.hpp"

namespace spool::metrics {
namespace {

namespace json = boost::json;

template <typename T>
struct Answer {
  std::optional<StatusOr<T>> value;
  engine::Callback<T> cb() {
    return [this](StatusOr<T> r) { value = std::move(r); };
  }
  const T& ok() const {
    EXPECT_TRUE(value.has_value()) << "no answer yet";
    EXPECT_TRUE(value->has_value()) << value->error().message();
    return **value;
  }
};

TEST(ExpositionTest, HistogramsAreCumulativeAndLabelsEscaped) {
  static constexpr std::array<double, 2> kBounds = {0.5, 1};
  Histogram h(kBounds);
  h.observe(0.1);
  h.observe(0.5);
  h.observe(0.7);
  h.observe(3);
  Exposition x;
  x.family("t_seconds", "histogram", "help with \\ and\nnewline");
  x.histogram("t_seconds", {{"q", "a\"b"}}, h);
  EXPECT_EQ(x.take(),
            "# HELP t_seconds help with \\\\ and\\nnewline\n"
            "# TYPE t_seconds histogram\n"
            "t_seconds_bucket{q=\"a\\\"b\",le=\"0.5\"} 2\n"
            "t_seconds_bucket{q=\"a\\\"b\",le=\"1\"} 3\n"
            "t_seconds_bucket{q=\"a\\\"b\",le=\"+Inf\"} 4\n"
            "t_seconds_sum{q=\"a\\\"b\"} 4.3\n"
            "t_seconds_count{q=\"a\\\"b\"} 4\n");
}

TEST(SummaryMathTest, QuantilesInterpolateInsideTheBucket) {
  std::array<std::int64_t, ops::kRunMsBuckets.size() + 1> b{};
  EXPECT_FALSE(run_ms_quantile(b, 0.5));
  b[1] = 10;  // (5, 10] ms
  EXPECT_DOUBLE_EQ(*run_ms_quantile(b, 0.5), 7.5);
  EXPECT_DOUBLE_EQ(*run_ms_quantile(b, 1.0), 10);
  b[7] = 10;  // (500, 1000] ms
  EXPECT_DOUBLE_EQ(*run_ms_quantile(b, 0.5), 10);
  EXPECT_DOUBLE_EQ(*run_ms_quantile(b, 0.95), 950);  // rank 19 of 20: 9/10 into (500, 1000]
}

// The samples of family `name` in a scrape whose labels contain `with`: how many, and their sum.
struct FamilySamples {
  std::size_t series = 0;
  double sum = 0;
};
FamilySamples samples_of(const std::string& text, const std::string& name,
                         const std::string& with = "") {
  FamilySamples out;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(name + "{", 0) != 0 || line.find(with) == std::string::npos) continue;
    ++out.series;
    out.sum += std::stod(line.substr(line.rfind(' ') + 1));
  }
  return out;
}

engine::JobEvent job_event(engine::JobEventKind kind, std::string queue, std::string type) {
  engine::JobEvent e;
  e.kind = kind;
  e.queue = std::move(queue);
  e.type = std::move(type);
  e.wait_ms = 5;
  e.run_ms = 5;
  return e;
}

// D7: queue and type names come from clients; one enqueueing a new type per job must not grow the
// scrape (or the memory behind it) without bound, and the totals must still add up.
TEST(JobMetricsBoundsTest, FifteenHundredTypesMakeAtMostAThousandAndOneSeriesAndLoseNoCount) {
  JobMetrics m;
  std::vector<engine::JobEvent> events;
  for (int i = 0; i < 1500; ++i) {
    std::string queue = "q" + std::to_string(i);
    std::string type = "t" + std::to_string(i);
    events.push_back(job_event(engine::JobEventKind::kEnqueued, queue, type));
    events.push_back(job_event(engine::JobEventKind::kStarted, queue, type));
  }
  m.on_commit({}, events);
  // A pair seen before the bound keeps its own series after it.
  m.on_commit({}, std::vector{job_event(engine::JobEventKind::kEnqueued, "q0", "t0")});
  Gauges gauges;
  for (int i = 0; i < 1500; ++i) {
    Counts counts;
    counts[JobState::kQueued] = 1;
    gauges.jobs.push_back({"q" + std::to_string(i), counts});
    gauges.waiters.emplace_back("q" + std::to_string(i), 1);
  }
  std::string text = m.render(gauges);

  auto enqueued = samples_of(text, "spool_jobs_enqueued_total");
  EXPECT_LE(enqueued.series, kMaxLabelSets + 1);
  EXPECT_EQ(enqueued.sum, 1501);
  EXPECT_NE(text.find(R"(spool_jobs_enqueued_total{queue="q0",type="t0"} 2)"), std::string::npos);
  EXPECT_NE(text.find(R"(spool_jobs_enqueued_total{queue="_other",type="_other"} 500)"),
            std::string::npos);
  for (std::string family : {"spool_jobs_completed_total", "spool_jobs_dead_total",
                             "spool_jobs_cancelled_total", "spool_lease_expiries_total",
                             "spool_job_wait_seconds_count", "spool_job_run_seconds_count"}) {
    EXPECT_LE(samples_of(text, family).series, kMaxLabelSets + 1) << family;
  }
  auto retry_failed = samples_of(text, "spool_jobs_failed_total", R"(kind="retry")");
  EXPECT_LE(retry_failed.series, kMaxLabelSets + 1);
  auto waited = samples_of(text, "spool_job_wait_seconds_count");
  EXPECT_EQ(waited.sum, 1500);
  auto queued = samples_of(text, "spool_jobs", R"(state="queued")");
  EXPECT_LE(queued.series, kMaxLabelSets + 1);
  EXPECT_EQ(queued.sum, 1500);
  auto waiters = samples_of(text, "spool_waiters");
  EXPECT_LE(waiters.series, kMaxLabelSets + 1);
  EXPECT_EQ(waiters.sum, 1500);
}

class MetricsTest : public ::testing::Test {
 protected:
  void SetUp() override { open(); }

  void open() {
    engine_.reset();
    store::SqliteOptions options;
    options.path = dir_.file("spool.db");
    auto store = store::open_sqlite_store(options);
    ASSERT_TRUE(store) << store.error().message();
    engine::EngineOptions eo;
    eo.seed = ++opens_;
    engine_ = std::make_unique<engine::Engine>(std::move(*store), clock_, eo);
    metrics_ = std::make_shared<JobMetrics>();
    engine_->add_observer(metrics_);
    engine_->add_transaction_hook(std::make_shared<MinuteRecorder>());
  }

  void enqueue(const std::string& type, const std::string& queue, int n = 1) {
    std::vector<engine::EnqueueRequest> batch;
    for (int i = 0; i < n; ++i) {
      engine::EnqueueRequest r;
      r.type = type;
      r.queue = queue;
      r.max_attempts = 2;
      r.backoff = Backoff{BackoffType::kFixed, 1000, 1000, false};
      batch.push_back(std::move(r));
    }
    Answer<std::vector<ops::EnqueueResult>> a;
    engine_->enqueue(std::move(batch), a.cb());
    engine_->run_once();
    a.ok();
  }

  Job reserve(const std::string& queue) {
    Answer<std::vector<Job>> a;
    engine_->reserve({{queue}, 1, 0, std::nullopt, "w"}, a.cb());
    engine_->run_once();
    EXPECT_EQ(a.ok().size(), 1u);
    return a.ok().at(0);
  }

  void ack_after(const std::string& queue, std::int64_t run_ms) {
    Job j = reserve(queue);
    clock_.advance_ms(run_ms);
    Answer<ops::SettleResult> a;
    engine_->ack({j.id, j.lease_token, std::nullopt}, a.cb());
    engine_->run_once();
    a.ok();
  }

  void fail_after(const std::string& queue, std::int64_t run_ms, FailKind kind) {
    Job j = reserve(queue);
    clock_.advance_ms(run_ms);
    Answer<ops::SettleResult> a;
    engine_->fail({j.id, j.lease_token, "upstream 503", kind, std::nullopt}, a.cb());
    engine_->run_once();
    a.ok();
  }

  json::value summary(int hours, std::optional<std::string> queue = {}) {
    engine::ObservationRequest req;
    req.backlog = true;
    req.overdue_after_ms = 60'000;
    req.minutes_back_ms = hours * 3'600'000LL + kMinuteMs;
    Answer<engine::Observation> a;
    engine_->observe(req, a.cb());
    engine_->run_once();
    SummaryQuery q;
    q.hours = hours;
    q.queue = std::move(queue);
    return json::parse(summarize(a.ok(), q, metrics_->recent_failures()));
  }

  testing::TempDir dir_;
  ManualClock clock_{1'764'000'000'000};  // a whole minute
  std::uint64_t opens_ = 0;
  std::unique_ptr<engine::Engine> engine_;
  std::shared_ptr<JobMetrics> metrics_;
};

// Minute 0: 4 mail jobs and 1 pdf job enqueued; 3 mail acked after 10, 20 and 30 ms.
// Minute 1: one mail attempt fails (retry) after 100 ms, its retry fails permanently (dead).
// Minute 2 (after a restart): the pdf job is acked after 2000 ms; 2 mail jobs enqueued later sit
// queued 2 minutes (overdue past 60 s).
TEST_F(MetricsTest, SummaryFiguresMatchAKnownWorkloadAcrossARestart) {
  enqueue("send_email", "mail", 4);
  enqueue("render_pdf", "pdf", 1);
  ack_after("mail", 10);
  ack_after("mail", 20);
  ack_after("mail", 30);
  clock_.advance_ms(60'000);
  fail_after("mail", 100, FailKind::kRetry);
  clock_.advance_ms(1'000);
  engine_->run_once();  // the retry falls due
  fail_after("mail", 100, FailKind::kPermanent);

  open();  // restart: per-minute aggregates are in the file, not in memory
  clock_.advance_ms(60'000);
  ack_after("pdf", 2'000);
  enqueue("send_email", "mail", 2);
  TimeMs queued_at = clock_.now_ms();
  clock_.advance_ms(120'000);

  json::value s = summary(1);
  const json::object& o = s.as_object();
  EXPECT_EQ(o.at("total").as_int64(), 7);
  EXPECT_EQ(o.at("enqueued").as_int64(), 7);
  EXPECT_EQ(o.at("completed").as_int64(), 4);
  EXPECT_EQ(o.at("failed").as_int64(), 2);
  EXPECT_EQ(o.at("dead").as_int64(), 1);
  EXPECT_NEAR(o.at("success_rate").to_number<double>(), 4.0 / 5.0, 0.001);
  const json::object& p = o.at("processing_ms").as_object();
  EXPECT_EQ(p.at("count").as_int64(), 6);
  EXPECT_NEAR(p.at("avg").to_number<double>(), (10 + 20 + 30 + 100 + 100 + 2000) / 6.0, 0.001);
  // Buckets: 10 -> (5,10], 20 -> (10,25], 30 -> (25,50], 100 x2 -> (50,100], 2000 -> (1000,2500].
  // p50: rank 3 of 6 ends in (25,50] -> 50.
  EXPECT_DOUBLE_EQ(p.at("p50").to_number<double>(), 50);
  EXPECT_NEAR(p.at("p99").to_number<double>(), 1000 + 1500 * 0.94, 0.001);
  EXPECT_EQ(o.at("overdue").as_int64(), 2);
  EXPECT_EQ(o.at("oldest_queued_at").as_string(), format_rfc3339(queued_at));
  EXPECT_EQ(o.at("by_state").at("completed").as_int64(), 4);
  EXPECT_EQ(o.at("by_state").at("dead").as_int64(), 1);
  EXPECT_EQ(o.at("by_state").at("queued").as_int64(), 2);
  EXPECT_EQ(o.at("by_type").at("render_pdf").at("completed").as_int64(), 1);
  EXPECT_EQ(o.at("by_type").at("send_email").at("failed").as_int64(), 2);
  // The restart lost the in-memory failure list; the series kept its minutes.
  EXPECT_TRUE(o.at("recent_failures").as_array().empty());
  const json::array& series = o.at("series").as_array();
  ASSERT_EQ(series.size(), 3u);
  EXPECT_EQ(series[0].at("enqueued").as_int64(), 5);
  EXPECT_EQ(series[0].at("completed").as_int64(), 3);
  EXPECT_EQ(series[1].at("failed").as_int64(), 2);
  EXPECT_EQ(series[2].at("completed").as_int64(), 1);
  EXPECT_EQ(series[2].at("enqueued").as_int64(), 2);

  json::value pdf = summary(1, "pdf");
  EXPECT_EQ(pdf.at("total").as_int64(), 1);
  EXPECT_EQ(pdf.at("by_state").at("completed").as_int64(), 1);
  EXPECT_EQ(pdf.at("overdue").as_int64(), 0);
  EXPECT_TRUE(pdf.at("oldest_queued_at").is_null());
}

TEST_F(MetricsTest, MinutesOlderThanTheWindowAreLeftOutAndPrunedAfterSevenDays) {
  enqueue("send_email", "mail", 3);
  clock_.advance_ms(2 * 3'600'000);
  enqueue("send_email", "mail", 1);
  EXPECT_EQ(summary(1).at("total").as_int64(), 1);
  EXPECT_EQ(summary(3).at("total").as_int64(), 4);
  clock_.advance_ms(kMinuteRetentionMs);
  enqueue("send_email", "mail", 1);  // a transaction: prunes what is past the retention
  EXPECT_EQ(summary(kMaxSummaryHours).at("total").as_int64(), 2);
  // The first minute is gone from the file, not only from the window.
  engine::ObservationRequest all;
  all.minutes_back_ms = clock_.now_ms();
  Answer<engine::Observation> a;
  engine_->observe(all, a.cb());
  engine_->run_once();
  std::int64_t stored = 0;
  for (const auto& m : a.ok().minutes) stored += m.enqueued;
  EXPECT_EQ(stored, 2);
}

TEST_F(MetricsTest, RecentFailuresAreNewestFirstWithTheirErrors) {
  enqueue("send_email", "mail", 2);
  fail_after("mail", 5, FailKind::kPermanent);
  fail_after("mail", 5, FailKind::kRetry);
  json::value s = summary(1);
  const json::array& f = s.at("recent_failures").as_array();
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[0].at("kind").as_string(), "retry");
  EXPECT_EQ(f[1].at("kind").as_string(), "permanent");
  EXPECT_EQ(f[1].at("error").as_string(), "upstream 503");
}

TEST_F(MetricsTest, CountersAndHistogramsFollowTheEvents) {
  enqueue("send_email", "mail", 3);
  clock_.advance_ms(250);
  ack_after("mail", 40);
  fail_after("mail", 10, FailKind::kPermanent);
  Job j = reserve("mail");
  Answer<ops::SettleResult> released;
  engine_->fail({j.id, j.lease_token, "bye", FailKind::kRelease, std::nullopt}, released.cb());
  engine_->run_once();
  std::string text = metrics_->render({});
  auto has = [&](const std::string& line) {
    EXPECT_NE(text.find(line + "\n"), std::string::npos) << "missing: " << line << "\n" << text;
  };
  has(R"(spool_jobs_enqueued_total{queue="mail",type="send_email"} 3)");
  has(R"(spool_jobs_completed_total{queue="mail",type="send_email"} 1)");
  has(R"(spool_jobs_failed_total{queue="mail",type="send_email",kind="permanent"} 1)");
  has(R"(spool_jobs_failed_total{queue="mail",type="send_email",kind="retry"} 0)");
  has(R"(spool_jobs_dead_total{queue="mail",type="send_email"} 1)");
  has(R"(spool_job_wait_seconds_count{queue="mail"} 3)");
  has(R"(spool_job_wait_seconds_bucket{queue="mail",le="0.1"} 0)");
  has(R"(spool_job_wait_seconds_bucket{queue="mail",le="0.25"} 1)");
  has(R"(spool_job_run_seconds_count{queue="mail"} 2)");
  has(R"(spool_job_run_seconds_sum{queue="mail"} 0.05)");
  EXPECT_EQ(text.find("job_id"), std::string::npos);
}

}  // namespace
}  // namespace spool::metrics
