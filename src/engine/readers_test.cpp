// Reads off the writer (issue 13, D2): with the engine's threads running, reads are answered by
// reader threads on connections of their own, whatever the writer is doing, and still see every
// write whose caller was answered. Real threads and a real clock; every wait is bounded.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <future>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "engine/engine.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "support/temp_dir.hpp"

namespace spool::engine {
namespace {

constexpr auto kBound = std::chrono::seconds(10);

// Holds the writer inside its transaction, once armed, until released.
class BlockingHook final : public TransactionHook {
 public:
  StatusOr<void> before_commit(store::Store&, TimeMs, std::span<const JobEvent>) override {
    if (!armed_.exchange(false)) return {};
    entered_.set_value();
    // Bounded: a test that fails to release must not hang the suite.
    release_.wait_for(kBound);
    return {};
  }
  void arm() { armed_ = true; }
  bool wait_entered() {
    return entered_.get_future().wait_for(kBound) == std::future_status::ready;
  }
  void release() { release_promise_.set_value(); }

 private:
  std::atomic<bool> armed_{false};
  std::promise<void> entered_;
  std::promise<void> release_promise_;
  std::shared_future<void> release_ = release_promise_.get_future().share();
};

template <typename T>
struct Awaited {
  std::shared_ptr<std::promise<StatusOr<T>>> promise =
      std::make_shared<std::promise<StatusOr<T>>>();
  std::future<StatusOr<T>> future = promise->get_future();
  Callback<T> cb() {
    return [p = promise](StatusOr<T> r) { p->set_value(std::move(r)); };
  }
  bool ready() { return future.wait_for(kBound) == std::future_status::ready; }
};

class EngineReadersTest : public ::testing::Test {
 protected:
  void SetUp() override { start({}); }

  void start(EngineOptions eo) {
    if (engine_) engine_->stop();
    engine_.reset();
    store::SqliteOptions options;
    options.path = dir_.file("spool.db");
    auto store = store::open_sqlite_store(options);
    ASSERT_TRUE(store) << store.error().message();
    engine_ = std::make_unique<Engine>(std::move(*store), clock_, eo);
    engine_->add_transaction_hook(hook_);
    engine_->start();
  }

  EnqueueRequest job(std::string type = "mail") {
    EnqueueRequest r;
    r.type = std::move(type);
    return r;
  }

  testing::TempDir dir_;
  RealClock clock_;
  std::shared_ptr<BlockingHook> hook_ = std::make_shared<BlockingHook>();
  std::unique_ptr<Engine> engine_;
};

TEST_F(EngineReadersTest, AReadIsAnsweredWhileTheWriterIsHeldInsideATransaction) {
  Awaited<std::vector<ops::EnqueueResult>> first;
  engine_->enqueue({job()}, first.cb());
  ASSERT_TRUE(first.ready());
  std::string id = first.future.get().value().at(0).id;

  hook_->arm();
  Awaited<std::vector<ops::EnqueueResult>> held;
  engine_->enqueue({job()}, held.cb());
  ASSERT_TRUE(hook_->wait_entered());

  Awaited<Job> got;
  engine_->get_job(id, got.cb());
  Awaited<ops::Stats> stats;
  engine_->stats(stats.cb());
  Awaited<Observation> seen;
  engine_->observe({}, seen.cb());
  auto within = [](auto& awaited) {
    return awaited.future.wait_for(std::chrono::seconds(5)) == std::future_status::ready;
  };
  bool answered = within(got) && within(stats) && within(seen);
  hook_->release();
  ASSERT_TRUE(answered) << "a read waited for the writer";
  EXPECT_EQ(got.future.get().value().id, id);
  EXPECT_EQ(stats.future.get().value().totals[JobState::kQueued], 1) << "committed data only";
  EXPECT_FALSE(seen.future.get().value().store_error);
  ASSERT_TRUE(held.ready());
  EXPECT_TRUE(held.future.get());
}

TEST_F(EngineReadersTest, AJobIsReadableAsSoonAsItsEnqueueIsAnswered) {
  for (int i = 0; i < 200; ++i) {
    Awaited<std::vector<ops::EnqueueResult>> stored;
    engine_->enqueue({job()}, stored.cb());
    ASSERT_TRUE(stored.ready());
    std::string id = stored.future.get().value().at(0).id;
    Awaited<Job> got;
    engine_->get_job(id, got.cb());
    ASSERT_TRUE(got.ready());
    auto job = got.future.get();
    ASSERT_TRUE(job) << i << ": " << job.error().message();
    EXPECT_EQ(job->state, JobState::kQueued);
    Awaited<QueueInfo> queue;
    engine_->get_queue("mail", queue.cb());
    ASSERT_TRUE(queue.ready());
    EXPECT_EQ(queue.future.get().value().counts[JobState::kQueued], i + 1) << "counts too";
  }
}

TEST_F(EngineReadersTest, ReaderThreadsRunNicerThanTheRestSoScansYieldTheCoresToWrites) {
  errno = 0;
  int ours = ::getpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)));
  ASSERT_EQ(errno, 0);
  if (ours + 10 > 19) GTEST_SKIP() << "this test already runs at nice " << ours;
  auto reader_nice = std::make_shared<std::promise<int>>();
  // A read's answer is given on the reader thread that ran it.
  engine_->stats([reader_nice](StatusOr<ops::Stats>) {
    reader_nice->set_value(::getpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid))));
  });
  auto nice = reader_nice->get_future();
  ASSERT_EQ(nice.wait_for(kBound), std::future_status::ready);
  EXPECT_EQ(nice.get(), ours + EngineOptions{}.reader_nice);
}

TEST_F(EngineReadersTest, StopRefusesTheReadsNotYetStartedAndWaitsForTheOneRunning) {
  EngineOptions one_reader;
  one_reader.read_threads = 1;
  start(one_reader);
  std::promise<void> entered, release;
  std::shared_future<void> released = release.get_future().share();
  Awaited<ops::Stats> running;
  engine_->stats([&, p = running.promise](StatusOr<ops::Stats> r) {
    entered.set_value();
    released.wait_for(kBound);  // holds the only reader thread
    p->set_value(std::move(r));
  });
  ASSERT_EQ(entered.get_future().wait_for(kBound), std::future_status::ready);
  Awaited<ops::Stats> waiting;
  engine_->stats(waiting.cb());
  auto stopped = std::async(std::launch::async, [this] { engine_->stop(); });
  ASSERT_TRUE(waiting.ready()) << "refused without waiting for a reader";
  auto refused = waiting.future.get();
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), StatusCode::kUnavailable);
  EXPECT_NE(refused.error().message().find("shutting down"), std::string::npos);
  EXPECT_EQ(stopped.wait_for(std::chrono::milliseconds(0)), std::future_status::timeout)
      << "stop() joins the reader thread, which is still in its read";
  release.set_value();
  ASSERT_EQ(stopped.wait_for(kBound), std::future_status::ready);
  ASSERT_TRUE(running.ready());
  EXPECT_TRUE(running.future.get()) << "the read that had started is answered";
}

}  // namespace
}  // namespace spool::engine
