// Conformance: Store::reserve (store.hpp "Reserve"): which queued jobs a worker is handed, in
// what order, with what lease, and what pause, concurrency caps and rate limits hold back.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "conformance/store_fixture.hpp"

namespace spool::store::conformance {
namespace {

TYPED_TEST(StoreConformanceTest, ReserveOrdersByPriorityThenRunAtThenId) {
  auto add = [&](int n, int priority, TimeMs run_at) {
    NewJob j = new_job(n, "t", "q");
    j.job.priority = priority;
    j.job.run_at = run_at;
    this->enqueue(j);
  };
  add(1, 0, kNow);
  add(2, 10, kNow + 5);
  add(3, 10, kNow + 1);
  add(4, 0, kNow);
  add(5, -1, kNow - 100);
  auto jobs = this->reserve({"q"}, 10);
  std::vector<std::string> ids;
  for (const Job& j : jobs) ids.push_back(j.id);
  EXPECT_EQ(ids, (std::vector<std::string>{job_id(3), job_id(2), job_id(1), job_id(4), job_id(5)}));
}

TYPED_TEST(StoreConformanceTest, ReserveHandsOutAtMostMax) {
  for (int n = 1; n <= 5; ++n) this->enqueue(new_job(n));
  EXPECT_EQ(this->reserve({"email"}, 2).size(), 2u);
  EXPECT_EQ(this->reserve({"email"}, 2).size(), 2u);
  EXPECT_EQ(this->reserve({"email"}, 2).size(), 1u);
  EXPECT_EQ(this->reserve({"email"}, 2).size(), 0u);
  Counts c = this->counts("email");
  EXPECT_EQ(c[JobState::kActive], 5);
  EXPECT_EQ(c[JobState::kQueued], 0);
}

TYPED_TEST(StoreConformanceTest, ReserveMakesTheJobActiveWithAFreshLease) {
  NewJob nj = new_job(1);
  nj.job.lease_ms = 45'000;
  this->enqueue(nj);
  auto jobs = this->reserve({"email"}, 1, kNow + 10, std::nullopt, "worker-a");
  ASSERT_EQ(jobs.size(), 1u);
  const Job& j = jobs[0];
  EXPECT_EQ(j.state, JobState::kActive);
  EXPECT_EQ(j.attempts, 1);
  EXPECT_EQ(j.lease_token, "tok-1");
  EXPECT_EQ(j.lease_expires_at, kNow + 10 + 45'000);
  EXPECT_EQ(j.started_at, kNow + 10);
  EXPECT_EQ(j.worker, "worker-a");
  EXPECT_EQ(j.payload_json, "{\"n\":1}");
  Job got = this->get(1);
  EXPECT_EQ(got.state, JobState::kActive);
  EXPECT_EQ(got.attempts, 1);
  EXPECT_EQ(got.lease_token, "tok-1");
  EXPECT_EQ(got.lease_expires_at, kNow + 10 + 45'000);
  EXPECT_EQ(got.worker, "worker-a");
}

TYPED_TEST(StoreConformanceTest, ReserveLeaseMsOverridesTheJobsOwn) {
  this->enqueue(new_job(1));
  auto jobs = this->reserve({"email"}, 1, kNow, 1000);
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].lease_expires_at, kNow + 1000);
}

TYPED_TEST(StoreConformanceTest, ReserveSkipsAPausedQueue) {
  this->enqueue(new_job(1, "t", "a"));
  this->enqueue(new_job(2, "t", "b"));
  auto info = must(this->write([](Store& s) { return s.set_paused("a", true); }));
  EXPECT_TRUE(info.paused);
  EXPECT_EQ(info.counts[JobState::kQueued], 1);
  auto jobs = this->reserve({"a", "b"}, 2);
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].queue, "b");
  // A paused queue still accepts jobs.
  this->enqueue(new_job(3, "t", "a"));
  EXPECT_EQ(this->counts("a")[JobState::kQueued], 2);
  must(this->write([](Store& s) { return s.set_paused("a", false); }));
  EXPECT_EQ(this->reserve({"a"}, 5).size(), 2u);
}

TYPED_TEST(StoreConformanceTest, ReserveTriesQueuesInTheGivenOrder) {
  NewJob a = new_job(1, "t", "a");
  a.job.priority = 100;  // priority orders within a queue, never across queues
  this->enqueue(a);
  this->enqueue(new_job(2, "t", "b"));
  this->enqueue(new_job(3, "t", "b"));
  auto jobs = this->reserve({"b", "a"}, 1);
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].id, job_id(2));
  jobs = this->reserve({"b", "a"}, 5);
  ASSERT_EQ(jobs.size(), 2u);
  EXPECT_EQ(jobs[0].id, job_id(3));
  EXPECT_EQ(jobs[1].id, job_id(1));
}

TYPED_TEST(StoreConformanceTest, ReserveFromUnknownOrEmptyQueuesAnswersNothing) {
  auto r = this->reserve_result({"nothing-here"}, 3);
  EXPECT_TRUE(r.jobs.empty());
  EXPECT_EQ(r.retry_at, std::nullopt);
}

TYPED_TEST(StoreConformanceTest, ConcurrencyCapLimitsActiveJobsAcrossReserves) {
  QueueConfig cfg;
  cfg.concurrency = 2;
  must(this->write([&](Store& s) { return s.patch_queue("email", cfg); }));
  for (int n = 1; n <= 5; ++n) this->enqueue(new_job(n));
  auto r = this->reserve_result({"email"}, 5);
  EXPECT_EQ(r.jobs.size(), 2u);
  EXPECT_EQ(r.retry_at, std::nullopt);  // a cap has no timer
  auto r2 = this->reserve_result({"email"}, 5);
  EXPECT_TRUE(r2.jobs.empty());
  EXPECT_EQ(r2.retry_at, std::nullopt);
  ASSERT_TRUE(this->ack(r.jobs[0]));
  EXPECT_EQ(this->reserve({"email"}, 5).size(), 1u);
}

TYPED_TEST(StoreConformanceTest, RateLimitHoldsJobsBackAndSetsRetryAt) {
  QueueConfig cfg;
  cfg.rate_limit = RateLimit{2, 1000};
  must(this->write([&](Store& s) { return s.patch_queue("email", cfg); }));
  for (int n = 1; n <= 5; ++n) this->enqueue(new_job(n));
  auto r = this->reserve_result({"email"}, 5, kNow);
  EXPECT_EQ(r.jobs.size(), 2u);
  EXPECT_EQ(r.retry_at, kNow + 1000);
  r = this->reserve_result({"email"}, 5, kNow + 500);
  EXPECT_TRUE(r.jobs.empty());
  EXPECT_EQ(r.retry_at, kNow + 1000);
  r = this->reserve_result({"email"}, 5, kNow + 1000);
  EXPECT_EQ(r.jobs.size(), 2u);
  EXPECT_EQ(r.retry_at, kNow + 2000);
  r = this->reserve_result({"email"}, 5, kNow + 2000);
  EXPECT_EQ(r.jobs.size(), 1u);
  EXPECT_EQ(r.retry_at, std::nullopt);  // nothing ready was held back
}

}  // namespace
}  // namespace spool::store::conformance
