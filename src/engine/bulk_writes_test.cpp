// Purge and retry-dead in chunks (issue 13, D2): a real SQLite store, the manual clock, no
// writer thread. A transaction hook records what each transaction carried.
#include <gtest/gtest.h>

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "engine/engine.hpp"
#include "store/fault_injecting_store.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "support/temp_dir.hpp"
#include "support/test_answer.hpp"

namespace spool::engine {
namespace {

// What one committed-or-not transaction held: its jobs requeued by an operator and enqueued.
struct Carried {
  int retried = 0;
  int enqueued = 0;
};

class RecordingHook final : public TransactionHook {
 public:
  StatusOr<void> before_commit(store::Store&, TimeMs, std::span<const JobEvent> events) override {
    Carried c;
    for (const JobEvent& e : events) {
      if (e.kind == JobEventKind::kRetried) ++c.retried;
      if (e.kind == JobEventKind::kEnqueued) ++c.enqueued;
    }
    transactions.push_back(c);
    // A chunk that "takes" chunk_ms on the manual clock, as a real one takes time to write.
    if (c.retried > 0 && clock) clock->advance_ms(chunk_ms);
    return {};
  }
  std::vector<Carried> transactions;
  ManualClock* clock = nullptr;
  TimeMs chunk_ms = 0;
};

class BulkWritesTest : public ::testing::Test {
 protected:
  void open(int bulk_chunk, bool with_faults = false, double bulk_duty = 0.5) {
    store::SqliteOptions options;
    options.path = dir_.file("spool.db");
    auto store = store::open_sqlite_store(options);
    ASSERT_TRUE(store) << store.error().message();
    std::unique_ptr<store::Store> s = std::move(*store);
    if (with_faults) s = store::inject_faults(std::move(s), [this] { return failing_; });
    EngineOptions eo;
    eo.seed = 11;
    eo.bulk_chunk = bulk_chunk;
    eo.bulk_duty = bulk_duty;
    engine_ = std::make_unique<Engine>(std::move(s), clock_, eo);
    engine_->add_transaction_hook(hook_);
  }

  EnqueueRequest job(std::string type = "mail") {
    EnqueueRequest r;
    r.type = std::move(type);
    r.max_attempts = 1;
    return r;
  }

  // n jobs of queue "mail", each failed for good.
  void make_dead(int n) {
    Answer<std::vector<ops::EnqueueResult>> stored;
    engine_->enqueue(std::vector<EnqueueRequest>(n, job()), stored.cb());
    engine_->run_once();
    ASSERT_EQ(stored.ok().size(), static_cast<std::size_t>(n));
    for (int left = n; left > 0;) {
      Answer<std::vector<Job>> taken;
      engine_->reserve({{"mail"}, 100, 0, {}, "w"}, taken.cb());
      engine_->run_once();
      std::vector<FailItem> fails;
      for (const Job& j : taken.ok()) {
        fails.push_back({j.id, j.lease_token, "bounced", FailKind::kPermanent, {}});
      }
      ASSERT_FALSE(fails.empty());
      left -= static_cast<int>(fails.size());
      engine_->settle({}, std::move(fails), [](auto) {});
      engine_->run_once();
    }
  }

  Counts counts() {
    Answer<QueueInfo> q;
    engine_->get_queue("mail", q.cb());
    engine_->run_once();
    return q.ok().counts;
  }

