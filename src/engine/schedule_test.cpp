// Schedules in the engine, under the manual clock against a real SQLite file: fires on time,
// misfire policies after downtime, overlap, pause and resume, trigger, config upserts, and
// restarts that neither repeat nor lose a tick.
#include <gtest/gtest.h>

#include "core/time_format.hpp"
#include "engine/engine.hpp"
#include "engine/schedule_plan.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "support/temp_dir.hpp"
#include "support/test_answer.hpp"

namespace spool::engine {
namespace {

TimeMs at(const char* rfc3339) {
  auto t = parse_rfc3339(rfc3339);
  EXPECT_TRUE(t) << rfc3339;
  return t.value_or(0);
}

class ScheduleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    clock_.set_ms(at("2026-12-01T08:00:00Z"));
    open();
  }

  // A fresh engine on the same file: what a restart of the server sees.
  void open() {
    engine_.reset();
    store::SqliteOptions options;
    options.path = dir_.file("spool.db");
    auto store = store::open_sqlite_store(options);
    ASSERT_TRUE(store) << store.error().message();
    EngineOptions eo;
    eo.seed = ++opens_;
    engine_ = std::make_unique<Engine>(std::move(*store), clock_, eo);
  }

  ScheduleSpec every(std::int64_t ms, std::string name = "digest") {
    ScheduleSpec spec;
    spec.name = std::move(name);
    spec.every_ms = ms;
    spec.job.type = "daily_digest";
    spec.job.payload_json = R"({"audience":"weekly-subscribers"})";
    return spec;
  }

  ScheduleSpec cron(std::string expr, std::string zone, std::string name = "digest") {
    ScheduleSpec spec = every(0, std::move(name));
    spec.every_ms.reset();
    spec.cron = std::move(expr);
    spec.timezone = std::move(zone);
    return spec;
  }

  Schedule create(ScheduleSpec spec) {
    Answer<Schedule> a;
    engine_->create_schedule(std::move(spec), a.cb());
    engine_->run_once();
    return a.ok();
  }

  Schedule get(const std::string& id) {
    Answer<ScheduleView> a;
    engine_->get_schedule(id, a.cb());
    engine_->run_once();
    return a.ok().schedule;
  }

  std::vector<Job> jobs() {
    Answer<ops::JobPage> a;
    ops::JobFilter f;
    f.ascending = true;
    f.limit = 500;
    engine_->list_jobs(f, a.cb());
    engine_->run_once();
    return a.ok().jobs;
  }

  void advance_to(const char* rfc3339) {
    clock_.set_ms(at(rfc3339));
    engine_->run_once();
  }

  // The server is down: time passes and nothing runs.
  void down_until(const char* rfc3339) {
    engine_.reset();
    clock_.set_ms(at(rfc3339));
    open();
    engine_->run_once();
  }

  testing::TempDir dir_;
  ManualClock clock_;
  std::uint64_t opens_ = 0;
  std::unique_ptr<Engine> engine_;
};

TEST_F(ScheduleTest, AnIntervalFiresOnItsGridWithTheFireTimeAsDedupeKey) {
  Schedule s = create(every(60'000));
  EXPECT_EQ(s.next_run_at, at("2026-12-01T08:01:00Z"));
  advance_to("2026-12-01T08:00:59.999Z");
  EXPECT_TRUE(jobs().empty());
  advance_to("2026-12-01T08:01:00Z");
  auto fired = jobs();
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].type, "daily_digest");
  EXPECT_EQ(fired[0].state, JobState::kQueued);
  EXPECT_EQ(fired[0].payload_json, R"({"audience":"weekly-subscribers"})");
  EXPECT_EQ(fired[0].dedupe_key, "schedule:" + s.id + ":2026-12-01T08:01:00.000Z");
  Schedule after = get(s.id);
  EXPECT_EQ(after.last_run_at, at("2026-12-01T08:01:00Z"));
  EXPECT_EQ(after.last_job_id, fired[0].id);
  EXPECT_EQ(after.next_run_at, at("2026-12-01T08:02:00Z"));
  advance_to("2026-12-01T08:02:00.003Z");
  EXPECT_EQ(jobs().size(), 2u);
}

