// Conformance: upkeep (store.hpp "Upkeep"): tick promotes due jobs and expires leases,
// sweep_retention deletes finished jobs and dedupe keys, next_due/next_expiry time the next pass.
#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "conformance/store_fixture.hpp"

namespace spool::store::conformance {
namespace {

TYPED_TEST(StoreConformanceTest, TickPromotesDueJobsAndNamesTheirQueues) {
  auto add = [&](int n, std::string queue, TimeMs run_at) {
    NewJob j = new_job(n, "t", queue);
    j.job.state = JobState::kScheduled;
    j.job.run_at = run_at;
    this->enqueue(j);
  };
  add(1, "a", kNow + 100);
  add(2, "b", kNow + 200);
  add(3, "a", kNow + 150);
  add(4, "c", kNow + 300);
  TickResult t = this->tick(kNow + 250);
  EXPECT_EQ(t.promoted, 3);
  EXPECT_EQ(t.expired, 0);
  std::vector<std::string> queues = t.queues_with_new_work;
  std::sort(queues.begin(), queues.end());
  EXPECT_EQ(queues, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(this->get(1).state, JobState::kQueued);
  EXPECT_EQ(this->get(4).state, JobState::kScheduled);
  EXPECT_EQ(this->counts("a")[JobState::kQueued], 2);
  EXPECT_EQ(this->counts("a")[JobState::kScheduled], 0);
}

TYPED_TEST(StoreConformanceTest, TickPromotesAtMostLimitOfEachKind) {
  for (int n = 1; n <= 5; ++n) {
    NewJob j = new_job(n);
    j.job.state = JobState::kScheduled;
    j.job.run_at = kNow + n;
    this->enqueue(j);
  }
  for (int n = 6; n <= 8; ++n) this->enqueue(new_job(n));
  this->reserve({"email"}, 10, kNow, 1000);  // 3 active, leases end at kNow + 1000
  TickResult t = this->tick(kNow + 1000, 2);
  EXPECT_EQ(t.promoted, 2);
  EXPECT_EQ(t.expired, 2);
  EXPECT_EQ(this->get(1).state, JobState::kQueued);  // earliest first
  EXPECT_EQ(this->get(3).state, JobState::kScheduled);
}

TYPED_TEST(StoreConformanceTest, TickExpiresALeaseCountingTheAttempt) {
  NewJob nj = new_job(1);
  nj.job.backoff = Backoff{BackoffType::kExponential, 1000, 60'000, false};
  this->enqueue(nj);
  this->reserve({"email"}, 1, kNow, 1000, "w9");
  EXPECT_EQ(this->tick(kNow + 999).expired, 0);
  TickResult t = this->tick(kNow + 1000);
  EXPECT_EQ(t.expired, 1);
  Job got = this->get(1);
  EXPECT_EQ(got.state, JobState::kRetrying);
  EXPECT_EQ(got.attempts, 1);
  EXPECT_EQ(got.run_at, kNow + 1000 + 1000);
  EXPECT_EQ(got.lease_token, "");
  ASSERT_EQ(got.errors.size(), 1u);
  EXPECT_EQ(got.errors[0].kind, FailKind::kLeaseExpired);
  EXPECT_EQ(got.errors[0].message, "lease expired after 1000 ms without ack (worker w9)");
  EXPECT_EQ(got.errors[0].attempt, 1);
  Counts c = this->counts("email");
  EXPECT_EQ(c[JobState::kActive], 0);
  EXPECT_EQ(c[JobState::kRetrying], 1);
}

TYPED_TEST(StoreConformanceTest, TickExpiredLeaseWithAttemptsSpentIsDead) {
  NewJob nj = new_job(1);
  nj.job.max_attempts = 1;
  this->enqueue(nj);
  this->reserve({"email"}, 1, kNow, 1000);
  EXPECT_EQ(this->tick(kNow + 1000).expired, 1);
  Job got = this->get(1);
  EXPECT_EQ(got.state, JobState::kDead);
  EXPECT_EQ(got.finished_at, kNow + 1000);
  EXPECT_EQ(got.expires_at, kNow + 1000 + kDefaultRetainDeadMs);
  EXPECT_EQ(this->counts("email")[JobState::kDead], 1);
}

// ---- Retention and due times ----------------------------------------------------------------

TYPED_TEST(StoreConformanceTest, SweepRetentionDeletesInChunksHonouringQueueRetention) {
  QueueConfig cfg;
  cfg.retain_completed_ms = 1000;
  must(this->write([&](Store& s) { return s.patch_queue("short", cfg); }));
  for (int n = 1; n <= 3; ++n) this->enqueue(new_job(n, "t", "short"));
  this->enqueue(new_job(4, "t", "long"));
  for (const Job& j : this->reserve({"short", "long"}, 4)) ASSERT_TRUE(this->ack(j));
  EXPECT_EQ(this->store().next_expiry().value(), kNow + 1000);

  auto sweep = [&](TimeMs now, int limit) {
    return must(this->write([&](Store& s) { return s.sweep_retention(now, limit); }));
  };
  EXPECT_EQ(sweep(kNow + 999, 10), 0);
  EXPECT_EQ(sweep(kNow + 1000, 2), 2);
  EXPECT_EQ(sweep(kNow + 1000, 2), 1);
  EXPECT_EQ(sweep(kNow + 1000, 2), 0);
  EXPECT_FALSE(this->store().get_job(job_id(1)));
  EXPECT_TRUE(this->store().get_job(job_id(4)));
  EXPECT_EQ(this->counts("short")[JobState::kCompleted], 0);
  EXPECT_EQ(this->counts("long")[JobState::kCompleted], 1);
  EXPECT_EQ(this->store().next_expiry().value(), kNow + kDefaultRetainCompletedMs);
  EXPECT_EQ(sweep(kNow + kDefaultRetainCompletedMs, 10), 1);
  EXPECT_EQ(this->store().next_expiry().value(), std::nullopt);
}

TYPED_TEST(StoreConformanceTest, SweepRetentionForgetsExpiredDedupeKeys) {
  NewJob a = new_job(1);
  a.job.dedupe_key = "k";
  a.dedupe_window_ms = 1000;
  this->enqueue(a);
  must(this->write([](Store& s) { return s.sweep_retention(kNow + 1000, 10); }));
  NewJob b = new_job(2);
  b.job.dedupe_key = "k";
  b.job.created_at = kNow + 2000;
  EXPECT_FALSE(this->enqueue(b).deduplicated);
}

TYPED_TEST(StoreConformanceTest, NextDueIsTheEarliestRunAtOrLeaseExpiry) {
  EXPECT_EQ(this->store().next_due().value(), std::nullopt);
  NewJob s = new_job(1);
  s.job.state = JobState::kScheduled;
  s.job.run_at = kNow + 500;
  this->enqueue(s);
  EXPECT_EQ(this->store().next_due().value(), kNow + 500);
  this->enqueue(new_job(2));
  EXPECT_EQ(this->store().next_due().value(), kNow + 500);  // queued jobs are not "due" work
  this->reserve({"email"}, 1, kNow, 300);
  EXPECT_EQ(this->store().next_due().value(), kNow + 300);
  EXPECT_EQ(this->store().next_expiry().value(), std::nullopt);
}

}  // namespace
}  // namespace spool::store::conformance
