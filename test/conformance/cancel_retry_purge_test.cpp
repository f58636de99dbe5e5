// Conformance: an operator's writes on jobs that are not running (store.hpp cancel, retry,
// retry_dead, purge), and the conflicts they answer for jobs in the wrong state.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "conformance/store_fixture.hpp"

namespace spool::store::conformance {
namespace {

TYPED_TEST(StoreConformanceTest, CancelWorksFromScheduledQueuedAndRetrying) {
  NewJob s = new_job(1);
  s.job.state = JobState::kScheduled;
  s.job.run_at = kNow + 1000;
  this->enqueue(s);
  this->enqueue(new_job(2));
  this->enqueue(new_job(3));
  Job r = this->reserve({"email"}, 1)[0];  // job 2
  ASSERT_TRUE(this->fail(r, FailKind::kRetry, kNow, 5000));
  for (int n : {1, 2, 3}) {
    auto c = this->write([&](Store& st) { return st.cancel(job_id(n), kNow + 7); });
    ASSERT_TRUE(c) << c.error().message();
    EXPECT_EQ(c->state, JobState::kCancelled);
    Job got = this->get(n);
    EXPECT_EQ(got.state, JobState::kCancelled);
    EXPECT_EQ(got.finished_at, kNow + 7);
    EXPECT_EQ(got.expires_at, kNow + 7 + kDefaultRetainCancelledMs);
  }
  Counts c = this->counts("email");
  EXPECT_EQ(c[JobState::kCancelled], 3);
  EXPECT_EQ(c[JobState::kScheduled] + c[JobState::kQueued] + c[JobState::kRetrying], 0);
  EXPECT_EQ(this->store().next_due().value(), std::nullopt);
}

TYPED_TEST(StoreConformanceTest, CancelOfAnActiveOrFinishedJobIsAConflictNamingTheState) {
  this->enqueue(new_job(1));
  this->enqueue(new_job(2));
  auto jobs = this->reserve({"email"}, 2);
  ASSERT_TRUE(this->ack(jobs[1]));
  auto c = this->write([&](Store& s) { return s.cancel(job_id(1), kNow); });
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code(), StatusCode::kConflict);
  EXPECT_NE(c.error().message().find("active"), std::string::npos) << c.error().message();
  c = this->write([&](Store& s) { return s.cancel(job_id(2), kNow); });
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code(), StatusCode::kConflict);
  EXPECT_NE(c.error().message().find("completed"), std::string::npos) << c.error().message();
}

TYPED_TEST(StoreConformanceTest, RetryOfDeadOrCancelledJobResetsAttempts) {
  this->make_dead(1, "email", "email");
  this->enqueue(new_job(2));
  ASSERT_TRUE(this->write([&](Store& s) { return s.cancel(job_id(2), kNow); }));
  for (int n : {1, 2}) {
    auto r = this->write([&](Store& s) { return s.retry(job_id(n), kNow + 50); });
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->state, JobState::kQueued);
    Job got = this->get(n);
    EXPECT_EQ(got.state, JobState::kQueued);
    EXPECT_EQ(got.attempts, 0);
    EXPECT_EQ(got.run_at, kNow + 50);
    EXPECT_EQ(got.finished_at, std::nullopt);
    EXPECT_EQ(got.expires_at, std::nullopt);
  }
  EXPECT_EQ(this->counts("email")[JobState::kQueued], 2);
  EXPECT_EQ(this->reserve({"email"}, 5).size(), 2u);
}

TYPED_TEST(StoreConformanceTest, RetryOfALiveJobIsAConflict) {
  this->enqueue(new_job(1));
  auto r = this->write([&](Store& s) { return s.retry(job_id(1), kNow); });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), StatusCode::kConflict);
  EXPECT_NE(r.error().message().find("queued"), std::string::npos);
}

TYPED_TEST(StoreConformanceTest, RetryDeadRequeuesTheQueuesDeadJobsOptionallyOfOneType) {
  this->make_dead(1, "a", "q");
  this->make_dead(2, "a", "q");
  this->make_dead(3, "b", "q");
  this->make_dead(4, "a", "other");
  auto n = this->write([](Store& s) { return s.retry_dead("q", std::string("a"), kNow, 1000); });
  EXPECT_EQ(must(std::move(n)).size(), 2u);
  EXPECT_EQ(this->get(1).state, JobState::kQueued);
  EXPECT_EQ(this->get(1).attempts, 0);
  EXPECT_EQ(this->get(3).state, JobState::kDead);
  n = this->write([](Store& s) { return s.retry_dead("q", std::nullopt, kNow, 1000); });
  EXPECT_EQ(must(std::move(n)).size(), 1u);
  EXPECT_EQ(this->get(4).state, JobState::kDead);
  Counts c = this->counts("q");
  EXPECT_EQ(c[JobState::kDead], 0);
  EXPECT_EQ(c[JobState::kQueued], 3);
  n = this->write([](Store& s) { return s.retry_dead("unknown", std::nullopt, kNow, 1000); });
  EXPECT_EQ(must(std::move(n)).size(), 0u);
}

