// Job events: every transition reaches observers after its commit, in order, with the fields
// job_events.hpp promises; a rolled-back batch reaches no one. Real SQLite store, manual clock.
#include "engine/job_events.hpp"

#include <gtest/gtest.h>

#include "engine/engine.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "support/temp_dir.hpp"

namespace spool::engine {
namespace {

template <typename T>
struct Answer {
  std::optional<StatusOr<T>> value;
  Callback<T> cb() {
    return [this](StatusOr<T> r) { value = std::move(r); };
  }
  const T& ok() const {
    EXPECT_TRUE(value.has_value()) << "no answer yet";
    EXPECT_TRUE(value->has_value()) << value->error().message();
    return **value;
  }
};

// Records what it is told; also notes whether the caller had been answered yet.
class Recorder final : public JobObserver {
 public:
  void on_commit(const CommitInfo& commit, std::span<const JobEvent> events) override {
    commits.push_back(commit);
    this->events.insert(this->events.end(), events.begin(), events.end());
    if (probe) answered_before_observer.push_back(probe());
  }
  std::vector<JobEventKind> kinds() const {
    std::vector<JobEventKind> out;
    for (const auto& e : events) out.push_back(e.kind);
    return out;
  }
  std::vector<CommitInfo> commits;
  std::vector<JobEvent> events;
  std::function<bool()> probe;
  std::vector<bool> answered_before_observer;
};

class JobEventsTest : public ::testing::Test {
 protected:
  void SetUp() override { open(); }

  void open(std::int64_t max_page_count = 0) {
    engine_.reset();
    store::SqliteOptions options;
    options.path = dir_.file("spool.db");
    options.max_page_count = max_page_count;
    auto store = store::open_sqlite_store(options);
    ASSERT_TRUE(store) << store.error().message();
    EngineOptions eo;
    eo.seed = 7;
    engine_ = std::make_unique<Engine>(std::move(*store), clock_, eo);
    recorder_ = std::make_shared<Recorder>();
    engine_->add_observer(recorder_);
  }

  std::string enqueue(std::string type = "send_email", std::int64_t delay_ms = 0,
                      int max_attempts = 3) {
    EnqueueRequest r;
    r.type = std::move(type);
    r.queue = "mail";
    r.payload_json = R"({"to":"a@example.com"})";
    if (delay_ms) r.delay_ms = delay_ms;
    r.max_attempts = max_attempts;
    r.backoff = Backoff{BackoffType::kFixed, 1000, 1000, false};
    Answer<std::vector<ops::EnqueueResult>> a;
    engine_->enqueue({std::move(r)}, a.cb());
    engine_->run_once();
    return a.ok().at(0).id;
  }

  Job reserve(std::optional<std::int64_t> lease_ms = {}) {
    Answer<std::vector<Job>> a;
    engine_->reserve({{"mail"}, 1, 0, lease_ms, "w1"}, a.cb());
    engine_->run_once();
    EXPECT_EQ(a.ok().size(), 1u);
    return a.ok().at(0);
  }

  void fail(const Job& j, FailKind kind, std::optional<std::int64_t> retry_after = {}) {
    Answer<ops::SettleResult> a;
    engine_->fail({j.id, j.lease_token, "SMTP 451 try later", kind, retry_after}, a.cb());
    engine_->run_once();
    a.ok();
  }

  const JobEvent& last() const { return recorder_->events.back(); }

