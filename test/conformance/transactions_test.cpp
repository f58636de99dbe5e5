// Conformance: transactions and restarts: a rollback leaves no trace, and a reopened store sees
// everything committed before (store.hpp "Transactions"; a second open() is a restart).
#include <gtest/gtest.h>

#include "conformance/store_fixture.hpp"

namespace spool::store::conformance {
namespace {

TYPED_TEST(StoreConformanceTest, RollbackLeavesNoTraceInJobsCountsOrQueues) {
  this->enqueue(new_job(1));
  ASSERT_TRUE(this->store().begin());
  ASSERT_TRUE(this->store().enqueue(new_job(2)));
  ASSERT_TRUE(this->store().enqueue(new_job(3, "brand_new")));
  ASSERT_TRUE(this->store().set_paused("email", true));
  ReserveRequest req;
  req.queues = {"email"};
  req.max = 1;
  req.now = kNow;
  req.lease_tokens = {"t"};
  auto r = this->store().reserve(req);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->jobs.empty());  // paused inside the transaction
  this->store().rollback();

  EXPECT_FALSE(this->store().get_job(job_id(2)));
  auto stats = must(this->store().stats());
  EXPECT_EQ(stats.totals[JobState::kQueued], 1);
  ASSERT_EQ(stats.queues.size(), 1u);
  EXPECT_EQ(stats.queues[0].name, "email");
  EXPECT_FALSE(stats.queues[0].paused);
  EXPECT_FALSE(this->store().get_queue("brand_new"));
  // The store keeps working after a rollback, names and all.
  this->enqueue(new_job(4, "brand_new"));
  EXPECT_EQ(this->get(4).type, "brand_new");
  EXPECT_EQ(this->reserve({"email"}, 5).size(), 1u);
}

TYPED_TEST(StoreConformanceTest, RollbackWithoutATransactionIsHarmless) {
  this->store().rollback();
  this->enqueue(new_job(1));
  this->store().rollback();
  EXPECT_TRUE(this->store().get_job(job_id(1)));
}

TYPED_TEST(StoreConformanceTest, ReopenSeesEveryCommittedJobCountAndQueue) {
  for (int n = 1; n <= 3; ++n) this->enqueue(new_job(n));
  NewJob s = new_job(4, "t", "later");
  s.job.state = JobState::kScheduled;
  s.job.run_at = kNow + 100;
  this->enqueue(s);
  Job active = this->reserve({"email"}, 1)[0];
  QueueConfig cfg;
  cfg.concurrency = 3;
  cfg.backoff = Backoff{BackoffType::kFixed, 10, 20, false};
  cfg.push_json = R"({"url":"https://example.com/hook"})";
  must(this->write([&](Store& st) { return st.patch_queue("email", cfg); }));
  must(this->write([](Store& st) { return st.set_paused("later", true); }));

  this->reopen();
  Counts c = this->counts("email");
  EXPECT_EQ(c[JobState::kQueued], 2);
  EXPECT_EQ(c[JobState::kActive], 1);
  EXPECT_EQ(this->store().queue_config("email"), cfg);
  auto later = must(this->store().get_queue("later"));
  EXPECT_TRUE(later.paused);
  EXPECT_EQ(later.counts[JobState::kScheduled], 1);
  EXPECT_EQ(this->get(4).type, "t");
  EXPECT_EQ(this->store().next_due().value(), kNow + 100);
  // Leases survive a restart.
  EXPECT_TRUE(this->ack(active));
  this->enqueue(new_job(5, "t", "later"));  // names are reused, not duplicated
  EXPECT_EQ(this->counts("later")[JobState::kQueued], 1);
}

}  // namespace
}  // namespace spool::store::conformance
