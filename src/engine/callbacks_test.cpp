// Completion callbacks in the engine and the SQLite store, under the manual clock: the callback
// is armed by the transaction that finishes the job (ack, permanent fail, attempts spent by a
// lease expiry), taken with a hold that a crash lets run out, settled once per attempt, and kept
// past a short retention until it is delivered.
#include <gtest/gtest.h>

#include "engine/engine.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "support/temp_dir.hpp"
#include "support/test_answer.hpp"

namespace spool::engine {
namespace {

constexpr const char* kUrl = "https://hooks.example.com/spool";

class EngineCallbackTest : public ::testing::Test {
 protected:
  void SetUp() override { open(); }

  void open() {
    engine_.reset();
    store::SqliteOptions options;
    options.path = dir_.file("spool.db");
    auto store = store::open_sqlite_store(options);
    ASSERT_TRUE(store) << store.error().message();
    EngineOptions eo;
    eo.seed = ++opens_;
    engine_ = std::make_unique<Engine>(std::move(*store), clock_, eo);
  }

  std::string enqueue(std::optional<std::string> url = kUrl, int max_attempts = 3) {
    EnqueueRequest r;
    r.type = "notify";
    r.payload_json = R"({"n":1})";
    r.callback_url = std::move(url);
    r.max_attempts = max_attempts;
    Answer<std::vector<ops::EnqueueResult>> a;
    engine_->enqueue({std::move(r)}, a.cb());
    engine_->run_once();
    return a.ok().at(0).id;
  }

  Job reserve(std::int64_t lease_ms = 30'000) {
    Answer<std::vector<Job>> a;
    engine_->reserve({{"notify"}, 1, 0, lease_ms, "w1"}, a.cb());
    engine_->run_once();
    EXPECT_EQ(a.ok().size(), 1u);
    return a.ok().at(0);
  }

  Job get(const std::string& id) {
    Answer<Job> a;
    engine_->get_job(id, a.cb());
    engine_->run_once();
    return a.ok();
  }

  std::vector<Job> take(int limit = 10, std::int64_t hold_ms = 20'000) {
    Answer<std::vector<Job>> a;
    engine_->take_callbacks(limit, hold_ms, a.cb());
    engine_->run_once();
    return a.ok();
  }

  bool settle(const std::string& id, int attempt, CallbackState state, std::int64_t retry_in = 0,
              std::string error = "") {
    Answer<bool> a;
    engine_->settle_callback({id, attempt, state, retry_in, std::move(error)}, a.cb());
    engine_->run_once();
    return a.ok();
  }

  void ack(const Job& j) {
    Answer<ops::SettleResult> a;
    engine_->ack({j.id, j.lease_token, R"({"ok":true})"}, a.cb());
    engine_->run_once();
    ASSERT_TRUE(a.ok().id == j.id);
  }

  void fail(const Job& j, FailKind kind) {
    Answer<ops::SettleResult> a;
    engine_->fail({j.id, j.lease_token, "boom", kind, std::nullopt}, a.cb());
    engine_->run_once();
    ASSERT_TRUE(a.ok().id == j.id);
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

// The dispatcher wakes on events that armed a callback (push/callbacks.cpp), not on every
// finished job.
TEST_F(EngineCallbackTest, OnlyTheEventsThatArmACallbackSaySo) {
  struct Recorder final : JobObserver {
    std::vector<JobEvent> events;
    void on_commit(const CommitInfo&, std::span<const JobEvent> batch) override {
      events.insert(events.end(), batch.begin(), batch.end());
    }
  };
  auto recorder = std::make_shared<Recorder>();
  engine_->add_observer(recorder);
  auto armed = [&](JobEventKind kind) {
    std::vector<bool> out;
    for (const auto& e : recorder->events) {
      if (e.kind == kind) out.push_back(e.callback_armed);
    }
    return out;
  };
  enqueue(std::nullopt);
  ack(reserve());
  enqueue();
  ack(reserve());
  EXPECT_EQ(armed(JobEventKind::kCompleted), (std::vector<bool>{false, true}));
  enqueue(std::nullopt, 1);
  fail(reserve(), FailKind::kPermanent);
  enqueue(kUrl, 1);
  fail(reserve(), FailKind::kPermanent);
  enqueue(kUrl, 2);
  fail(reserve(), FailKind::kRetry);
  EXPECT_EQ(armed(JobEventKind::kDead), (std::vector<bool>{false, true}));
  EXPECT_EQ(armed(JobEventKind::kRetrying), (std::vector<bool>{false}));
}

TEST_F(EngineCallbackTest, CallbackUrlIsStoredAndNothingIsArmedBeforeTheJobFinishes) {
  std::string id = enqueue();
  Job j = get(id);
  EXPECT_EQ(j.callback_url, kUrl);
  EXPECT_FALSE(j.callback);
  EXPECT_TRUE(take().empty());
  reserve();
  EXPECT_TRUE(take().empty());
}

TEST_F(EngineCallbackTest, AckArmsTheCallbackInTheSameTransaction) {
  std::string id = enqueue();
  ack(reserve());
  Job j = get(id);
  ASSERT_TRUE(j.callback);
  EXPECT_EQ(j.callback->state, CallbackState::kPending);
  EXPECT_EQ(j.callback->attempts, 0);
  auto due = take();
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].id, id);
  EXPECT_EQ(due[0].state, JobState::kCompleted);
  EXPECT_EQ(due[0].result_json, R"({"ok":true})");
  EXPECT_EQ(due[0].callback->attempts, 1);
  EXPECT_TRUE(settle(id, 1, CallbackState::kDelivered));
  EXPECT_EQ(get(id).callback->state, CallbackState::kDelivered);
  EXPECT_TRUE(take().empty());
}

TEST_F(EngineCallbackTest, JobsWithoutACallbackUrlArmNothing) {
  std::string id = enqueue(std::nullopt);
  ack(reserve());
  EXPECT_FALSE(get(id).callback);
  EXPECT_TRUE(take().empty());
}

TEST_F(EngineCallbackTest, DeathArmsTheCallbackButARetryDoesNot) {
  std::string permanent = enqueue();
  fail(reserve(), FailKind::kPermanent);
  EXPECT_EQ(get(permanent).callback->state, CallbackState::kPending);

  std::string retried = enqueue(kUrl, 2);
  fail(reserve(), FailKind::kRetry);
  EXPECT_EQ(get(retried).state, JobState::kRetrying);
  EXPECT_FALSE(get(retried).callback);

  auto due = take();
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].id, permanent);
  EXPECT_EQ(due[0].state, JobState::kDead);
}

