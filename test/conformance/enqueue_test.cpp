// Conformance cases for the Store backends (fixture and helpers: store_fixture.hpp).
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "conformance/store_fixture.hpp"
#include "core/backoff.hpp"

namespace spool::store::conformance {
namespace {

// ---- Enqueue and get ------------------------------------------------------------------------

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

// ---- Schedules ------------------------------------------------------------------------------

Schedule schedule(std::string id, std::string name, TimeMs next_run_at) {
  Schedule s;
  s.id = std::move(id);
  s.name = std::move(name);
  s.cron = "0 9 * * 1";
  s.timezone = "Europe/Berlin";
  s.job.type = "daily_digest";
  s.job.queue = "digests";
  s.job.payload_json = R"({"audience": "all", "n": 1.50})";
  s.job.priority = 5;
  s.job.max_attempts = 4;
  s.job.backoff = Backoff{BackoffType::kFixed, 2000, 2000, false};
  s.job.lease_ms = 60'000;
  s.job.tags = {"digest", "weekly"};
  s.misfire = MisfirePolicy::kSkip;
  s.overlap = OverlapPolicy::kSkip;
  s.created_at = kNow;
  s.updated_at = kNow;
  s.anchor_at = kNow;
  s.next_run_at = next_run_at;
  return s;
}

ScheduleFire tick(const Schedule& s, TimeMs fire_at, TimeMs next, int job_n) {
  ScheduleFire f;
  f.schedule_id = s.id;
  f.expected_next_run_at = fire_at;
  f.next_run_at = next;
  f.fire_at = fire_at;
  NewJob nj = new_job(job_n, "daily_digest", "digests");
  nj.job.dedupe_key = fire_dedupe_key(s.id, fire_at);
  f.job = nj;
  f.skip_while_unfinished = s.overlap == OverlapPolicy::kSkip;
  return f;
}

TYPED_TEST(StoreConformanceTest, ASchedulePutThenGetRoundTripsEveryField) {
  Schedule s = schedule("01SCHED0000000000000000001", "weekly_digest", kNow + kHour);
  must(this->write([&](Store& st) { return st.put_schedule(s); }));
  Schedule got = must(this->store().get_schedule(s.id));
  EXPECT_EQ(got.name, s.name);
  EXPECT_EQ(got.cron, s.cron);
  EXPECT_EQ(got.every_ms, std::nullopt);
  EXPECT_EQ(got.timezone, s.timezone);
  EXPECT_EQ(got.job, s.job);
  EXPECT_EQ(got.job.payload_json, R"({"audience": "all", "n": 1.50})");  // as given
  EXPECT_EQ(got.misfire, MisfirePolicy::kSkip);
  EXPECT_EQ(got.overlap, OverlapPolicy::kSkip);
  EXPECT_EQ(got.next_run_at, kNow + kHour);
  EXPECT_EQ(got.anchor_at, kNow);
  EXPECT_EQ(must(this->store().schedule_by_name("weekly_digest")).id, s.id);
  EXPECT_EQ(this->store().get_schedule("01NOPE").error().code(), StatusCode::kNotFound);
  EXPECT_EQ(this->store().schedule_by_name("nope").error().code(), StatusCode::kNotFound);
}

TYPED_TEST(StoreConformanceTest, AScheduleNameBelongsToOneSchedule) {
  Schedule a = schedule("01SCHED0000000000000000001", "digest", kNow + kHour);
  Schedule b = schedule("01SCHED0000000000000000002", "digest", kNow + kHour);
  must(this->write([&](Store& st) { return st.put_schedule(a); }));
  auto clash = this->write([&](Store& st) { return st.put_schedule(b); });
  ASSERT_FALSE(clash);
  EXPECT_EQ(clash.error().code(), StatusCode::kConflict);
  a.name = "renamed";
  must(this->write([&](Store& st) { return st.put_schedule(a); }));  // same id: a replace
  auto all = must(this->store().list_schedules());
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].name, "renamed");
  auto gone = this->write([&](Store& st) { return st.delete_schedule(a.id); });
  EXPECT_TRUE(gone);
  auto again = this->write([&](Store& st) { return st.delete_schedule(a.id); });
  EXPECT_EQ(again.error().code(), StatusCode::kNotFound);
}

TYPED_TEST(StoreConformanceTest, DueSchedulesAreUnpausedAndDueEarliestFirst) {
  Schedule later = schedule("01SCHED0000000000000000001", "later", kNow + 2 * kHour);
  Schedule sooner = schedule("01SCHED0000000000000000002", "sooner", kNow + kHour);
  Schedule paused = schedule("01SCHED0000000000000000003", "paused", kNow);
  paused.paused = true;
  for (const Schedule& s : {later, sooner, paused}) {
    must(this->write([&](Store& st) { return st.put_schedule(s); }));
  }
  EXPECT_EQ(this->store().next_schedule_due(), kNow + kHour);
  EXPECT_TRUE(must(this->store().due_schedules(kNow + kHour - 1, 10)).empty());
  auto due = must(this->store().due_schedules(kNow + 3 * kHour, 10));
  ASSERT_EQ(due.size(), 2u);
  EXPECT_EQ(due[0].name, "sooner");
  EXPECT_EQ(due[1].name, "later");
  EXPECT_EQ(must(this->store().due_schedules(kNow + 3 * kHour, 1)).size(), 1u);
}

