// Conformance: recurring schedules (store.hpp "Schedules"): put/get/delete, due_schedules, and
// fire_schedule's compare-and-set, overlap skip and one-job-per-tick dedupe.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <utility>

#include "conformance/store_fixture.hpp"

namespace spool::store::conformance {
namespace {

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
  EXPECT_EQ(this->store().next_schedule_due().value(), kNow + kHour);
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
  EXPECT_EQ(this->store().next_schedule_due().value(), kNow + kHour);
}

}  // namespace
}  // namespace spool::store::conformance