TEST_F(EngineCallbackTest, ALeaseExpiryOnTheLastAttemptArmsTheCallback) {
  std::string id = enqueue(kUrl, 1);
  reserve(1000);
  advance(1000);
  EXPECT_EQ(get(id).state, JobState::kDead);
  auto due = take();
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].id, id);
}

TEST_F(EngineCallbackTest, AHeldCallbackIsDueAgainWhenItsHoldRunsOut) {
  std::string id = enqueue();
  ack(reserve());
  ASSERT_EQ(take(10, 20'000).size(), 1u);
  EXPECT_TRUE(take().empty());  // held: an attempt is in flight
  clock_.advance_ms(19'999);
  EXPECT_TRUE(take().empty());
  clock_.advance_ms(1);
  auto again = take();  // the attempt never answered (a crash): at least once
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].callback->attempts, 2);
  EXPECT_FALSE(settle(id, 1, CallbackState::kDelivered));  // the lost attempt's answer is stale
  EXPECT_TRUE(settle(id, 2, CallbackState::kDelivered));
}

TEST_F(EngineCallbackTest, ARetryWaitsItsDelayAndKeepsTheError) {
  std::string id = enqueue();
  ack(reserve());
  ASSERT_EQ(take().size(), 1u);
  EXPECT_TRUE(settle(id, 1, CallbackState::kPending, 5000, "HTTP 503 from hooks.example.com"));
  Job j = get(id);
  EXPECT_EQ(j.callback->state, CallbackState::kPending);
  EXPECT_EQ(j.callback->last_error, "HTTP 503 from hooks.example.com");
  EXPECT_EQ(j.callback->at, clock_.now_ms() + 5000);
  clock_.advance_ms(4999);
  EXPECT_TRUE(take().empty());
  clock_.advance_ms(1);
  EXPECT_EQ(take().size(), 1u);
}

TEST_F(EngineCallbackTest, AFailedCallbackKeepsItsReason) {
  std::string id = enqueue();
  ack(reserve());
  ASSERT_EQ(take().size(), 1u);
  EXPECT_TRUE(settle(id, 1, CallbackState::kFailed, 0, "resolves to 127.0.0.1, loopback"));
  Job j = get(id);
  EXPECT_EQ(j.callback->state, CallbackState::kFailed);
  EXPECT_EQ(j.callback->last_error, "resolves to 127.0.0.1, loopback");
  EXPECT_TRUE(take().empty());
}

TEST_F(EngineCallbackTest, APendingCallbackSurvivesAReopenOfTheStore) {
  std::string id = enqueue();
  ack(reserve());
  open();
  auto due = take();
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].id, id);
}

TEST_F(EngineCallbackTest, RetentionKeepsAJobWhoseCallbackIsPending) {
  Answer<QueueInfo> patched;
  QueueConfig config;
  config.retain_completed_ms = 1000;
  engine_->patch_queue("notify", config, patched.cb());
  engine_->run_once();
  ASSERT_TRUE(patched.ok().name == "notify");
  std::string id = enqueue();
  ack(reserve());
  advance(60'000);  // past the queue's retention, within the callback floor
  EXPECT_EQ(get(id).id, id);
  EXPECT_EQ(take().size(), 1u);
}

}  // namespace
}  // namespace spool::engine
