// Long polls at scale (issue 13, D8): serving, expiring and counting parked waiters costs what
// the waiters concerned cost, not what all of them do. Engine tests use a real SQLite store
// and the manual clock, without the writer thread.
#include "engine/waiters.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "engine/engine.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "support/temp_dir.hpp"
#include "support/test_answer.hpp"

namespace spool::engine {
namespace {

Waiter parked(WaiterId id, std::vector<std::string> queues, TimeMs deadline) {
  Waiter w;
  w.id = id;
  w.request.queues = std::move(queues);
  w.deadline = deadline;
  return w;
}

// The ids visit() hands to its callback, trying every waiter and removing none.
std::vector<WaiterId> visited(Waiters& waiters, const std::set<std::string>& dirty,
                              bool all_dirty = false, std::set<std::string> skipped = {}) {
  std::vector<WaiterId> ids;
  waiters.visit(
      dirty, all_dirty, [&](const std::string& q) { return skipped.contains(q); },
      [&](Waiter& w) {
        ids.push_back(w.id);
        return true;
      });
  return ids;
}

TEST(WaitersTest, FreshWaitersAreVisitedOnceOldestFirstThenOnlyThroughTheirQueues) {
  Waiters waiters;
  waiters.add(parked(1, {"mail"}, 100));
  waiters.add(parked(2, {"pdf"}, 100));
  waiters.add(parked(3, {"pdf", "mail"}, 100));
  EXPECT_EQ(visited(waiters, {}), (std::vector<WaiterId>{1, 2, 3}));
  EXPECT_TRUE(visited(waiters, {}).empty()) << "no longer fresh, no queue dirty";
  EXPECT_EQ(visited(waiters, {"mail"}), (std::vector<WaiterId>{1, 3}));
  EXPECT_EQ(visited(waiters, {"mail", "pdf"}), (std::vector<WaiterId>{1, 2, 3}))
      << "oldest first across queues, each waiter once";
  EXPECT_EQ(visited(waiters, {}, /*all_dirty=*/true), (std::vector<WaiterId>{1, 2, 3}));
}

TEST(WaitersTest, ASkippedQueueCostsNoMoreVisits) {
  Waiters waiters;
  for (WaiterId id = 1; id <= 5; ++id) waiters.add(parked(id, {"mail"}, 100));
  waiters.add(parked(6, {"pdf", "mail"}, 100));
  visited(waiters, {});
  std::set<std::string> empty;
  std::vector<WaiterId> ids;
  waiters.visit(
      {"mail", "pdf"}, false, [&](const std::string& q) { return empty.contains(q); },
      [&](Waiter& w) {
        ids.push_back(w.id);
        if (w.id == 2) empty.insert("mail");  // the second waiter found mail empty
        return true;
      });
  EXPECT_EQ(ids, (std::vector<WaiterId>{1, 2, 6})) << "6 is visited for pdf";
}

TEST(WaitersTest, AWaiterRemovedInTheMiddleKeepsTheOthersInOrderAndUncounted) {
  Waiters waiters;
  waiters.add(parked(1, {"mail"}, 300));
  waiters.add(parked(2, {"mail", "pdf"}, 100));
  waiters.add(parked(3, {"mail"}, 200));
  auto removed = waiters.remove(2);
  ASSERT_TRUE(removed);
  EXPECT_EQ(removed->id, 2u);
  EXPECT_FALSE(waiters.remove(2)) << "already answered";
  EXPECT_EQ(waiters.size(), 2u);
  EXPECT_EQ(waiters.count_by_queue(),
            (std::vector<std::pair<std::string, std::size_t>>{{"mail", 2}}));
  EXPECT_EQ(waiters.earliest_deadline(), 200);
  EXPECT_EQ(visited(waiters, {"mail", "pdf"}), (std::vector<WaiterId>{1, 3}));
}

TEST(WaitersTest, AWaiterMayRemoveItselfWhileVisited) {
  Waiters waiters;
  for (WaiterId id = 1; id <= 4; ++id) waiters.add(parked(id, {"mail", "pdf"}, 100));
  std::vector<WaiterId> ids;
  waiters.visit(
      {"mail", "pdf"}, false, [](const std::string&) { return false; },
      [&](Waiter& w) {
        ids.push_back(w.id);
        if (w.id % 2 == 1) {
          EXPECT_TRUE(waiters.remove(w.id));
        }
        return true;
      });
  EXPECT_EQ(ids, (std::vector<WaiterId>{1, 2, 3, 4}));
  EXPECT_EQ(waiters.count_by_queue(),
            (std::vector<std::pair<std::string, std::size_t>>{{"mail", 2}, {"pdf", 2}}));
  ASSERT_TRUE(waiters.remove(2));
  ASSERT_TRUE(waiters.remove(4));
  EXPECT_TRUE(waiters.count_by_queue().empty()) << "a queue without waiters is forgotten";
}

TEST(WaitersTest, ExpiredWaitersAreTakenEarliestDeadlineFirstAndNoOthers) {
  Waiters waiters;
  waiters.add(parked(1, {"mail"}, 500));
  waiters.add(parked(2, {"mail"}, 100));
  waiters.add(parked(3, {"pdf"}, 300));
  waiters.add(parked(4, {"pdf"}, 300));
  EXPECT_EQ(waiters.earliest_deadline(), 100);
  EXPECT_TRUE(waiters.take_expired(99).empty());
  std::vector<WaiterId> ids;
  for (const Waiter& w : waiters.take_expired(300)) ids.push_back(w.id);
  EXPECT_EQ(ids, (std::vector<WaiterId>{2, 3, 4}));
  EXPECT_EQ(waiters.earliest_deadline(), 500);
  EXPECT_EQ(waiters.count_by_queue(),
            (std::vector<std::pair<std::string, std::size_t>>{{"mail", 1}}));
  EXPECT_EQ(waiters.take_all().size(), 1u);
  EXPECT_FALSE(waiters.earliest_deadline());
}

class EngineWaitersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store::SqliteOptions options;
    options.path = dir_.file("spool.db");
    auto store = store::open_sqlite_store(options);
    ASSERT_TRUE(store) << store.error().message();
    EngineOptions eo;
    eo.seed = 7;
    engine_ = std::make_unique<Engine>(std::move(*store), clock_, eo);
  }

