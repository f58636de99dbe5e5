// Conformance: queues (store.hpp set_paused, patch_queue, get_queue, list_queues, stats,
// queue_config): which queues exist, their config merges, and the counts per state.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "conformance/store_fixture.hpp"

namespace spool::store::conformance {
namespace {

TYPED_TEST(StoreConformanceTest, QueuesAreKnownByJobsOrConfigAndStatsCountEveryState) {
  this->enqueue(new_job(1, "t", "a"));
  this->enqueue(new_job(2, "t", "a"));
  NewJob s = new_job(3, "t", "b");
  s.job.state = JobState::kScheduled;
  s.job.run_at = kNow + 10;
  this->enqueue(s);
  must(this->write([](Store& st) { return st.set_paused("c", true); }));
  must(this->write([](Store& st) { return st.set_paused("d", false); }));  // default, no jobs

  auto queues = must(this->store().list_queues());
  std::vector<std::string> names;
  for (const QueueInfo& q : queues) names.push_back(q.name);
  EXPECT_EQ(names, (std::vector<std::string>{"a", "b", "c"}));

  auto stats = must(this->store().stats());
  EXPECT_EQ(stats.totals[JobState::kQueued], 2);
  EXPECT_EQ(stats.totals[JobState::kScheduled], 1);
  bool saw_a = false;
  for (const QueueInfo& q : stats.queues) {
    if (q.name == "a") {
      saw_a = true;
      EXPECT_EQ(q.counts[JobState::kQueued], 2);
    }
  }
  EXPECT_TRUE(saw_a);

  EXPECT_TRUE(this->store().get_queue("d"));  // exists from its first resume
  auto none = this->store().get_queue("never");
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code(), StatusCode::kNotFound);
}

TYPED_TEST(StoreConformanceTest, PatchQueueMergesAndQueueConfigDefaultsWhenUnknown) {
  EXPECT_EQ(this->store().queue_config("nope"), QueueConfig{});
  QueueConfig a;
  a.max_attempts = 7;
  a.lease_ms = 5000;
  must(this->write([&](Store& s) { return s.patch_queue("q", a); }));
  QueueConfig b;
  b.max_attempts = 2;
  b.rate_limit = RateLimit{10, 1000};
  b.retain_dead_ms = 60'000;
  auto info = must(this->write([&](Store& s) { return s.patch_queue("q", b); }));
  EXPECT_EQ(info.name, "q");
  EXPECT_EQ(info.config.max_attempts, 2);
  EXPECT_EQ(info.config.lease_ms, 5000);
  EXPECT_EQ(info.config.rate_limit, (RateLimit{10, 1000}));
  EXPECT_EQ(this->store().queue_config("q"), info.config);
  EXPECT_EQ(must(this->store().get_queue("q")).config, info.config);
}

// A queue known only by its jobs is forgotten once they are gone (issue 13, D7: a million one-off
// queue names must not stay forever), and comes back whole when a job names it again.
TYPED_TEST(StoreConformanceTest, QueuesWhoseJobsAreAllPurgedAreForgottenAndCanComeBack) {
  constexpr int kQueues = 1'000;
  auto queue = [](int n) { return "one_off_" + std::to_string(n); };
  ASSERT_TRUE(this->write([&](Store& s) -> StatusOr<void> {
    for (int n = 1; n <= kQueues; ++n) {
      if (auto r = s.enqueue(new_job(n, "t", queue(n))); !r) return tl::unexpected(r.error());
    }
    return {};
  }));
  EXPECT_EQ(must(this->store().list_queues()).size(), static_cast<std::size_t>(kQueues));
  ASSERT_TRUE(this->write([&](Store& s) -> StatusOr<void> {
    for (int n = 1; n <= kQueues; ++n) {
      if (auto r = s.cancel(job_id(n), kNow); !r) return tl::unexpected(r.error());
      if (auto r = s.purge(queue(n), JobState::kCancelled, 1000); !r)
        return tl::unexpected(r.error());
    }
    return {};
  }));
  EXPECT_TRUE(must(this->store().list_queues()).empty());
  Stats stats = must(this->store().stats());
  EXPECT_TRUE(stats.queues.empty());
  EXPECT_EQ(stats.totals[JobState::kCancelled], 0);
  EXPECT_EQ(this->store().get_queue(queue(7)).error().code(), StatusCode::kNotFound);
  auto reader = this->open_reader();
  ASSERT_TRUE(reader);
  EXPECT_TRUE(must(reader->list_queues()).empty());

  this->enqueue(new_job(kQueues + 1, "t", queue(7)));
  EXPECT_EQ(this->counts(queue(7))[JobState::kQueued], 1);
  EXPECT_EQ(must(reader->get_queue(queue(7))).counts[JobState::kQueued], 1);
  EXPECT_EQ(this->reserve({queue(7)}, 5).size(), 1u);
}

}  // namespace
}  // namespace spool::store::conformance
