// Conformance: settling an attempt (store.hpp "Settle"): ack, fail (retry, permanent, snooze,
// release) and extend, the lease checks that guard them, and what their answers tell observers.
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "conformance/store_fixture.hpp"
#include "core/backoff.hpp"

namespace spool::store::conformance {
namespace {

TYPED_TEST(StoreConformanceTest, AckCompletesWithResultAndRetention) {
  this->enqueue(new_job(1));
  auto jobs = this->reserve({"email"}, 1);
  auto r = this->ack(jobs[0], kNow + 20, R"({"ok":true})");
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->state, JobState::kCompleted);
  EXPECT_EQ(r->next_run_at, std::nullopt);
  Job got = this->get(1);
  EXPECT_EQ(got.state, JobState::kCompleted);
  EXPECT_EQ(got.finished_at, kNow + 20);
  EXPECT_EQ(got.result_json, R"({"ok":true})");
  EXPECT_EQ(got.lease_token, "");
  EXPECT_EQ(got.lease_expires_at, std::nullopt);
  EXPECT_EQ(got.expires_at, kNow + 20 + kDefaultRetainCompletedMs);
  Counts c = this->counts("email");
  EXPECT_EQ(c[JobState::kActive], 0);
  EXPECT_EQ(c[JobState::kCompleted], 1);
}

TYPED_TEST(StoreConformanceTest, AckUsesTheQueuesRetention) {
  QueueConfig cfg;
  cfg.retain_completed_ms = 5000;
  must(this->write([&](Store& s) { return s.patch_queue("email", cfg); }));
  this->enqueue(new_job(1));
  ASSERT_TRUE(this->ack(this->reserve({"email"}, 1)[0]));
  EXPECT_EQ(this->get(1).expires_at, kNow + 5000);
}

// D4: expiry is decided at the settle too, not only by tick(), which expires a bounded number
// of leases per batch: a late ack is not counted and an extend does not revive the lease.
TYPED_TEST(StoreConformanceTest, ALeasePastItsDeadlineIsLostBeforeAnyTickReachesIt) {
  this->enqueue(new_job(1));
  Job j = this->reserve({"email"}, 1, kNow, 1000)[0];
  auto late = this->ack(j, kNow + 2000);
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().code(), StatusCode::kLeaseLost);
  auto at_deadline = this->fail(j, FailKind::kRetry, kNow + 1000);
  ASSERT_FALSE(at_deadline);
  EXPECT_EQ(at_deadline.error().code(), StatusCode::kLeaseLost);
  auto revived = this->write([&](Store& s) {
    return s.extend(ExtendRequest{j.id, j.lease_token, 60'000, std::nullopt, kNow + 1500});
  });
  ASSERT_FALSE(revived);
  EXPECT_EQ(revived.error().code(), StatusCode::kLeaseLost);
  EXPECT_TRUE(this->ack(j, kNow + 999)) << "just before the deadline the lease still counts";
}

TYPED_TEST(StoreConformanceTest, AckWithStaleLeaseIsLeaseLost) {
  this->enqueue(new_job(1));
  Job j = this->reserve({"email"}, 1)[0];
  Job wrong = j;
  wrong.lease_token = "not-the-token";
  auto a = this->ack(wrong);
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code(), StatusCode::kLeaseLost);
  auto f = this->fail(wrong, FailKind::kRetry);
  ASSERT_FALSE(f);
  EXPECT_EQ(f.error().code(), StatusCode::kLeaseLost);
  auto e = this->write([&](Store& s) {
    return s.extend(ExtendRequest{j.id, "not-the-token", 1000, std::nullopt, kNow});
  });
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().code(), StatusCode::kLeaseLost);
  EXPECT_EQ(this->get(1).state, JobState::kActive);
}

