// Conformance: run timeouts (core/job.hpp Job::timeout_ms). An attempt may run at most
// timeout_ms from its start, however often its lease is extended: reserve and extend never
// grant a lease past that deadline, a settle at or after it is refused as kTimedOut, and tick()
// fails the attempt as a timeout (retried with backoff like any failure, dead when the attempts
// are spent). A lease that runs out before the deadline is still a plain lease expiry.
#include <gtest/gtest.h>

#include "conformance/store_fixture.hpp"

namespace spool::store::conformance {
namespace {

NewJob with_timeout(int n, std::int64_t timeout_ms, int max_attempts = 3) {
  NewJob j = new_job(n);
  j.job.timeout_ms = timeout_ms;
  j.job.lease_ms = 30'000;
  j.job.max_attempts = max_attempts;
  return j;
}

TYPED_TEST(StoreConformanceTest, ATimeoutIsKeptAndCutsTheLeaseAtReserve) {
  this->enqueue(with_timeout(1, 5'000));
  this->enqueue(new_job(2));
  EXPECT_EQ(this->get(1).timeout_ms, 5'000);
  EXPECT_EQ(this->get(2).timeout_ms, std::nullopt);
  auto jobs = this->reserve({"email"}, 2);
  ASSERT_EQ(jobs.size(), 2u);
  EXPECT_EQ(jobs[0].timeout_ms, 5'000);
  EXPECT_EQ(jobs[0].lease_expires_at, kNow + 5'000);  // not kNow + 30'000
  EXPECT_EQ(jobs[1].lease_expires_at, kNow + kDefaultLeaseMs);
}

TYPED_TEST(StoreConformanceTest, ExtendsNeverReachPastTheTimeoutAndAreRefusedAtIt) {
  this->enqueue(with_timeout(1, 5'000));
  Job j = this->reserve({"email"}, 1, kNow, 1'000)[0];
  EXPECT_EQ(j.lease_expires_at, kNow + 1'000);
  auto extend = [&](TimeMs at, std::int64_t lease_ms) {
    return this->write([&](Store& s) {
      return s.extend(ExtendRequest{j.id, j.lease_token, lease_ms, std::nullopt, at});
    });
  };
  auto first = extend(kNow + 900, 2'000);
  ASSERT_TRUE(first) << first.error().message();
  EXPECT_EQ(first->lease_expires_at, kNow + 2'900);
  auto capped = extend(kNow + 2'500, 3'000);
  ASSERT_TRUE(capped) << capped.error().message();
  EXPECT_EQ(capped->lease_expires_at, kNow + 5'000);  // not kNow + 5'500
  auto at_deadline = extend(kNow + 5'000, 3'000);
  ASSERT_FALSE(at_deadline);
  EXPECT_EQ(at_deadline.error().code(), StatusCode::kTimedOut);
  EXPECT_NE(at_deadline.error().message().find("timeout_ms of 5000 ms"), std::string::npos)
      << at_deadline.error().message();
  auto ack = this->ack(j, kNow + 5'000);
  ASSERT_FALSE(ack);
  EXPECT_EQ(ack.error().code(), StatusCode::kTimedOut);
  EXPECT_EQ(this->get(1).state, JobState::kActive);  // until a tick fails it
}

TYPED_TEST(StoreConformanceTest, TickFailsATimedOutAttemptAsATimeoutAndItIsRetried) {
  this->enqueue(with_timeout(1, 5'000));
  Job j = this->reserve({"email"}, 1)[0];
  EXPECT_EQ(this->tick(kNow + 4'999).expired, 0);
  TickResult t = this->tick(kNow + 5'000);
  ASSERT_EQ(t.expired, 1);
  ASSERT_EQ(t.expired_jobs.size(), 1u);
  EXPECT_EQ(t.expired_jobs[0].failed_kind, FailKind::kTimeout);
  EXPECT_EQ(t.expired_jobs[0].state, JobState::kRetrying);
  Job got = this->get(1);
  EXPECT_EQ(got.state, JobState::kRetrying);
  ASSERT_EQ(got.errors.size(), 1u);
  EXPECT_EQ(got.errors[0].kind, FailKind::kTimeout);
  EXPECT_EQ(got.errors[0].attempt, 1);
  EXPECT_NE(got.errors[0].message.find("timeout_ms of 5000 ms"), std::string::npos)
      << got.errors[0].message;
  // The worker that held it hears why when it next extends or settles.
  auto late = this->write([&](Store& s) {
    return s.extend(ExtendRequest{j.id, j.lease_token, std::nullopt, std::nullopt, kNow + 6'000});
  });
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().code(), StatusCode::kTimedOut);
  EXPECT_EQ(this->fail(j, FailKind::kRetry, kNow + 6'000).error().code(), StatusCode::kTimedOut);
}

TYPED_TEST(StoreConformanceTest, ATimeoutOnTheLastAttemptMakesTheJobDead) {
  this->enqueue(with_timeout(1, 1'000, 1));
  this->reserve({"email"}, 1);
  TickResult t = this->tick(kNow + 1'000);
  ASSERT_EQ(t.expired_jobs.size(), 1u);
  EXPECT_EQ(t.expired_jobs[0].state, JobState::kDead);
  EXPECT_EQ(this->get(1).state, JobState::kDead);
}

// A worker that stops extending loses its lease before the deadline: that is a lease expiry,
// and the next attempt's worker is not told of a timeout that never happened.
TYPED_TEST(StoreConformanceTest, ALeaseThatRunsOutBeforeTheTimeoutIsAPlainExpiry) {
  this->enqueue(with_timeout(1, 60'000));
  Job first = this->reserve({"email"}, 1, kNow, 1'000)[0];
  TickResult t = this->tick(kNow + 1'000);
  ASSERT_EQ(t.expired_jobs.size(), 1u);
  EXPECT_EQ(t.expired_jobs[0].failed_kind, FailKind::kLeaseExpired);
  EXPECT_EQ(this->get(1).errors.back().kind, FailKind::kLeaseExpired);
  auto stale = this->ack(first, kNow + 2'000);
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code(), StatusCode::kLeaseLost);
}

}  // namespace
}  // namespace spool::store::conformance
