// Engine tests: a real SQLite store in a temp dir, a manual clock, no writer thread. Each test
// submits commands, moves the clock, and calls run_once() to apply a batch.
#include "engine/engine.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <future>
#include <thread>

#include "store/fault_injecting_store.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "support/temp_dir.hpp"
#include "support/test_answer.hpp"

namespace spool::engine {
namespace {

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override { open(); }

  void open(std::int64_t max_page_count = 0,
            std::optional<std::int64_t> default_timeout_ms = std::nullopt) {
    engine_.reset();
    store::SqliteOptions options;
    options.path = dir_.file("spool.db");
    options.max_page_count = max_page_count;
    auto store = store::open_sqlite_store(options);
    ASSERT_TRUE(store) << store.error().message();
    EngineOptions eo;
    eo.seed = ++opens_;  // a reopened engine must not repeat the ids of the last one
    eo.default_timeout_ms = default_timeout_ms;
    engine_ = std::make_unique<Engine>(std::move(*store), clock_, eo);
  }

  std::string enqueue(EnqueueRequest r) {
    Answer<std::vector<ops::EnqueueResult>> a;
    engine_->enqueue({std::move(r)}, a.cb());
    engine_->run_once();
    return a.ok().at(0).id;
  }

  EnqueueRequest job(std::string type = "send_release_email") {
    EnqueueRequest r;
    r.type = std::move(type);
    r.payload_json = R"({"transactionId":"esc-123","amount":10000})";
    return r;
  }

  std::vector<Job> reserve(std::vector<std::string> queues, int max = 1,
                           std::optional<std::int64_t> lease_ms = {}) {
    Answer<std::vector<Job>> a;
    engine_->reserve({std::move(queues), max, 0, lease_ms, "w1"}, a.cb());
    engine_->run_once();
    return a.ok();
  }

  Job get(const std::string& id) {
    Answer<Job> a;
    engine_->get_job(id, a.cb());
    engine_->run_once();
    return a.ok();
  }

  StatusOr<ops::SettleResult> ack(const Job& j) {
    Answer<ops::SettleResult> a;
    engine_->ack({j.id, j.lease_token, R"({"sent":true})"}, a.cb());
    engine_->run_once();
    return *a.value;
  }

  StatusOr<ops::SettleResult> fail(const Job& j, FailKind kind,
                                   std::optional<std::int64_t> retry_after = {}) {
    Answer<ops::SettleResult> a;
    engine_->fail({j.id, j.lease_token, "SMTP 451 try later", kind, retry_after}, a.cb());
    engine_->run_once();
    return *a.value;
  }

  void advance(std::int64_t ms) {
    clock_.advance_ms(ms);
    engine_->run_once();
  }

  testing::TempDir dir_;
  ManualClock clock_;
  std::uint64_t opens_ = 0;
  std::unique_ptr<Engine> engine_;
};

TEST_F(EngineTest, EnqueuedJobIsQueuedAndReservedWithAFreshLease) {
  std::string id = enqueue(job());
  EXPECT_EQ(get(id).state, JobState::kQueued);
  auto jobs = reserve({"send_release_email"});
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].id, id);
  EXPECT_EQ(jobs[0].attempts, 1);
  EXPECT_FALSE(jobs[0].lease_token.empty());
  EXPECT_EQ(jobs[0].lease_expires_at, clock_.now_ms() + kDefaultLeaseMs);
  EXPECT_EQ(jobs[0].payload_json, R"({"transactionId":"esc-123","amount":10000})");
  EXPECT_EQ(get(id).state, JobState::kActive);
}

TEST_F(EngineTest, QueueDefaultsToTheTypeAndOwnFieldsBeatQueueConfig) {
  Answer<QueueInfo> patched;
  QueueConfig config;
  config.max_attempts = 7;
  config.lease_ms = 5000;
  engine_->patch_queue("emails", config, patched.cb());
  engine_->run_once();
  ASSERT_TRUE(patched.ready());
  auto r = job();
  r.queue = "emails";
  r.lease_ms = 9000;
  Job j = get(enqueue(r));
  EXPECT_EQ(j.queue, "emails");
  EXPECT_EQ(j.max_attempts, 7);
  EXPECT_EQ(j.lease_ms, 9000);
  EXPECT_EQ(get(enqueue(job("pdf"))).queue, "pdf");
}

