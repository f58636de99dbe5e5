// Conformance: completion callbacks (store.hpp "Completion callbacks", docs/push.md): which
// transitions arm a callback, and take_callbacks/settle_callback once per attempt.
#include <gtest/gtest.h>

#include "conformance/store_fixture.hpp"

namespace spool::store::conformance {
namespace {

TYPED_TEST(StoreConformanceTest, AFinishedJobsCallbackIsArmedTakenAndSettledOncePerAttempt) {
  NewJob nj = new_job(1);
  nj.job.callback_url = "https://hooks.example.com/done?x=\"1\"";
  this->enqueue(nj);
  Job stored = this->get(1);
  EXPECT_EQ(stored.callback_url, nj.job.callback_url);
  EXPECT_FALSE(stored.callback);
  EXPECT_TRUE(must(this->write([](Store& s) { return s.take_callbacks(kNow, 10, 1000); })).empty());

  auto jobs = this->reserve({"email"}, 1);
  ASSERT_EQ(jobs.size(), 1u);
  ASSERT_TRUE(this->ack(jobs[0], kNow + 5));
  Job acked = this->get(1);
  ASSERT_TRUE(acked.callback);
  EXPECT_EQ(acked.callback->state, CallbackState::kPending);
  EXPECT_EQ(acked.callback->at, kNow + 5);

  auto taken = must(this->write([](Store& s) { return s.take_callbacks(kNow + 5, 10, 1000); }));
  ASSERT_EQ(taken.size(), 1u);
  EXPECT_EQ(taken[0].callback->attempts, 1);
  EXPECT_EQ(taken[0].callback->at, kNow + 1005);
  EXPECT_TRUE(
      must(this->write([](Store& s) { return s.take_callbacks(kNow + 1004, 10, 1000); })).empty());

  CallbackSettle retry{job_id(1), 1, CallbackState::kPending, kNow + 2000, "HTTP 503"};
  EXPECT_TRUE(must(this->write([&](Store& s) { return s.settle_callback(retry); })));
  EXPECT_EQ(this->get(1).callback->last_error, "HTTP 503");
  // A second answer to the same attempt is stale.
  CallbackSettle stale{job_id(1), 1, CallbackState::kDelivered, kNow + 2000, ""};
  EXPECT_FALSE(must(this->write([&](Store& s) { return s.settle_callback(stale); })));

  taken = must(this->write([](Store& s) { return s.take_callbacks(kNow + 2000, 10, 1000); }));
  ASSERT_EQ(taken.size(), 1u);
  EXPECT_EQ(taken[0].callback->attempts, 2);
  CallbackSettle done{job_id(1), 2, CallbackState::kDelivered, kNow + 2100, ""};
  EXPECT_TRUE(must(this->write([&](Store& s) { return s.settle_callback(done); })));
  Job delivered = this->get(1);
  EXPECT_EQ(delivered.callback->state, CallbackState::kDelivered);
  EXPECT_EQ(delivered.callback->at, kNow + 2100);
  EXPECT_EQ(delivered.callback->last_error, "");
  EXPECT_TRUE(
      must(this->write([](Store& s) { return s.take_callbacks(kNow + kHour, 10, 1000); })).empty());
}

TYPED_TEST(StoreConformanceTest, ADeadJobArmsItsCallbackAndACancelledOneDoesNot) {
  NewJob dead = new_job(1, "email");
  dead.job.callback_url = "https://hooks.example.com/a";
  this->enqueue(dead);
  auto jobs = this->reserve({"email"}, 1);
  ASSERT_EQ(jobs.size(), 1u);
  ASSERT_TRUE(this->fail(jobs[0], FailKind::kPermanent));
  NewJob cancelled = new_job(2, "email");
  cancelled.job.callback_url = "https://hooks.example.com/b";
  this->enqueue(cancelled);
  ASSERT_TRUE(this->write([](Store& s) { return s.cancel(job_id(2), kNow); }));
  auto taken = must(this->write([](Store& s) { return s.take_callbacks(kNow, 10, 1000); }));
  ASSERT_EQ(taken.size(), 1u);
  EXPECT_EQ(taken[0].id, job_id(1));
  EXPECT_EQ(taken[0].state, JobState::kDead);
}

}  // namespace
}  // namespace spool::store::conformance
