// Conformance: Store::enqueue and get_job (store.hpp "Enqueue"): every field round-trips, and
// dedupe keys answer the first job within their window, per type.
//
// The fixture, its helpers and how a new backend joins are in store_fixture.hpp; each file here
// is one operation group of store/store.hpp.
#include <gtest/gtest.h>

#include <optional>

#include "conformance/store_fixture.hpp"

namespace spool::store::conformance {
namespace {

TYPED_TEST(StoreConformanceTest, EnqueueThenGetRoundTripsEveryField) {
  NewJob nj = new_job(1, "render_pdf", "pdfs");
  Job& j = nj.job;
  j.state = JobState::kScheduled;
  j.payload_json = R"({"text":"h\u00e9llo \"quoted\"","list":[1,2.5,null,true]})";
  j.priority = -7;
  j.max_attempts = 9;
  j.backoff = Backoff{BackoffType::kFixed, 250, 9000, false};
  j.lease_ms = 45'000;
  j.run_at = kNow + 5000;
  j.dedupe_key = "invoice-42";
  j.tags = {"billing", "tag with \"quotes\"", "ünï"};
  auto r = this->enqueue(nj);
  EXPECT_EQ(r.id, job_id(1));
  EXPECT_EQ(r.state, JobState::kScheduled);
  EXPECT_FALSE(r.deduplicated);

  Job got = this->get(1);
  EXPECT_EQ(got.id, j.id);
  EXPECT_EQ(got.type, "render_pdf");
  EXPECT_EQ(got.queue, "pdfs");
  EXPECT_EQ(got.state, JobState::kScheduled);
  EXPECT_EQ(got.payload_json, j.payload_json);
  EXPECT_EQ(got.priority, -7);
  EXPECT_EQ(got.attempts, 0);
  EXPECT_EQ(got.max_attempts, 9);
  EXPECT_EQ(got.backoff, j.backoff);
  EXPECT_EQ(got.lease_ms, 45'000);
  EXPECT_EQ(got.created_at, kNow);
  EXPECT_EQ(got.run_at, kNow + 5000);
  EXPECT_EQ(got.started_at, std::nullopt);
  EXPECT_EQ(got.finished_at, std::nullopt);
  EXPECT_EQ(got.lease_expires_at, std::nullopt);
  EXPECT_EQ(got.expires_at, std::nullopt);
  EXPECT_EQ(got.lease_token, "");
  EXPECT_EQ(got.worker, "");
  EXPECT_TRUE(got.errors.empty());
  EXPECT_EQ(got.result_json, std::nullopt);
  EXPECT_EQ(got.progress_json, std::nullopt);
  EXPECT_EQ(got.dedupe_key, "invoice-42");
  EXPECT_EQ(got.tags, j.tags);
}

TYPED_TEST(StoreConformanceTest, GetOfUnknownIdIsNotFound) {
  auto r = this->store().get_job("nope");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), StatusCode::kNotFound);
}

TYPED_TEST(StoreConformanceTest, DedupeHitWithinWindowAnswersTheFirstJob) {
  NewJob a = new_job(1);
  a.job.dedupe_key = "k";
  a.dedupe_window_ms = 1000;
  this->enqueue(a);
  NewJob b = new_job(2);
  b.job.dedupe_key = "k";
  b.job.created_at = kNow + 999;
  auto r = this->enqueue(b);
  EXPECT_TRUE(r.deduplicated);
  EXPECT_EQ(r.id, job_id(1));
  EXPECT_EQ(r.state, JobState::kQueued);
  EXPECT_FALSE(this->store().get_job(job_id(2)));
  EXPECT_EQ(this->counts("email")[JobState::kQueued], 1);
}

TYPED_TEST(StoreConformanceTest, DedupeHitAnswersTheFirstJobsCurrentState) {
  NewJob a = new_job(1);
  a.job.dedupe_key = "k";
  this->enqueue(a);
  auto jobs = this->reserve({"email"}, 1);
  NewJob b = new_job(2);
  b.job.dedupe_key = "k";
  auto r = this->enqueue(b);
  EXPECT_TRUE(r.deduplicated);
  EXPECT_EQ(r.state, JobState::kActive);
}

TYPED_TEST(StoreConformanceTest, DedupeMissAfterTheWindowEnqueuesAgain) {
  NewJob a = new_job(1);
  a.job.dedupe_key = "k";
  a.dedupe_window_ms = 1000;
  this->enqueue(a);
  NewJob b = new_job(2);
  b.job.dedupe_key = "k";
  b.job.created_at = kNow + 1000;
  auto r = this->enqueue(b);
  EXPECT_FALSE(r.deduplicated);
  EXPECT_EQ(r.id, job_id(2));
  // The new job now holds the key for its own window.
  NewJob c = new_job(3);
  c.job.dedupe_key = "k";
  c.job.created_at = kNow + 1500;
  EXPECT_EQ(this->enqueue(c).id, job_id(2));
}

// D3: a key holds for its window whatever happens to its job, and a hit never answers another
// job (SQLite reuses a deleted last row's rowid, which the key once pointed at).
TYPED_TEST(StoreConformanceTest, DedupeKeyOutlivesItsPurgedJobAndNeverAnswersAnother) {
  NewJob a = new_job(1);
  a.job.dedupe_key = "K";
  this->enqueue(a);
  Job reserved = this->reserve({"email"}, 1)[0];
  ASSERT_TRUE(this->ack(reserved));
  auto purged = this->write([](Store& s) { return s.purge("email", JobState::kCompleted, 1000); });
  ASSERT_TRUE(purged);
  EXPECT_EQ(*purged, 1);
  this->enqueue(new_job(2, "other_type"));  // may take the purged job's row number
  NewJob again = new_job(3);
  again.job.dedupe_key = "K";
  auto r = this->enqueue(again);
  EXPECT_TRUE(r.deduplicated);
  EXPECT_EQ(r.id, job_id(1));
  EXPECT_EQ(r.state, JobState::kCompleted);  // the state it was deleted in
  EXPECT_FALSE(this->store().get_job(job_id(3)));
}

TYPED_TEST(StoreConformanceTest, DedupeKeyOutlivesItsJobsRetention) {
  NewJob a = new_job(1);
  a.job.dedupe_key = "K";
  a.dedupe_window_ms = 2 * kDefaultRetainCompletedMs;  // longer than the completed job is kept
  this->enqueue(a);
  ASSERT_TRUE(this->ack(this->reserve({"email"}, 1)[0]));
  auto swept = this->write(
      [](Store& s) { return s.sweep_retention(kNow + kDefaultRetainCompletedMs, 100); });
  ASSERT_TRUE(swept);
  EXPECT_EQ(*swept, 1);
  NewJob again = new_job(2);
  again.job.dedupe_key = "K";
  again.job.created_at = kNow + kDefaultRetainCompletedMs;
  auto r = this->enqueue(again);
  EXPECT_TRUE(r.deduplicated);
  EXPECT_EQ(r.id, job_id(1));
  EXPECT_EQ(r.state, JobState::kCompleted);
}

TYPED_TEST(StoreConformanceTest, DedupeKeysAreScopedByType) {
  NewJob a = new_job(1, "email");
  a.job.dedupe_key = "k";
  this->enqueue(a);
  NewJob b = new_job(2, "sms");
  b.job.dedupe_key = "k";
  auto r = this->enqueue(b);
  EXPECT_FALSE(r.deduplicated);
  EXPECT_EQ(r.id, job_id(2));
}

}  // namespace
}  // namespace spool::store::conformance