TYPED_TEST(StoreConformanceTest, PurgeDeletesTheQueuesJobsInOneFinishedState) {
  this->make_dead(1, "t", "q");
  this->enqueue(new_job(2, "t", "q"));
  this->enqueue(new_job(3, "t", "q"));
  for (const Job& j : this->reserve({"q"}, 2)) ASSERT_TRUE(this->ack(j));
  this->make_dead(4, "t", "other");
  auto n = this->write([](Store& s) { return s.purge("q", JobState::kCompleted, 1000); });
  EXPECT_EQ(must(std::move(n)), 2);
  EXPECT_FALSE(this->store().get_job(job_id(2)));
  EXPECT_EQ(this->get(1).state, JobState::kDead);
  n = this->write([](Store& s) { return s.purge("q", JobState::kDead, 1000); });
  EXPECT_EQ(must(std::move(n)), 1);
  EXPECT_TRUE(this->store().get_job(job_id(4)));
  Counts c = this->counts("other");
  EXPECT_EQ(c[JobState::kDead], 1);
  auto bad = this->write([](Store& s) { return s.purge("q", JobState::kQueued, 1000); });
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), StatusCode::kInvalidArgument);
}

// D2: the engine requeues and purges in chunks, so one call must stop at its limit, take the
// oldest jobs first, and say by a short answer that nothing is left.
TYPED_TEST(StoreConformanceTest, RetryDeadRequeuesAtMostLimitJobsOldestFirst) {
  for (int n = 1; n <= 5; ++n) this->make_dead(n, "a", "q");
  std::vector<std::vector<std::string>> chunks;
  for (int call = 0; call < 4; ++call) {
    auto r = this->write([](Store& s) { return s.retry_dead("q", std::nullopt, kNow, 2); });
    std::vector<std::string> ids;
    for (const SettleResult& settled : must(std::move(r))) ids.push_back(settled.id);
    chunks.push_back(std::move(ids));
    if (call == 0) {
      Counts c = this->counts("q");
      EXPECT_EQ(c[JobState::kDead], 3);
      EXPECT_EQ(c[JobState::kQueued], 2);
      EXPECT_EQ(this->get(3).state, JobState::kDead);
    }
  }
  EXPECT_EQ(chunks, (std::vector<std::vector<std::string>>{
                        {job_id(1), job_id(2)}, {job_id(3), job_id(4)}, {job_id(5)}, {}}));
  EXPECT_EQ(this->counts("q")[JobState::kQueued], 5);
}

TYPED_TEST(StoreConformanceTest, PurgeDeletesAtMostLimitJobsOldestFirstAndKeepsEachDedupeKey) {
  for (int n = 1; n <= 4; ++n) {
    NewJob j = new_job(n, "t", "q");
    j.job.dedupe_key = "key-" + std::to_string(n);
    this->enqueue(j);
  }
  for (const Job& j : this->reserve({"q"}, 4)) ASSERT_TRUE(this->ack(j));
  auto n = this->write([](Store& s) { return s.purge("q", JobState::kCompleted, 3); });
  EXPECT_EQ(must(std::move(n)), 3);
  EXPECT_FALSE(this->store().get_job(job_id(3)));
  EXPECT_EQ(this->get(4).state, JobState::kCompleted) << "beyond the limit";
  EXPECT_EQ(this->counts("q")[JobState::kCompleted], 1);
  n = this->write([](Store& s) { return s.purge("q", JobState::kCompleted, 3); });
  EXPECT_EQ(must(std::move(n)), 1) << "fewer than the limit: nothing is left";
  n = this->write([](Store& s) { return s.purge("q", JobState::kCompleted, 3); });
  EXPECT_EQ(must(std::move(n)), 0);
  // The key of a job purged by the second call holds as the first call's do (D3).
  for (int k : {1, 4}) {
    NewJob again = new_job(10 + k, "t", "q");
    again.job.dedupe_key = "key-" + std::to_string(k);
    auto r = this->enqueue(again);
    EXPECT_TRUE(r.deduplicated) << k;
    EXPECT_EQ(r.id, job_id(k));
    EXPECT_EQ(r.state, JobState::kCompleted);
  }
}

}  // namespace
}  // namespace spool::store::conformance