TYPED_TEST(StoreConformanceTest, SettlingAnUnknownIdIsNotFound) {
  Job ghost;
  ghost.id = "01JDNOSUCHJOB0000000000000";
  ghost.lease_token = "t";
  auto a = this->ack(ghost);
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code(), StatusCode::kNotFound);
  auto f = this->fail(ghost, FailKind::kRetry);
  ASSERT_FALSE(f);
  EXPECT_EQ(f.error().code(), StatusCode::kNotFound);
  auto e = this->write([&](Store& s) {
    return s.extend(ExtendRequest{ghost.id, "t", 1000, std::nullopt, kNow});
  });
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().code(), StatusCode::kNotFound);
  auto c = this->write([&](Store& s) { return s.cancel(ghost.id, kNow); });
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code(), StatusCode::kNotFound);
  auto r = this->write([&](Store& s) { return s.retry(ghost.id, kNow); });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), StatusCode::kNotFound);
}

TYPED_TEST(StoreConformanceTest, SettlingAJobThatIsNotActiveIsLeaseLost) {
  this->enqueue(new_job(1));
  Job j = this->reserve({"email"}, 1)[0];
  ASSERT_TRUE(this->ack(j));
  auto again = this->ack(j);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code(), StatusCode::kLeaseLost);
}

TYPED_TEST(StoreConformanceTest, AckAfterLeaseExpiredAndReReservedIsLeaseLost) {
  this->enqueue(new_job(1));
  Job first = this->reserve({"email"}, 1, kNow, 1000)[0];
  TickResult t = this->tick(kNow + 1000, 100, 0.0);  // expires; jitter 0 -> retry at once
  EXPECT_EQ(t.expired, 1);
  this->tick(kNow + 1000);  // promotes the retry
  Job second = this->reserve({"email"}, 1, kNow + 1000)[0];
  EXPECT_EQ(second.id, first.id);
  EXPECT_NE(second.lease_token, first.lease_token);
  EXPECT_EQ(second.attempts, 2);

  auto a = this->ack(first, kNow + 1001);
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code(), StatusCode::kLeaseLost);
  auto f = this->fail(first, FailKind::kRetry, kNow + 1001);
  ASSERT_FALSE(f);
  EXPECT_EQ(f.error().code(), StatusCode::kLeaseLost);
  auto e = this->write([&](Store& s) {
    return s.extend(ExtendRequest{first.id, first.lease_token, 1000, std::nullopt, kNow + 1001});
  });
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().code(), StatusCode::kLeaseLost);
  EXPECT_TRUE(this->ack(second, kNow + 1001));
}

TYPED_TEST(StoreConformanceTest, FailRetryBacksOffExponentiallyWithJitter) {
  NewJob nj = new_job(1);
  nj.job.max_attempts = 5;
  nj.job.backoff = Backoff{BackoffType::kExponential, 1000, 60'000, true};
  this->enqueue(nj);

  Job j = this->reserve({"email"}, 1)[0];
  auto r = this->fail(j, FailKind::kRetry, kNow, std::nullopt, 0.5, "upstream 503");
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->state, JobState::kRetrying);
  EXPECT_EQ(r->next_run_at, kNow + 500);  // 1000 * 2^0 * 0.5
  EXPECT_EQ(retry_delay_ms(nj.job.backoff, 1, 0.5), 500);
  Job got = this->get(1);
  EXPECT_EQ(got.state, JobState::kRetrying);
  EXPECT_EQ(got.run_at, kNow + 500);
  EXPECT_EQ(got.attempts, 1);
  EXPECT_EQ(got.lease_token, "");
  ASSERT_EQ(got.errors.size(), 1u);
  EXPECT_EQ(got.errors[0].message, "upstream 503");
  EXPECT_EQ(got.errors[0].kind, FailKind::kRetry);
  EXPECT_EQ(got.errors[0].at, kNow);
  EXPECT_EQ(got.errors[0].attempt, 1);

  this->tick(kNow + 500);
  j = this->reserve({"email"}, 1, kNow + 500)[0];
  r = this->fail(j, FailKind::kRetry, kNow + 600, std::nullopt, 0.25);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->next_run_at, kNow + 600 + 500);  // 1000 * 2^1 * 0.25
  Counts c = this->counts("email");
  EXPECT_EQ(c[JobState::kRetrying], 1);
  EXPECT_EQ(c[JobState::kActive], 0);
}