TEST_F(EngineTest, DelayedJobStaysScheduledUntilDue) {
  auto r = job();
  r.delay_ms = 10'000;
  std::string id = enqueue(r);
  EXPECT_EQ(get(id).state, JobState::kScheduled);
  EXPECT_TRUE(reserve({"send_release_email"}).empty());
  advance(9'999);
  EXPECT_TRUE(reserve({"send_release_email"}).empty());
  advance(1);
  EXPECT_EQ(get(id).state, JobState::kQueued);
  EXPECT_EQ(reserve({"send_release_email"}).size(), 1u);
}

TEST_F(EngineTest, HigherPriorityFirstThenFirstReady) {
  std::string low = enqueue(job());
  clock_.advance_ms(1);
  auto hi = job();
  hi.priority = 10;
  std::string high = enqueue(hi);
  clock_.advance_ms(1);
  std::string low2 = enqueue(job());
  auto jobs = reserve({"send_release_email"}, 3);
  ASSERT_EQ(jobs.size(), 3u);
  EXPECT_EQ(jobs[0].id, high);
  EXPECT_EQ(jobs[1].id, low);
  EXPECT_EQ(jobs[2].id, low2);
}

TEST_F(EngineTest, DedupeKeyAnswersTheFirstJobWithinItsWindowOnly) {
  auto r = job();
  r.dedupe_key = "escrow-esc-123-release";
  r.dedupe_window_ms = 60'000;
  Answer<std::vector<ops::EnqueueResult>> first, second, third;
  engine_->enqueue({r}, first.cb());
  engine_->run_once();
  clock_.advance_ms(59'999);
  engine_->enqueue({r}, second.cb());
  engine_->run_once();
  EXPECT_TRUE(second.ok()[0].deduplicated);
  EXPECT_EQ(second.ok()[0].id, first.ok()[0].id);
  clock_.advance_ms(1);
  engine_->enqueue({r}, third.cb());
  engine_->run_once();
  EXPECT_FALSE(third.ok()[0].deduplicated);
  EXPECT_NE(third.ok()[0].id, first.ok()[0].id);
}

TEST_F(EngineTest, LongPollIsHandedAJobInTheBatchThatEnqueuesIt) {
  Answer<std::vector<Job>> waiting;
  engine_->reserve({{"send_release_email"}, 1, 30'000, {}, "w1"}, waiting.cb());
  engine_->run_once();
  EXPECT_FALSE(waiting.ready());
  EXPECT_EQ(engine_->waiter_count(), 1u);
  Answer<std::vector<ops::EnqueueResult>> enq;
  engine_->enqueue({job()}, enq.cb());
  engine_->run_once();
  ASSERT_TRUE(waiting.ready());
  ASSERT_EQ(waiting.ok().size(), 1u);
  EXPECT_EQ(waiting.ok()[0].id, enq.ok()[0].id);
  EXPECT_EQ(engine_->waiter_count(), 0u);
}

TEST_F(EngineTest, OldestWaiterIsServedFirst) {
  Answer<std::vector<Job>> first, second;
  engine_->reserve({{"send_release_email"}, 1, 30'000, {}, "first"}, first.cb());
  engine_->run_once();
  engine_->reserve({{"send_release_email"}, 1, 30'000, {}, "second"}, second.cb());
  engine_->run_once();
  enqueue(job());
  ASSERT_TRUE(first.ready());
  EXPECT_EQ(first.ok().size(), 1u);
  EXPECT_FALSE(second.ready());
  engine_->stop();  // answers `second` while it is still in scope
}

TEST_F(EngineTest, LongPollAnswersEmptyAtItsDeadline) {
  Answer<std::vector<Job>> waiting;
  engine_->reserve({{"q"}, 1, 5'000, {}, "w1"}, waiting.cb());
  engine_->run_once();
  advance(4'999);
  EXPECT_FALSE(waiting.ready());
  advance(1);
  ASSERT_TRUE(waiting.ready());
  EXPECT_TRUE(waiting.ok().empty());
}

TEST_F(EngineTest, CancelledWaiterLeasesNothing) {
  Answer<std::vector<Job>> waiting;
  WaiterId id = engine_->reserve({{"send_release_email"}, 1, 30'000, {}, "w1"}, waiting.cb());
  engine_->run_once();
  engine_->cancel_waiter(id);
  std::string jid = enqueue(job());
  ASSERT_TRUE(waiting.ready());
  EXPECT_TRUE(waiting.ok().empty());
  EXPECT_EQ(get(jid).state, JobState::kQueued);
}

TEST_F(EngineTest, ACancelInTheSameBatchAsItsReserveStillDropsTheWaiter) {
  Answer<std::vector<Job>> waiting;
  WaiterId id = engine_->reserve({{"send_release_email"}, 1, 30'000, {}, "w1"}, waiting.cb());
  engine_->cancel_waiter(id);
  engine_->run_once();
  ASSERT_TRUE(waiting.ready());
  EXPECT_TRUE(waiting.ok().empty());
  std::string jid = enqueue(job());
  EXPECT_EQ(get(jid).state, JobState::kQueued);
}

TEST_F(EngineTest, AckCompletesWithResult) {
  std::string id = enqueue(job());
  auto jobs = reserve({"send_release_email"});
  clock_.advance_ms(250);
  auto acked = ack(jobs[0]);
  ASSERT_TRUE(acked) << acked.error().message();
  EXPECT_EQ(acked->state, JobState::kCompleted);
  Job j = get(id);
  EXPECT_EQ(j.state, JobState::kCompleted);
  EXPECT_EQ(j.result_json, R"({"sent":true})");
  EXPECT_EQ(*j.finished_at - *j.started_at, 250);
}

TEST_F(EngineTest, AckWithStaleLeaseIsRejected) {
  enqueue(job());
  auto jobs = reserve({"send_release_email"}, 1, 1'000);
  Job stale = jobs[0];
  advance(1'000);  // lease expires: retrying with backoff
  EXPECT_EQ(get(stale.id).state, JobState::kRetrying);
  advance(3'600'000);  // due again
  auto again = reserve({"send_release_email"});
  ASSERT_EQ(again.size(), 1u);
  EXPECT_NE(again[0].lease_token, stale.lease_token);
  auto late = ack(stale);
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().code(), StatusCode::kLeaseLost);
  EXPECT_TRUE(ack(again[0]));
}

TEST_F(EngineTest, AckAtTheInstantTheLeaseExpiresLosesTheRace) {
  enqueue(job());
  auto jobs = reserve({"send_release_email"}, 1, 1'000);
  clock_.advance_ms(1'000);
  auto acked = ack(jobs[0]);  // expiry is applied before the batch's commands
  ASSERT_FALSE(acked);
  EXPECT_EQ(acked.error().code(), StatusCode::kLeaseLost);
  Job j = get(jobs[0].id);
  EXPECT_EQ(j.state, JobState::kRetrying);
  ASSERT_FALSE(j.errors.empty());
  EXPECT_EQ(j.errors.back().kind, FailKind::kLeaseExpired);
}

TEST_F(EngineTest, RetryBacksOffExponentiallyAndDiesWhenAttemptsAreSpent) {
  auto r = job();
  r.backoff = Backoff{BackoffType::kExponential, 2'000, 3'600'000, false};
  r.max_attempts = 3;
  std::string id = enqueue(r);
  for (int attempt = 1; attempt <= 2; ++attempt) {
    auto jobs = reserve({"send_release_email"});
    ASSERT_EQ(jobs.size(), 1u) << "attempt " << attempt;
    auto failed = fail(jobs[0], FailKind::kRetry);
    ASSERT_TRUE(failed);
    EXPECT_EQ(failed->state, JobState::kRetrying);
    std::int64_t delay = 2'000LL << (attempt - 1);  // 2 s, 4 s
    EXPECT_EQ(failed->next_run_at, clock_.now_ms() + delay);
    advance(delay - 1);
    EXPECT_TRUE(reserve({"send_release_email"}).empty());
    advance(1);
  }
  auto last = reserve({"send_release_email"});
  ASSERT_EQ(last.size(), 1u);
  auto failed = fail(last[0], FailKind::kRetry);
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->state, JobState::kDead);
  Job j = get(id);
  EXPECT_EQ(j.attempts, 3);
  EXPECT_EQ(j.errors.size(), 3u);
  EXPECT_EQ(j.errors.back().message, "SMTP 451 try later");
}

TEST_F(EngineTest, RetryAfterOverridesTheBackoff) {
  enqueue(job());
  auto jobs = reserve({"send_release_email"});
  auto failed = fail(jobs[0], FailKind::kRetry, 42'000);
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->next_run_at, clock_.now_ms() + 42'000);
}

TEST_F(EngineTest, PermanentFailureGoesStraightToDead) {
  std::string id = enqueue(job());
  auto failed = fail(reserve({"send_release_email"})[0], FailKind::kPermanent);
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->state, JobState::kDead);
  EXPECT_EQ(get(id).attempts, 1);
}

TEST_F(EngineTest, SnoozeAndReleaseDoNotSpendAnAttempt) {
  std::string id = enqueue(job());
  auto snoozed = fail(reserve({"send_release_email"})[0], FailKind::kSnooze, 5'000);
  ASSERT_TRUE(snoozed);
  EXPECT_EQ(get(id).attempts, 0);
  EXPECT_EQ(get(id).state, JobState::kScheduled);
  advance(5'000);
  auto released = fail(reserve({"send_release_email"})[0], FailKind::kRelease);
  ASSERT_TRUE(released);
  EXPECT_EQ(released->state, JobState::kQueued);
  EXPECT_EQ(get(id).attempts, 0);
  EXPECT_EQ(reserve({"send_release_email"}).size(), 1u);
}

TEST_F(EngineTest, ExtendRenewsTheLeaseAndStoresProgress) {
  std::string id = enqueue(job());
  auto jobs = reserve({"send_release_email"}, 1, 1'000);
  clock_.advance_ms(900);
  Answer<TimeMs> extended;
  engine_->extend({id, jobs[0].lease_token, 1'000, R"({"pct":50})"}, extended.cb());
  engine_->run_once();
  EXPECT_EQ(extended.ok(), clock_.now_ms() + 1'000);
  advance(900);
  Job j = get(id);
  EXPECT_EQ(j.state, JobState::kActive);
  EXPECT_EQ(j.progress_json, R"({"pct":50})");
}

TEST_F(EngineTest, ExtendWithoutALengthRenewsByTheJobsOwnLease) {
  auto r = job();
  r.lease_ms = 5'000;
  std::string id = enqueue(r);
  auto jobs = reserve({"send_release_email"});
  clock_.advance_ms(1'000);
  Answer<TimeMs> extended;
  engine_->extend({id, jobs[0].lease_token, std::nullopt, std::nullopt}, extended.cb());
  engine_->run_once();
  EXPECT_EQ(extended.ok(), clock_.now_ms() + 5'000);
}

// timeout_ms: the job's own, else its queue's, else the server's ([server] job_timeout_ms).
TEST_F(EngineTest, ATimeoutComesFromTheJobThenItsQueueThenTheServer) {
  open(0, 60'000);
  Answer<QueueInfo> patched;
  QueueConfig config;
  config.timeout_ms = 10'000;
  engine_->patch_queue("emails", config, patched.cb());
  engine_->run_once();
  ASSERT_TRUE(patched.ready());
  auto own = job();
  own.queue = "emails";
  own.timeout_ms = 2'000;
  auto queued = job();
  queued.queue = "emails";
  EXPECT_EQ(get(enqueue(own)).timeout_ms, 2'000);
  EXPECT_EQ(get(enqueue(queued)).timeout_ms, 10'000);
  EXPECT_EQ(get(enqueue(job("pdf"))).timeout_ms, 60'000);
  open();
  EXPECT_EQ(get(enqueue(job("pdf"))).timeout_ms, std::nullopt);
}

// The case timeouts exist for: a handler that hangs while its worker keeps renewing the lease.
// The attempt ends at the timeout all the same, counts as a failure of kind timeout, and the
// worker's next renewal is told so.
TEST_F(EngineTest, AHungAttemptThatKeepsExtendingEndsAtItsTimeoutAndIsRetried) {
  auto r = job();
  r.timeout_ms = 5'000;
  std::string id = enqueue(r);
  Job held = reserve({"send_release_email"}, 1, 1'000)[0];
  for (int i = 0; i < 4; ++i) {
    clock_.advance_ms(900);
    Answer<TimeMs> extended;
    engine_->extend({id, held.lease_token, 1'000, std::nullopt}, extended.cb());
    engine_->run_once();
    EXPECT_EQ(extended.ok(), clock_.now_ms() + 1'000) << "extend " << i;
  }
  clock_.advance_ms(900);  // 4.5 s in: the lease may reach 5 s, not 5.5 s
  Answer<TimeMs> capped;
  engine_->extend({id, held.lease_token, 1'000, std::nullopt}, capped.cb());
  engine_->run_once();
  EXPECT_EQ(capped.ok(), held.started_at.value() + 5'000);
  advance(500);
  Job j = get(id);
  EXPECT_EQ(j.state, JobState::kRetrying);
  ASSERT_FALSE(j.errors.empty());
  EXPECT_EQ(j.errors.back().kind, FailKind::kTimeout);
  Answer<TimeMs> late;
  engine_->extend({id, held.lease_token, 1'000, std::nullopt}, late.cb());
  engine_->run_once();
  ASSERT_TRUE(late.ready());
  ASSERT_FALSE(*late.value);
  EXPECT_EQ(late.value->error().code(), StatusCode::kTimedOut);
}

TEST_F(EngineTest, SettleAnswersEachItemOnItsOwn) {
  enqueue(job());
  enqueue(job());
  enqueue(job());
  auto jobs = reserve({"send_release_email"}, 3);
  ASSERT_EQ(jobs.size(), 3u);
  std::vector<StatusOr<ops::SettleResult>> results;
  engine_->settle({{jobs[0].id, jobs[0].lease_token, {}}, {jobs[1].id, "stale", {}}},
                  {{jobs[2].id, jobs[2].lease_token, "boom", FailKind::kPermanent, {}}},
                  [&](auto r) { results = std::move(r); });
  engine_->run_once();
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[0]->state, JobState::kCompleted);
  EXPECT_EQ(results[1].error().code(), StatusCode::kLeaseLost);
  EXPECT_EQ(results[2]->state, JobState::kDead);
}

TEST_F(EngineTest, CancelOnlyBeforeTheJobRuns) {
  std::string queued = enqueue(job());
  Answer<ops::SettleResult> cancelled;
  engine_->cancel(queued, cancelled.cb());
  engine_->run_once();
  EXPECT_EQ(cancelled.ok().state, JobState::kCancelled);
  std::string running = enqueue(job());
  reserve({"send_release_email"});
  Answer<ops::SettleResult> refused;
  engine_->cancel(running, refused.cb());
  engine_->run_once();
  EXPECT_EQ(refused.code(), StatusCode::kConflict);
  EXPECT_NE(refused.value->error().message().find("active"), std::string::npos);
  Answer<ops::SettleResult> unknown;
  engine_->cancel("nope", unknown.cb());
  engine_->run_once();
  EXPECT_EQ(unknown.code(), StatusCode::kNotFound);
}

TEST_F(EngineTest, RetryingADeadJobQueuesItWithAttemptsReset) {
  std::string id = enqueue(job());
  ASSERT_TRUE(fail(reserve({"send_release_email"})[0], FailKind::kPermanent));
  Answer<ops::SettleResult> retried;
  engine_->retry(id, retried.cb());
  engine_->run_once();
  EXPECT_EQ(retried.ok().state, JobState::kQueued);
  EXPECT_EQ(get(id).attempts, 0);
  Answer<std::int64_t> none;
  engine_->retry_dead("send_release_email", std::nullopt, none.cb());
  engine_->run_once();
  EXPECT_EQ(none.ok(), 0);
}

TEST_F(EngineTest, PausedQueueHoldsJobsUntilResumedThenServesTheWaiter) {
  Answer<QueueInfo> paused;
  engine_->set_paused("send_release_email", true, paused.cb());
  engine_->run_once();
  EXPECT_TRUE(paused.ok().paused);
  enqueue(job());
  Answer<std::vector<Job>> waiting;
  engine_->reserve({{"send_release_email"}, 1, 30'000, {}, "w1"}, waiting.cb());
  engine_->run_once();
  EXPECT_FALSE(waiting.ready());
  Answer<QueueInfo> resumed;
  engine_->set_paused("send_release_email", false, resumed.cb());
  engine_->run_once();
  ASSERT_TRUE(waiting.ready());
  EXPECT_EQ(waiting.ok().size(), 1u);
}

TEST_F(EngineTest, ConcurrencyCapHoldsWorkUntilAJobSettles) {
  QueueConfig config;
  config.concurrency = 1;
  Answer<QueueInfo> patched;
  engine_->patch_queue("send_release_email", config, patched.cb());
  engine_->run_once();
  enqueue(job());
  enqueue(job());
  auto first = reserve({"send_release_email"}, 5);
  ASSERT_EQ(first.size(), 1u);
  Answer<std::vector<Job>> waiting;
  engine_->reserve({{"send_release_email"}, 1, 30'000, {}, "w2"}, waiting.cb());
  engine_->run_once();
  EXPECT_FALSE(waiting.ready());
  ASSERT_TRUE(ack(first[0]));
  ASSERT_TRUE(waiting.ready());
  EXPECT_EQ(waiting.ok().size(), 1u);
}

TEST_F(EngineTest, RateLimitHandsOutOnlyWhatTheWindowAllowsAndWakesWaitersAfter) {
  QueueConfig config;
  config.rate_limit = RateLimit{2, 1'000};
  Answer<QueueInfo> patched;
  engine_->patch_queue("send_release_email", config, patched.cb());
  engine_->run_once();
  for (int i = 0; i < 3; ++i) enqueue(job());
  EXPECT_EQ(reserve({"send_release_email"}, 10).size(), 2u);
  Answer<std::vector<Job>> waiting;
  engine_->reserve({{"send_release_email"}, 10, 30'000, {}, "w2"}, waiting.cb());
  engine_->run_once();
  EXPECT_FALSE(waiting.ready());
  advance(1'000);
  ASSERT_TRUE(waiting.ready());
  EXPECT_EQ(waiting.ok().size(), 1u);
}

// D1: reserves without waiting leave a rate timer behind; once it is past, an idle writer must
// sleep until something is due instead of spinning on empty batches.
TEST_F(EngineTest, ARateTimerLeftByReservesThatDidNotWaitDoesNotKeepTheWriterAwake) {
  QueueConfig config;
  config.rate_limit = RateLimit{1, 1'000};
  Answer<QueueInfo> patched;
  engine_->patch_queue("send_release_email", config, patched.cb());
  engine_->run_once();
  for (int i = 0; i < 3; ++i) enqueue(job());
  EXPECT_EQ(reserve({"send_release_email"}).size(), 1u);
  EXPECT_TRUE(reserve({"send_release_email"}).empty());
  EXPECT_TRUE(reserve({"send_release_email"}).empty());
  advance(1'500);
  EXPECT_GT(engine_->next_wake_ms(), clock_.now_ms());
  EXPECT_EQ(reserve({"send_release_email"}).size(), 1u) << "the window still lets work out";
}

// D5: a producer that always has the next command ready (here: each answer submits another)
// kept the writer's queue from emptying, so stop() never returned while producers were busy.
// From the moment stop() is asked, new commands are refused and stop() returns.
TEST_F(EngineTest, StopReturnsWhileAProducerKeepsSubmitting) {
  constexpr int kLimit = 20'000;  // ends the chain even if stop() does not
  std::atomic<int> accepted{0}, refused{0}, accepted_after_stop{0};
  std::atomic<bool> stopping{false};
  std::function<void()> submit = [&] {
    engine_->enqueue({job()}, [&](StatusOr<std::vector<ops::EnqueueResult>> r) {
      if (!r) {
        EXPECT_EQ(r.error().code(), StatusCode::kUnavailable);
        ++refused;
        return;
      }
      if (stopping) ++accepted_after_stop;
      if (++accepted < kLimit) submit();
    });
  };
  engine_->start();
  submit();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (accepted < 10 && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  ASSERT_GE(accepted, 10);
  stopping = true;
  engine_->stop();
  EXPECT_LE(accepted_after_stop, 1) << "commands kept being taken after stop() was asked";
  EXPECT_EQ(refused, 1);
  EXPECT_LT(accepted, kLimit);
}

// D9: a due-time read that fails must not read as "nothing due", or a delayed job waits for
// the next command instead of its time.
TEST_F(EngineTest, AFailedDueTimeReadWakesTheWriterWithinASecond) {
  bool failing = false;
  store::SqliteOptions options;
  options.path = dir_.file("faulty.db");
  auto inner = store::open_sqlite_store(options);
  ASSERT_TRUE(inner) << inner.error().message();
  Engine engine(store::inject_faults(std::move(*inner), [&] { return failing; }), clock_, {});
  EnqueueRequest delayed = job();
  delayed.delay_ms = 60'000;
  Answer<std::vector<ops::EnqueueResult>> stored;
  engine.enqueue({delayed}, stored.cb());
  engine.run_once();
  ASSERT_TRUE(stored.ready());
  EXPECT_EQ(engine.next_wake_ms(), clock_.now_ms() + 60'000);
  failing = true;
  Answer<std::vector<ops::EnqueueResult>> refused;
  engine.enqueue({job()}, refused.cb());
  engine.run_once();
  EXPECT_EQ(refused.code(), StatusCode::kUnavailable);
  EXPECT_LE(engine.next_wake_ms(), clock_.now_ms() + 1'000);
  failing = false;
  clock_.advance_ms(1'000);
  engine.run_once();  // the retry reads the hints again
  EXPECT_EQ(engine.next_wake_ms(), clock_.now_ms() + 59'000);
}

// D7: commands waiting for the writer were unbounded, so a stalled writer grew memory with
// every request. Beyond max_pending_commands a command is refused at once, and never applied.
TEST_F(EngineTest, BeyondThePendingBoundACommandIsRefusedAtOnceAndNeverApplied) {
  store::SqliteOptions options;
  options.path = dir_.file("bounded.db");
  auto store = store::open_sqlite_store(options);
  ASSERT_TRUE(store) << store.error().message();
  EngineOptions eo;
  eo.max_pending_commands = 3;
  Engine engine(std::move(*store), clock_, eo);
  std::vector<Answer<std::vector<ops::EnqueueResult>>> enqueued(4);
  for (auto& answer : enqueued) engine.enqueue({job()}, answer.cb());
  ASSERT_TRUE(enqueued[3].ready()) << "refused at once, not after a batch";
  EXPECT_EQ(enqueued[3].code(), StatusCode::kUnavailable);
  EXPECT_EQ(enqueued[3].value->error().message(),
            "the server is overloaded: 3 commands are waiting to be applied; nothing was "
            "accepted, retry shortly");
  Answer<std::vector<Job>> reserve_refused;
  engine.reserve({{"send_release_email"}, 1, 0, {}, "w"}, reserve_refused.cb());
  EXPECT_EQ(reserve_refused.code(), StatusCode::kUnavailable);
  Answer<ops::Stats> read_refused;
  engine.stats(read_refused.cb());
  EXPECT_EQ(read_refused.code(), StatusCode::kUnavailable);
  engine.run_once();
  for (int i = 0; i < 3; ++i) EXPECT_EQ(enqueued[i].ok().size(), 1u) << i;
  Answer<ops::Stats> stats;
  engine.stats(stats.cb());
  engine.run_once();
  EXPECT_EQ(stats.ok().totals[JobState::kQueued], 3) << "the refused write is not applied";
}

TEST_F(EngineTest, FinishedJobsAreDeletedAfterTheirRetention) {
  QueueConfig config;
  config.retain_completed_ms = 60'000;
  Answer<QueueInfo> patched;
  engine_->patch_queue("send_release_email", config, patched.cb());
  engine_->run_once();
  std::string id = enqueue(job());
  ASSERT_TRUE(ack(reserve({"send_release_email"})[0]));
  advance(59'999);
  EXPECT_EQ(get(id).state, JobState::kCompleted);
  advance(1);
  advance(1'000);  // the sweep runs at most once a second
  Answer<Job> gone;
  engine_->get_job(id, gone.cb());
  engine_->run_once();
  EXPECT_EQ(gone.code(), StatusCode::kNotFound);
}

TEST_F(EngineTest, AFullStoreRefusesTheWholeBatchAndKeepsServingReads) {
  std::string kept = enqueue(job());
  open(/*max_page_count=*/1);  // reopen "full": no page can be added
  std::vector<EnqueueRequest> batch;
  for (int i = 0; i < 200; ++i) {
    auto r = job();
    r.payload_json = "\"" + std::string(2'000, 'x') + "\"";
    batch.push_back(r);
  }
  Answer<std::vector<ops::EnqueueResult>> refused;
  engine_->enqueue(batch, refused.cb());
  engine_->run_once();
  EXPECT_EQ(refused.code(), StatusCode::kUnavailable) << refused.value->error().message();
  EXPECT_EQ(get(kept).state, JobState::kQueued);
  Answer<ops::Stats> stats;
  engine_->stats(stats.cb());
  engine_->run_once();
  EXPECT_EQ(stats.ok().totals[JobState::kQueued], 1);
}

TEST_F(EngineTest, StopAnswersParkedLongPollsEmptyAndRefusesLaterCalls) {
  Answer<std::vector<Job>> waiting;
  engine_->reserve({{"q"}, 1, 30'000, {}, "w1"}, waiting.cb());
  engine_->run_once();
  engine_->stop();
  ASSERT_TRUE(waiting.ready());
  EXPECT_TRUE(waiting.ok().empty());
  Answer<std::vector<ops::EnqueueResult>> late;
  engine_->enqueue({job()}, late.cb());
  EXPECT_EQ(late.code(), StatusCode::kUnavailable);
}

TEST_F(EngineTest, CommittedJobsSurviveAReopen) {
  std::string id = enqueue(job());
  auto r = job();
  r.delay_ms = 5'000;
  std::string later = enqueue(r);
  open();
  EXPECT_EQ(get(id).state, JobState::kQueued);
  advance(5'000);  // the reopened engine knows the delayed job is due
  EXPECT_EQ(get(later).state, JobState::kQueued);
}

TEST_F(EngineTest, WriterThreadAnswersCallersAfterCommit) {
  RealClock real;
  store::SqliteOptions options;
  testing::TempDir dir;
  options.path = dir.file("spool.db");
  auto store = store::open_sqlite_store(options);
  ASSERT_TRUE(store);
  Engine engine(std::move(*store), real);
  engine.start();
  std::promise<StatusOr<std::vector<Job>>> got;
  engine.reserve({{"q"}, 1, 10'000, {}, "w"}, [&](auto r) { got.set_value(std::move(r)); });
  EnqueueRequest r;
  r.type = "q";
  engine.enqueue({r}, [](auto) {});
  auto future = got.get_future();
  ASSERT_EQ(future.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  auto jobs = future.get();
  ASSERT_TRUE(jobs);
  EXPECT_EQ(jobs->size(), 1u);
  engine.stop();
}

}  // namespace
}  // namespace spool::engine