  // Submits a long poll; its answer lives as long as the fixture, so it outlives the
  // engine, whose stop() answers the waiters still parked.
  Answer<std::vector<Job>>& park(std::vector<std::string> queues, std::int64_t wait_ms = 60'000,
                                 WaiterId* id = nullptr) {
    Answer<std::vector<Job>>& answer = waiting_.emplace_back();
    WaiterId given = engine_->reserve({std::move(queues), 1, wait_ms, {}, "w"}, answer.cb());
    if (id != nullptr) *id = given;
    return answer;
  }

  std::string enqueue(const std::string& queue) {
    Answer<std::vector<ops::EnqueueResult>> a;
    EnqueueRequest r;
    r.type = queue;
    engine_->enqueue({r}, a.cb());
    engine_->run_once();
    return a.ok().at(0).id;
  }

  testing::TempDir dir_;
  ManualClock clock_;
  std::deque<Answer<std::vector<Job>>> waiting_;  // before engine_: destroyed after it
  std::unique_ptr<Engine> engine_;
};

TEST_F(EngineWaitersTest, ABatchThatTouchesOneQueueVisitsOnlyThatQueuesWaiters) {
  constexpr int kParked = 10'000;
  constexpr int kMailEvery = 1'000;  // 10 of the parked waiters wait on "mail"
  for (int i = 0; i < kParked; ++i) {
    park({i % kMailEvery == 0 ? "mail" : "other_" + std::to_string(i % 100)});
  }
  engine_->run_once();
  ASSERT_EQ(engine_->waiter_count(), static_cast<std::size_t>(kParked));
  std::uint64_t before = engine_->waiter_visits();
  std::string id = enqueue("mail");
  ASSERT_TRUE(waiting_[0].ready()) << "the oldest mail waiter gets the job";
  ASSERT_EQ(waiting_[0].ok().size(), 1u);
  EXPECT_EQ(waiting_[0].ok()[0].id, id);
  EXPECT_LE(engine_->waiter_visits() - before, static_cast<std::uint64_t>(kParked / kMailEvery));
  EXPECT_EQ(engine_->waiter_count(), static_cast<std::size_t>(kParked - 1));
}

TEST_F(EngineWaitersTest, AWaiterNamingTwoQueuesIsServedBeforeNewerWaitersOfEither) {
  auto& pdf_only = park({"pdf"});
  engine_->run_once();
  auto& both = park({"mail", "pdf"});
  engine_->run_once();
  auto& mail_only = park({"mail"});
  engine_->run_once();
  std::string mail = enqueue("mail");
  ASSERT_TRUE(both.ready()) << "older than the mail-only waiter";
  EXPECT_EQ(both.ok().at(0).id, mail);
  EXPECT_FALSE(mail_only.ready());
  std::string pdf = enqueue("pdf");
  ASSERT_TRUE(pdf_only.ready());
  EXPECT_EQ(pdf_only.ok().at(0).id, pdf);
  EXPECT_FALSE(mail_only.ready());
}

TEST_F(EngineWaitersTest, ACancelledWaiterInTheMiddleLeavesTheOthersInOrder) {
  WaiterId id = 0;
  auto& first = park({"mail"});
  auto& middle = park({"mail"}, 60'000, &id);
  auto& last = park({"mail"});
  engine_->run_once();
  engine_->cancel_waiter(id);
  engine_->run_once();
  ASSERT_TRUE(middle.ready());
  EXPECT_TRUE(middle.ok().empty());
  enqueue("mail");
  EXPECT_EQ(first.ok().size(), 1u);
  EXPECT_FALSE(last.ready());
  enqueue("mail");
  EXPECT_EQ(last.ok().size(), 1u);
  EXPECT_EQ(engine_->waiter_count(), 0u);
}

TEST_F(EngineWaitersTest, EachWaiterExpiresAtItsOwnDeadlineWhateverTheOrderOfArrival) {
  auto& long_wait = park({"mail"}, 9'000);
  auto& short_wait = park({"mail"}, 3'000);
  engine_->run_once();
  EXPECT_EQ(engine_->next_wake_ms(), clock_.now_ms() + 3'000);
  clock_.advance_ms(3'000);
  engine_->run_once();
  ASSERT_TRUE(short_wait.ready());
  EXPECT_TRUE(short_wait.ok().empty());
  EXPECT_FALSE(long_wait.ready());
  EXPECT_EQ(engine_->next_wake_ms(), clock_.now_ms() + 6'000);
  clock_.advance_ms(6'000);
  engine_->run_once();
  ASSERT_TRUE(long_wait.ready());
  EXPECT_EQ(engine_->waiter_count(), 0u);
}

TEST_F(EngineWaitersTest, ObserveCountsParkedWaitersByQueue) {
  park({"mail", "pdf"});
  park({"mail"});
  park({"pdf"});
  engine_->run_once();
  Answer<Observation> seen;
  engine_->observe({}, seen.cb());
  engine_->run_once();
  EXPECT_EQ(seen.ok().waiters,
            (std::vector<std::pair<std::string, std::size_t>>{{"mail", 2}, {"pdf", 2}}));
}

}  // namespace
}  // namespace spool::engine