TYPED_TEST(StoreConformanceTest, FailRetryAfterOverridesTheBackoff) {
  this->enqueue(new_job(1));
  Job j = this->reserve({"email"}, 1)[0];
  auto r = this->fail(j, FailKind::kRetry, kNow, 7000);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->state, JobState::kRetrying);
  EXPECT_EQ(r->next_run_at, kNow + 7000);
}

TYPED_TEST(StoreConformanceTest, FailWithAttemptsSpentIsDead) {
  NewJob nj = new_job(1);
  nj.job.max_attempts = 1;
  this->enqueue(nj);
  Job j = this->reserve({"email"}, 1)[0];
  auto r = this->fail(j, FailKind::kRetry, kNow + 5);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->state, JobState::kDead);
  EXPECT_EQ(r->next_run_at, std::nullopt);
  Job got = this->get(1);
  EXPECT_EQ(got.state, JobState::kDead);
  EXPECT_EQ(got.finished_at, kNow + 5);
  EXPECT_EQ(got.expires_at, kNow + 5 + kDefaultRetainDeadMs);
  ASSERT_EQ(got.errors.size(), 1u);
  EXPECT_EQ(this->counts("email")[JobState::kDead], 1);
}

TYPED_TEST(StoreConformanceTest, FailPermanentIsDeadWithAttemptsLeft) {
  NewJob nj = new_job(1);
  nj.job.max_attempts = 5;
  this->enqueue(nj);
  Job j = this->reserve({"email"}, 1)[0];
  auto r = this->fail(j, FailKind::kPermanent, kNow, std::nullopt, 0.5, "bad address");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->state, JobState::kDead);
  EXPECT_EQ(r->failed_kind, FailKind::kPermanent);
  Job got = this->get(1);
  ASSERT_EQ(got.errors.size(), 1u);
  EXPECT_EQ(got.errors[0].kind, FailKind::kPermanent);
  EXPECT_EQ(got.errors[0].message, "bad address");
}

TYPED_TEST(StoreConformanceTest, SnoozeGivesTheAttemptBackAndSchedules) {
  this->enqueue(new_job(1));
  Job j = this->reserve({"email"}, 1)[0];
  auto r = this->fail(j, FailKind::kSnooze, kNow, 3000);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->state, JobState::kScheduled);
  EXPECT_EQ(r->next_run_at, kNow + 3000);
  Job got = this->get(1);
  EXPECT_EQ(got.attempts, 0);
  EXPECT_EQ(got.run_at, kNow + 3000);
  EXPECT_EQ(this->counts("email")[JobState::kScheduled], 1);
}

TYPED_TEST(StoreConformanceTest, SnoozeWithoutDelayQueuesAtOnce) {
  this->enqueue(new_job(1));
  Job j = this->reserve({"email"}, 1)[0];
  auto r = this->fail(j, FailKind::kSnooze, kNow + 9, 0);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->state, JobState::kQueued);
  EXPECT_EQ(r->next_run_at, kNow + 9);
  EXPECT_EQ(this->get(1).attempts, 0);
}

TYPED_TEST(StoreConformanceTest, ReleaseGivesTheAttemptBackWithoutAnError) {
  this->enqueue(new_job(1));
  Job j = this->reserve({"email"}, 1)[0];
  auto r = this->fail(j, FailKind::kRelease, kNow + 3);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->state, JobState::kQueued);
  EXPECT_EQ(r->next_run_at, kNow + 3);
  Job got = this->get(1);
  EXPECT_EQ(got.attempts, 0);
  EXPECT_EQ(got.run_at, kNow + 3);
  EXPECT_TRUE(got.errors.empty());
  EXPECT_EQ(this->reserve({"email"}, 1).size(), 1u);
}