  testing::TempDir dir_;
  ManualClock clock_;
  std::unique_ptr<Engine> engine_;
  std::shared_ptr<Recorder> recorder_;
};

TEST_F(JobEventsTest, AJobsWholeLifeIsToldInOrderWithTimings) {
  std::string id = enqueue("send_email", /*delay_ms=*/500);
  ASSERT_EQ(recorder_->events.size(), 1u);
  EXPECT_EQ(last().kind, JobEventKind::kEnqueued);
  EXPECT_EQ(last().id, id);
  EXPECT_EQ(last().type, "send_email");
  EXPECT_EQ(last().queue, "mail");
  EXPECT_EQ(last().state, JobState::kScheduled);
  EXPECT_EQ(last().max_attempts, 3);
  EXPECT_EQ(last().at, clock_.now_ms());

  clock_.advance_ms(800);  // due at +500, started at +800: waited 300 ms
  engine_->run_once();     // promotion: no event of its own
  EXPECT_EQ(recorder_->events.size(), 1u);
  Job j = reserve();
  EXPECT_EQ(last().kind, JobEventKind::kStarted);
  EXPECT_EQ(last().state, JobState::kActive);
  EXPECT_EQ(last().attempt, 1);
  EXPECT_EQ(last().wait_ms, 300);

  clock_.advance_ms(40);
  Answer<TimeMs> extended;
  engine_->extend({j.id, j.lease_token, 5000, R"({"pct":50})"}, extended.cb());
  engine_->run_once();
  extended.ok();
  EXPECT_EQ(last().kind, JobEventKind::kProgress);
  EXPECT_EQ(last().progress_json, R"({"pct":50})");
  EXPECT_EQ(last().type, "send_email");
  // A renewal without progress is not an event.
  engine_->extend({j.id, j.lease_token, 5000, std::nullopt}, extended.cb());
  engine_->run_once();
  EXPECT_EQ(last().kind, JobEventKind::kProgress);

  clock_.advance_ms(60);
  fail(j, FailKind::kRetry);
  EXPECT_EQ(last().kind, JobEventKind::kRetrying);
  EXPECT_EQ(last().state, JobState::kRetrying);
  EXPECT_EQ(last().fail_kind, FailKind::kRetry);
  EXPECT_EQ(last().error, "SMTP 451 try later");
  EXPECT_EQ(last().run_ms, 100);
  EXPECT_EQ(last().next_run_at, clock_.now_ms() + 1000);

  clock_.advance_ms(1000);
  engine_->run_once();
  j = reserve();
  EXPECT_EQ(last().attempt, 2);
  EXPECT_EQ(last().wait_ms, 0);
  clock_.advance_ms(25);
  Answer<ops::SettleResult> acked;
  engine_->ack({j.id, j.lease_token, R"({"sent":true})"}, acked.cb());
  engine_->run_once();
  acked.ok();
  EXPECT_EQ(last().kind, JobEventKind::kCompleted);
  EXPECT_EQ(last().state, JobState::kCompleted);
  EXPECT_EQ(last().run_ms, 25);
  EXPECT_FALSE(last().fail_kind.has_value());

  std::vector<JobEventKind> want = {JobEventKind::kEnqueued, JobEventKind::kStarted,
                                    JobEventKind::kProgress, JobEventKind::kRetrying,
                                    JobEventKind::kStarted,  JobEventKind::kCompleted};
  EXPECT_EQ(recorder_->kinds(), want);
  for (const auto& e : recorder_->events) EXPECT_EQ(e.id, id);
}

TEST_F(JobEventsTest, FailuresAreNamedByWhereTheJobWent) {
  enqueue("a", 0, /*max_attempts=*/1);
  fail(reserve(), FailKind::kRetry);  // attempts spent
  EXPECT_EQ(last().kind, JobEventKind::kDead);
  EXPECT_EQ(last().fail_kind, FailKind::kRetry);
  EXPECT_FALSE(last().next_run_at.has_value());

  enqueue("b");
  fail(reserve(), FailKind::kPermanent);
  EXPECT_EQ(last().kind, JobEventKind::kDead);
  EXPECT_EQ(last().fail_kind, FailKind::kPermanent);

  enqueue("c");
  fail(reserve(), FailKind::kSnooze, 5000);
  EXPECT_EQ(last().kind, JobEventKind::kSnoozed);
  EXPECT_EQ(last().state, JobState::kScheduled);
  EXPECT_EQ(last().attempt, 0);
  EXPECT_EQ(last().next_run_at, clock_.now_ms() + 5000);

  enqueue("d");
  fail(reserve(), FailKind::kRelease);
  EXPECT_EQ(last().kind, JobEventKind::kReleased);
  EXPECT_EQ(last().state, JobState::kQueued);
  EXPECT_TRUE(last().error.empty());
}

TEST_F(JobEventsTest, AnExpiredLeaseIsAFailureOfKindLeaseExpired) {
  std::string id = enqueue("a", 0, /*max_attempts=*/2);
  reserve(/*lease_ms=*/1000);
  clock_.advance_ms(1000);
  engine_->run_once();
  EXPECT_EQ(last().kind, JobEventKind::kRetrying);
  EXPECT_EQ(last().id, id);
  EXPECT_EQ(last().type, "a");
  EXPECT_EQ(last().fail_kind, FailKind::kLeaseExpired);
  EXPECT_NE(last().error.find("lease expired"), std::string::npos);
  EXPECT_EQ(last().run_ms, 1000);

  clock_.advance_ms(1000);
  engine_->run_once();
  reserve(/*lease_ms=*/1000);
  clock_.advance_ms(1000);
  engine_->run_once();
  EXPECT_EQ(last().kind, JobEventKind::kDead);
  EXPECT_EQ(last().fail_kind, FailKind::kLeaseExpired);
}

TEST_F(JobEventsTest, CancelRetryAndBulkRetryDeadAreTold) {
  std::string waiting = enqueue("a", 60'000);
  Answer<ops::SettleResult> cancelled;
  engine_->cancel(waiting, cancelled.cb());
  engine_->run_once();
  cancelled.ok();
  EXPECT_EQ(last().kind, JobEventKind::kCancelled);
  EXPECT_EQ(last().state, JobState::kCancelled);
  EXPECT_FALSE(last().run_ms.has_value());

  Answer<ops::SettleResult> retried;
  engine_->retry(waiting, retried.cb());
  engine_->run_once();
  retried.ok();
  EXPECT_EQ(last().kind, JobEventKind::kRetried);
  EXPECT_EQ(last().state, JobState::kQueued);

  enqueue("b");
  enqueue("b");
  // Both b jobs and the retried a job are queued; a goes first (older). Kill all three.
  for (int i = 0; i < 3; ++i) fail(reserve(), FailKind::kPermanent);
  std::size_t before = recorder_->events.size();
  Answer<std::int64_t> bulk;
  engine_->retry_dead("mail", std::string("b"), bulk.cb());
  engine_->run_once();
  EXPECT_EQ(bulk.ok(), 2);
  ASSERT_EQ(recorder_->events.size(), before + 2);
  for (std::size_t i = before; i < recorder_->events.size(); ++i) {
    const JobEvent& e = recorder_->events[i];
    EXPECT_EQ(e.kind, JobEventKind::kRetried);
    EXPECT_EQ(e.type, "b");
    EXPECT_EQ(e.queue, "mail");
    EXPECT_EQ(e.attempt, 0);
    EXPECT_EQ(e.state, JobState::kQueued);
  }
}

TEST_F(JobEventsTest, DedupeHitsAreNotEvents) {
  EnqueueRequest r;
  r.type = "digest";
  r.dedupe_key = "k";
  Answer<std::vector<ops::EnqueueResult>> a;
  engine_->enqueue({r, r}, a.cb());
  engine_->run_once();
  ASSERT_EQ(a.ok().size(), 2u);
  EXPECT_TRUE(a.ok()[1].deduplicated);
  EXPECT_EQ(recorder_->events.size(), 1u);
}

TEST_F(JobEventsTest, ObserversHearOfACommitBeforeItsCallersAreAnswered) {
  Answer<std::vector<ops::EnqueueResult>> a;
  Answer<std::vector<ops::EnqueueResult>> b;
  recorder_->probe = [&] { return a.value.has_value(); };
  EnqueueRequest r;
  r.type = "t";
  engine_->enqueue({r}, a.cb());
  engine_->enqueue({r, r}, b.cb());
  engine_->run_once();
  ASSERT_EQ(recorder_->commits.size(), 1u);
  EXPECT_EQ(recorder_->answered_before_observer, std::vector<bool>{false});
  EXPECT_EQ(recorder_->commits[0].commands, 2u);  // two enqueue commands in one transaction
  EXPECT_GE(recorder_->commits[0].batch_seconds, recorder_->commits[0].commit_seconds);
  EXPECT_EQ(recorder_->events.size(), 3u);
}

TEST_F(JobEventsTest, ARolledBackBatchTellsNothing) {
  enqueue();
  open(/*max_page_count=*/1);  // reopen "full": no page can be added, so the batch fails
  std::vector<EnqueueRequest> batch;
  for (int i = 0; i < 200; ++i) {
    EnqueueRequest r;
    r.type = "send_email";
    r.queue = "mail";
    r.payload_json = "\"" + std::string(2'000, 'x') + "\"";
    batch.push_back(r);
  }
  Answer<std::vector<ops::EnqueueResult>> a;
  engine_->enqueue(batch, a.cb());
  engine_->run_once();
  ASSERT_TRUE(a.value.has_value());
  ASSERT_FALSE(a.value->has_value());
  // kUnavailable or kInternal (by where SQLite noticed): either breaks the whole batch.
  EXPECT_NE(a.value->error().code(), StatusCode::kInvalidArgument) << a.value->error().message();
  EXPECT_TRUE(recorder_->events.empty());
  EXPECT_TRUE(recorder_->commits.empty());
}

}  // namespace
}  // namespace spool::engine