  testing::TempDir dir_;
  ManualClock clock_;
  bool failing_ = false;
  std::shared_ptr<RecordingHook> hook_ = std::make_shared<RecordingHook>();
  std::unique_ptr<Engine> engine_;
};

TEST_F(BulkWritesTest, ARetryDeadRunsInChunksThatNeverShareATransactionWithCommands) {
  open(/*bulk_chunk=*/1'000);
  make_dead(2'500);
  std::size_t before = hook_->transactions.size();
  Answer<std::int64_t> retried;
  engine_->retry_dead("mail", std::nullopt, retried.cb());
  engine_->run_once();
  EXPECT_FALSE(retried.ready()) << "1,500 dead jobs are left";
  Answer<std::vector<ops::EnqueueResult>> meanwhile;
  engine_->enqueue({job("pdf")}, meanwhile.cb());
  engine_->run_once();
  ASSERT_TRUE(meanwhile.ready()) << "applied between two chunks, not after the last";
  EXPECT_EQ(meanwhile.ok().size(), 1u);
  EXPECT_FALSE(retried.ready());
  engine_->run_once();
  ASSERT_TRUE(retried.ready());
  EXPECT_EQ(retried.ok(), 2'500);
  std::vector<Carried> txns(hook_->transactions.begin() + static_cast<std::ptrdiff_t>(before),
                            hook_->transactions.end());
  // The enqueue commits alone and is answered before the next chunk runs, in a transaction of
  // its own: a command never waits for a chunk inside its own commit.
  ASSERT_EQ(txns.size(), 4u);
  EXPECT_EQ(txns[0].retried, 1'000);
  EXPECT_EQ(txns[1].enqueued, 1);
  EXPECT_EQ(txns[1].retried, 0);
  EXPECT_EQ(txns[2].retried, 1'000);
  EXPECT_EQ(txns[2].enqueued, 0);
  EXPECT_EQ(txns[3].retried, 500);
  EXPECT_GT(engine_->next_wake_ms(), clock_.now_ms()) << "nothing left to do";
  Counts c = counts();
  EXPECT_EQ(c[JobState::kDead], 0);
  EXPECT_EQ(c[JobState::kQueued], 2'500);
}

TEST_F(BulkWritesTest, BetweenChunksTheWriterRestsAsLongAsTheDutyAsksAndAnswersCommands) {
  open(/*bulk_chunk=*/2, /*with_faults=*/false, /*bulk_duty=*/0.25);
  make_dead(5);
  hook_->clock = &clock_;
  hook_->chunk_ms = 10;
  std::size_t before = hook_->transactions.size();
  auto chunks = [&] {
    int n = 0;
    for (std::size_t i = before; i < hook_->transactions.size(); ++i) {
      n += hook_->transactions[i].retried > 0 ? 1 : 0;
    }
    return n;
  };
  Answer<std::int64_t> retried;
  engine_->retry_dead("mail", std::nullopt, retried.cb());
  TimeMs started = clock_.now_ms();
  engine_->run_once();
  ASSERT_EQ(chunks(), 1);
  // The chunk took 10 ms; at a duty of 0.25 the writer rests 30 ms after it.
  EXPECT_EQ(engine_->next_wake_ms(), started + 40);
  clock_.advance_ms(29);
  engine_->run_once();
  EXPECT_EQ(chunks(), 1) << "no chunk while the writer rests";
  Answer<std::vector<ops::EnqueueResult>> meanwhile;
  engine_->enqueue({job("pdf")}, meanwhile.cb());
  engine_->run_once();
  ASSERT_TRUE(meanwhile.ready()) << "commands are answered while the bulk write rests";
  EXPECT_EQ(hook_->transactions.back().enqueued, 1);
  EXPECT_EQ(chunks(), 1);
  clock_.advance_ms(1);
  engine_->run_once();
  EXPECT_EQ(chunks(), 2) << "rested: the second chunk runs";
  for (int i = 0; i < 10 && !retried.ready(); ++i) {
    clock_.advance_ms(40);
    engine_->run_once();
  }
  ASSERT_TRUE(retried.ready());
  EXPECT_EQ(retried.ok(), 5);
  EXPECT_EQ(chunks(), 3);
}

TEST_F(BulkWritesTest, AWallClockSteppedBackHoldsABulkWriteNoLongerThanASecond) {
  open(/*bulk_chunk=*/2);
  make_dead(5);
  hook_->clock = &clock_;
  hook_->chunk_ms = 10;
  Answer<std::int64_t> retried;
  engine_->retry_dead("mail", std::nullopt, retried.cb());
  engine_->run_once();
  std::size_t after_first = hook_->transactions.size();
  clock_.advance_ms(-60'000);
  engine_->run_once();
  ASSERT_GT(hook_->transactions.size(), after_first);
  EXPECT_EQ(hook_->transactions.back().retried, 2) << "a rest longer than a second is void";
  for (int i = 0; i < 10 && !retried.ready(); ++i) {
    clock_.advance_ms(20);
    engine_->run_once();
  }
  ASSERT_TRUE(retried.ready());  // before the answer goes out of scope
}

TEST_F(BulkWritesTest, APurgeRunsInChunksAndAnswersTheTotal) {
  open(/*bulk_chunk=*/2);
  make_dead(5);
  Answer<std::int64_t> purged;
  engine_->purge("mail", JobState::kDead, purged.cb());
  for (int batch = 0; batch < 2; ++batch) {
    engine_->run_once();
    EXPECT_FALSE(purged.ready()) << batch;
    EXPECT_LE(engine_->next_wake_ms(), clock_.now_ms()) << "the next chunk is due at once";
  }
  engine_->run_once();
  ASSERT_TRUE(purged.ready());
  EXPECT_EQ(purged.ok(), 5);
  Answer<ops::Stats> stats;
  engine_->stats(stats.cb());
  engine_->run_once();
  EXPECT_EQ(stats.ok().totals[JobState::kDead], 0);
}

TEST_F(BulkWritesTest, AChunkThatFailsAnswersTheErrorWithTheCountDoneWhichStaysDone) {
  open(/*bulk_chunk=*/2, /*with_faults=*/true);
  make_dead(5);
  Answer<std::int64_t> retried;
  engine_->retry_dead("mail", std::nullopt, retried.cb());
  engine_->run_once();
  ASSERT_FALSE(retried.ready());
  failing_ = true;
  engine_->run_once();
  ASSERT_TRUE(retried.ready());
  EXPECT_EQ(retried.code(), StatusCode::kUnavailable);
  const std::string& message = retried.value->error().message();
  EXPECT_NE(message.find("retrying the dead jobs of queue mail stopped after 2 jobs were "
                         "requeued: "),
            std::string::npos)
      << message;
  failing_ = false;
  EXPECT_GT(engine_->next_wake_ms(), clock_.now_ms()) << "ended, not retried in a loop";
  Counts c = counts();
  EXPECT_EQ(c[JobState::kQueued], 2);
  EXPECT_EQ(c[JobState::kDead], 3);
}

TEST_F(BulkWritesTest, APurgeOfAStateThatIsNotFinishedIsRefusedWithItsField) {
  open(/*bulk_chunk=*/2);
  Answer<std::int64_t> purged;
  engine_->purge("mail", JobState::kQueued, purged.cb());
  engine_->run_once();
  EXPECT_EQ(purged.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(purged.value->error().field(), "state");
}

TEST_F(BulkWritesTest, StopEndsABulkWriteBetweenChunksAndSaysHowMuchWasDone) {
  open(/*bulk_chunk=*/2);
  make_dead(5);
  Answer<std::int64_t> purged;
  engine_->purge("mail", JobState::kDead, purged.cb());
  engine_->run_once();
  engine_->stop();
  ASSERT_TRUE(purged.ready());
  EXPECT_EQ(purged.code(), StatusCode::kUnavailable);
  EXPECT_NE(purged.value->error().message().find("stopped after 4 jobs were deleted"),
            std::string::npos)
      << purged.value->error().message();
}

}  // namespace
}  // namespace spool::engine