TYPED_TEST(StoreConformanceTest, ErrorsKeepOnlyTheLastTen) {
  NewJob nj = new_job(1);
  nj.job.max_attempts = 20;
  this->enqueue(nj);
  for (int i = 1; i <= 12; ++i) {
    Job j = this->reserve({"email"}, 1)[0];
    ASSERT_TRUE(this->fail(j, FailKind::kRetry, kNow, 0, 0.5, "failure " + std::to_string(i)));
    this->tick(kNow);
  }
  Job got = this->get(1);
  ASSERT_EQ(got.errors.size(), kMaxErrorsKept);
  EXPECT_EQ(got.errors.front().message, "failure 3");
  EXPECT_EQ(got.errors.front().attempt, 3);
  EXPECT_EQ(got.errors.back().message, "failure 12");
}

// Observers (engine/job_events.hpp) are told who a settled job is from these answers alone.
TYPED_TEST(StoreConformanceTest, SettleAnswersNameTheJobAndItsAttempt) {
  this->enqueue(new_job(1, "render_pdf", "pdfs"));
  Job j = this->reserve({"pdfs"}, 1, kNow, 1000)[0];
  auto e = this->write([&](Store& s) {
    return s.extend(ExtendRequest{j.id, j.lease_token, 1000, std::nullopt, kNow + 10});
  });
  ASSERT_TRUE(e) << e.error().message();
  EXPECT_EQ(e->type, "render_pdf");
  EXPECT_EQ(e->queue, "pdfs");
  EXPECT_EQ(e->attempts, 1);
  auto f = must(this->fail(j, FailKind::kRetry, kNow + 20, 500, 0.5, "timeout"));
  EXPECT_EQ(f.type, "render_pdf");
  EXPECT_EQ(f.attempts, 1);
  EXPECT_EQ(f.max_attempts, j.max_attempts);
  EXPECT_EQ(f.started_at, kNow);
  EXPECT_EQ(f.error, "timeout");
  this->tick(kNow + 520);
  j = this->reserve({"pdfs"}, 1, kNow + 600, 1000)[0];
  TickResult t = this->tick(kNow + 1600);
  ASSERT_EQ(t.expired_jobs.size(), 1u);
  EXPECT_EQ(t.expired_jobs[0].id, j.id);
  EXPECT_EQ(t.expired_jobs[0].type, "render_pdf");
  EXPECT_EQ(t.expired_jobs[0].attempts, 2);
  EXPECT_EQ(t.expired_jobs[0].started_at, kNow + 600);
  EXPECT_NE(t.expired_jobs[0].error.find("lease expired"), std::string::npos);
}

TYPED_TEST(StoreConformanceTest, ExtendRenewsTheLeaseAndStoresProgress) {
  this->enqueue(new_job(1));
  Job j = this->reserve({"email"}, 1, kNow, 1000)[0];
  auto e = this->write([&](Store& s) {
    return s.extend(ExtendRequest{j.id, j.lease_token, 2000, R"({"pct":50})", kNow + 500});
  });
  ASSERT_TRUE(e) << e.error().message();
  EXPECT_EQ(e->lease_expires_at, kNow + 2500);
  e = this->write([&](Store& s) {
    return s.extend(ExtendRequest{j.id, j.lease_token, 2000, std::nullopt, kNow + 600});
  });
  ASSERT_TRUE(e);
  Job got = this->get(1);
  EXPECT_EQ(got.lease_expires_at, kNow + 2600);
  EXPECT_EQ(got.progress_json, R"({"pct":50})");  // kept when not given
  EXPECT_EQ(this->tick(kNow + 2000).expired, 0);
}

}  // namespace
}  // namespace spool::store::conformance