TEST_F(ScheduleTest, ACronFiresAtLocalTimeInItsZone) {
  // 09:00 in New York is 14:00Z in December (EST, UTC-5).
  Schedule s = create(cron("0 9 * * *", "America/New_York"));
  EXPECT_EQ(s.next_run_at, at("2026-12-01T14:00:00Z"));
  advance_to("2026-12-01T14:00:00Z");
  ASSERT_EQ(jobs().size(), 1u);
  EXPECT_EQ(get(s.id).next_run_at, at("2026-12-02T14:00:00Z"));
}

TEST_F(ScheduleTest, TheSpringForwardGapFiresOnceAtTheFirstInstantAfterIt) {
  clock_.set_ms(at("2026-03-07T12:00:00Z"));
  // 02:30 does not exist in New York on 2026-03-08: clocks jump from 02:00 EST to 03:00 EDT.
  Schedule s = create(cron("30 2 * * *", "America/New_York"));
  // 02:30 on the 7th has passed; on the 8th it does not exist, so the first instant after the
  // gap: 03:00 EDT.
  EXPECT_EQ(s.next_run_at, at("2026-03-08T07:00:00Z"));
  advance_to("2026-03-08T06:59:59Z");
  EXPECT_TRUE(jobs().empty());
  advance_to("2026-03-08T07:00:00Z");
  ASSERT_EQ(jobs().size(), 1u);
  EXPECT_EQ(get(s.id).next_run_at, at("2026-03-09T06:30:00Z"));  // 02:30 EDT
}