TYPED_TEST(StoreConformanceTest, AFireEnqueuesOnceAndAStaleFireWritesNothing) {
  Schedule s = schedule("01SCHED0000000000000000001", "digest", kNow);
  s.overlap = OverlapPolicy::kAllow;
  must(this->write([&](Store& st) { return st.put_schedule(s); }));
  FireResult fired = must(
      this->write([&](Store& st) { return st.fire_schedule(tick(s, kNow, kNow + kHour, 1)); }));
  EXPECT_EQ(fired.outcome, FireOutcome::kEnqueued);
  ASSERT_TRUE(fired.job);
  EXPECT_EQ(fired.job->id, job_id(1));
  Schedule after = must(this->store().get_schedule(s.id));
  EXPECT_EQ(after.next_run_at, kNow + kHour);
  EXPECT_EQ(after.last_run_at, kNow);
  EXPECT_EQ(after.last_job_id, job_id(1));

  // A second server planned the same tick from the old next_run_at: it writes nothing.
  FireResult stale = must(
      this->write([&](Store& st) { return st.fire_schedule(tick(s, kNow, kNow + kHour, 2)); }));
  EXPECT_EQ(stale.outcome, FireOutcome::kStale);
  EXPECT_EQ(this->store().get_job(job_id(2)).error().code(), StatusCode::kNotFound);

  // Even past the compare-and-set (a manual fire with the same key), one tick is one job.
  ScheduleFire again = tick(s, kNow, kNow + kHour, 3);
  again.expected_next_run_at.reset();
  FireResult dup = must(this->write([&](Store& st) { return st.fire_schedule(again); }));
  ASSERT_TRUE(dup.job);
  EXPECT_TRUE(dup.job->deduplicated);
  EXPECT_EQ(dup.job->id, job_id(1));
}

TYPED_TEST(StoreConformanceTest, OverlapSkipHoldsWhileThePreviousJobIsUnfinished) {
  Schedule s = schedule("01SCHED0000000000000000001", "digest", kNow);
  must(this->write([&](Store& st) { return st.put_schedule(s); }));
  must(this->write([&](Store& st) { return st.fire_schedule(tick(s, kNow, kNow + kHour, 1)); }));
  FireResult held = must(this->write(
      [&](Store& st) { return st.fire_schedule(tick(s, kNow + kHour, kNow + 2 * kHour, 2)); }));
  EXPECT_EQ(held.outcome, FireOutcome::kSkippedOverlap);
  Schedule after = must(this->store().get_schedule(s.id));
  EXPECT_EQ(after.next_run_at, kNow + 2 * kHour);  // moved on
  EXPECT_EQ(after.last_job_id, job_id(1));         // still the unfinished one

  auto cancelled = this->write([&](Store& st) { return st.cancel(job_id(1), kNow + kHour); });
  ASSERT_TRUE(cancelled);
  FireResult next = must(this->write(
      [&](Store& st) { return st.fire_schedule(tick(s, kNow + 2 * kHour, kNow + 3 * kHour, 3)); }));
  EXPECT_EQ(next.outcome, FireOutcome::kEnqueued);
}

TYPED_TEST(StoreConformanceTest, ASkippedTickMovesTheScheduleOnWithoutAJob) {
  Schedule s = schedule("01SCHED0000000000000000001", "digest", kNow);
  must(this->write([&](Store& st) { return st.put_schedule(s); }));
  ScheduleFire skip = tick(s, kNow, kNow + kHour, 1);
  skip.job.reset();
  FireResult r = must(this->write([&](Store& st) { return st.fire_schedule(skip); }));
  EXPECT_EQ(r.outcome, FireOutcome::kSkipped);
  Schedule after = must(this->store().get_schedule(s.id));
  EXPECT_EQ(after.next_run_at, kNow + kHour);
  EXPECT_EQ(after.last_job_id, std::nullopt);
}

TYPED_TEST(StoreConformanceTest, SchedulesSurviveAReopen) {
  Schedule s = schedule("01SCHED0000000000000000001", "digest", kNow + kHour);
  must(this->write([&](Store& st) { return st.put_schedule(s); }));
  this->reopen();
  EXPECT_EQ(must(this->store().get_schedule(s.id)).job, s.job);
  EXPECT_EQ(this->store().next_schedule_due(), kNow + kHour);
}

}  // namespace
}  // namespace spool::store::conformance

// ---- Completion callbacks -------------------------------------------------------------------

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