TEST_F(ScheduleTest, ARestartNeitherRepeatsNorLosesATick) {
  Schedule s = create(every(60'000));
  advance_to("2026-12-01T08:01:00Z");
  ASSERT_EQ(jobs().size(), 1u);
  open();  // restart at the same instant: the tick was recorded with its job
  engine_->run_once();
  EXPECT_EQ(jobs().size(), 1u);
  down_until("2026-12-01T08:02:00.500Z");  // down across no tick but the next one, briefly
  EXPECT_EQ(jobs().size(), 2u);
  EXPECT_EQ(get(s.id).next_run_at, at("2026-12-01T08:03:00Z"));
}

TEST_F(ScheduleTest, RunOnceFiresTheFirstMissedTickOnceAfterDowntime) {
  Schedule s = create(every(60'000));
  down_until("2026-12-01T08:10:30Z");  // ten ticks missed
  auto fired = jobs();
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].dedupe_key, "schedule:" + s.id + ":2026-12-01T08:01:00.000Z");
  EXPECT_EQ(get(s.id).next_run_at, at("2026-12-01T08:11:00Z"));
  advance_to("2026-12-01T08:11:00Z");
  EXPECT_EQ(jobs().size(), 2u);
}

TEST_F(ScheduleTest, SkipFiresNothingForMissedTicksAndGoesOnFromNow) {
  ScheduleSpec spec = cron("0 * * * *", "UTC");
  spec.misfire = MisfirePolicy::kSkip;
  Schedule s = create(spec);
  down_until("2026-12-01T09:05:00Z");  // 09:00 is five minutes late: past the grace
  EXPECT_TRUE(jobs().empty());
  EXPECT_EQ(get(s.id).next_run_at, at("2026-12-01T10:00:00Z"));
  down_until("2026-12-01T10:00:30Z");  // thirty seconds late: within the grace, on time
  EXPECT_EQ(jobs().size(), 1u);
}

TEST_F(ScheduleTest, OverlapSkipWaitsWhileThePreviousFiresJobIsUnfinished) {
  ScheduleSpec spec = every(60'000);
  spec.overlap = OverlapPolicy::kSkip;
  Schedule s = create(spec);
  advance_to("2026-12-01T08:01:00Z");
  ASSERT_EQ(jobs().size(), 1u);
  advance_to("2026-12-01T08:02:00Z");  // the first job is still queued
  EXPECT_EQ(jobs().size(), 1u);
  EXPECT_EQ(get(s.id).next_run_at, at("2026-12-01T08:03:00Z"));

  Answer<std::vector<Job>> reserved;
  engine_->reserve({{"daily_digest"}, 1, 0, {}, "w1"}, reserved.cb());
  engine_->run_once();
  ASSERT_EQ(reserved.ok().size(), 1u);
  const Job& j = reserved.ok()[0];
  Answer<ops::SettleResult> acked;
  engine_->ack({j.id, j.lease_token, {}}, acked.cb());
  engine_->run_once();
  ASSERT_EQ(acked.code(), StatusCode::kOk);

  advance_to("2026-12-01T08:03:00Z");
  EXPECT_EQ(jobs().size(), 2u);
}

TEST_F(ScheduleTest, APausedScheduleDoesNotFireAndResumesFromNow) {
  Schedule s = create(every(60'000));
  SchedulePatch pause;
  pause.paused = true;
  Answer<Schedule> paused;
  engine_->patch_schedule(s.id, pause, paused.cb());
  engine_->run_once();
  ASSERT_TRUE(paused.ok().paused);
  advance_to("2026-12-01T08:30:30Z");
  EXPECT_TRUE(jobs().empty());

  SchedulePatch resume;
  resume.paused = false;
  Answer<Schedule> resumed;
  engine_->patch_schedule(s.id, resume, resumed.cb());
  engine_->run_once();
  EXPECT_EQ(resumed.ok().next_run_at, at("2026-12-01T08:31:00Z"));  // the grid, from now
  EXPECT_TRUE(jobs().empty());  // the ticks it slept through are not misfires
}

TEST_F(ScheduleTest, TriggerEnqueuesNowAndLeavesTheNextTickAlone) {
  Schedule s = create(every(3'600'000));
  clock_.set_ms(at("2026-12-01T08:10:00Z"));
  Answer<ops::EnqueueResult> triggered;
  engine_->trigger_schedule(s.id, triggered.cb());
  engine_->run_once();
  EXPECT_EQ(triggered.ok().state, JobState::kQueued);
  Schedule after = get(s.id);
  EXPECT_EQ(after.last_job_id, triggered.ok().id);
  EXPECT_EQ(after.last_run_at, at("2026-12-01T08:10:00Z"));
  EXPECT_EQ(after.next_run_at, at("2026-12-01T09:00:00Z"));
  Answer<ops::EnqueueResult> missing;
  engine_->trigger_schedule("01NOSUCHSCHEDULE", missing.cb());
  engine_->run_once();
  EXPECT_EQ(missing.code(), StatusCode::kNotFound);
}

TEST_F(ScheduleTest, UpsertByNameKeepsAnUnchangedTickAndRetimesAChangedOne) {
  clock_.set_ms(at("2026-12-01T06:00:00Z"));
  Answer<Schedule> first;
  engine_->upsert_schedule(cron("0 9 * * *", "Europe/Berlin", "report"), first.cb());
  engine_->run_once();
  EXPECT_EQ(first.ok().next_run_at, at("2026-12-01T08:00:00Z"));  // 09:00 CET
  clock_.set_ms(at("2026-12-01T07:00:00Z"));  // a restart an hour later, same config
  Answer<Schedule> same;
  engine_->upsert_schedule(cron("0 9 * * *", "Europe/Berlin", "report"), same.cb());
  engine_->run_once();
  EXPECT_EQ(same.ok().id, first.ok().id);
  EXPECT_EQ(same.ok().next_run_at, first.ok().next_run_at);
  Answer<Schedule> changed;
  engine_->upsert_schedule(cron("0 10 * * *", "Europe/Berlin", "report"), changed.cb());
  engine_->run_once();
  EXPECT_EQ(changed.ok().id, first.ok().id);
  EXPECT_EQ(changed.ok().next_run_at, at("2026-12-01T09:00:00Z"));
}

TEST_F(ScheduleTest, ANameIsUniqueAndBadTimingIsRefused) {
  create(every(60'000));
  Answer<Schedule> twice;
  engine_->create_schedule(every(60'000), twice.cb());
  engine_->run_once();
  EXPECT_EQ(twice.code(), StatusCode::kConflict);
  Answer<Schedule> bad;
  engine_->create_schedule(cron("61 * * * *", "UTC", "bad"), bad.cb());
  engine_->run_once();
  EXPECT_EQ(bad.code(), StatusCode::kInvalidArgument);
  Answer<Schedule> zone;
  engine_->create_schedule(cron("0 * * * *", "Mars/Olympus_Mons", "zone"), zone.cb());
  engine_->run_once();
  EXPECT_EQ(zone.code(), StatusCode::kInvalidArgument);
}

TEST_F(ScheduleTest, AFireIsHandedToAParkedWorkerInTheSameBatch) {
  create(every(60'000));
  Answer<std::vector<Job>> waiting;
  engine_->reserve({{"daily_digest"}, 1, 120'000, {}, "w1"}, waiting.cb());
  engine_->run_once();
  EXPECT_FALSE(waiting.ready());
  advance_to("2026-12-01T08:01:00Z");
  ASSERT_TRUE(waiting.ready());
  EXPECT_EQ(waiting.ok().size(), 1u);
}

TEST_F(ScheduleTest, GetShowsTheNextFiveFireTimes) {
  Schedule s = create(cron("0 9 * * 1-5", "UTC"));  // 2026-12-01 is a Tuesday
  Answer<ScheduleView> view;
  engine_->get_schedule(s.id, view.cb());
  engine_->run_once();
  std::vector<TimeMs> expected = {at("2026-12-01T09:00:00Z"), at("2026-12-02T09:00:00Z"),
                                  at("2026-12-03T09:00:00Z"), at("2026-12-04T09:00:00Z"),
                                  at("2026-12-07T09:00:00Z")};
  EXPECT_EQ(view.ok().next_runs, expected);
}

TEST(SchedulePlanTest, OnTimeWithinTheGraceAndAMisfireBeyondIt) {
  Schedule s;
  s.every_ms = 3'600'000;
  s.anchor_at = 0;
  s.next_run_at = 3'600'000;
  FirePlan on_time = plan_fire(s, 3'600'000 + kMisfireGraceMs);
  EXPECT_FALSE(on_time.misfire);
  EXPECT_EQ(on_time.fire_at, 3'600'000);
  EXPECT_EQ(on_time.next_run_at, 7'200'000);
  FirePlan late = plan_fire(s, 3'600'000 + kMisfireGraceMs + 1);
  EXPECT_TRUE(late.misfire);
  EXPECT_EQ(late.fire_at, 3'600'000);  // run_once
  EXPECT_EQ(late.next_run_at, 7'200'000);
  s.misfire = MisfirePolicy::kSkip;
  EXPECT_FALSE(plan_fire(s, 3'600'000 + kMisfireGraceMs + 1).fire_at);
}

}  // namespace
}  // namespace spool::engine

namespace spool::engine {
namespace {

// A clock with microseconds, as the real one has: the engine sees both roundings of one instant.
class MicrosecondClock final : public Clock {
 public:
  TimeMs now_ms() const override { return us_ / 1000; }
  TimeMs now_ms_rounded_up() const override { return (us_ + 999) / 1000; }
  std::int64_t us_ = 1'764'000'000'000'600;  // 0.6 ms past a whole millisecond
};

TEST(DelayTest, ADelayedJobIsNeverDueBeforeItsWholeDelayHasPassed) {
  testing::TempDir dir;
  store::SqliteOptions options;
  options.path = dir.file("spool.db");
  auto store = store::open_sqlite_store(options);
  ASSERT_TRUE(store) << store.error().message();
  MicrosecondClock clock;
  Engine engine(std::move(*store), clock);
  EnqueueRequest r;
  r.type = "reminder";
  r.delay_ms = 10;
  Answer<std::vector<ops::EnqueueResult>> enqueued;
  engine.enqueue({r}, enqueued.cb());
  engine.run_once();
  std::string id = enqueued.ok().at(0).id;
  auto state = [&] {
    Answer<Job> a;
    engine.get_job(id, a.cb());
    engine.run_once();
    return a.ok().state;
  };
  clock.us_ += 9'999;  // 10 ms less a microsecond after the enqueue: a rounded-down due would fire
  engine.run_once();
  EXPECT_EQ(state(), JobState::kScheduled);
  clock.us_ += 1;  // the whole delay has passed
  engine.run_once();
  EXPECT_EQ(state(), JobState::kScheduled) << "due is the enqueue instant rounded up";
  clock.us_ += 400;  // the next whole millisecond
  engine.run_once();
  EXPECT_EQ(state(), JobState::kQueued);
}

}  // namespace
}  // namespace spool::engine
