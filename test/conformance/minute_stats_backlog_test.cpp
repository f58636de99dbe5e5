// Conformance: per-minute aggregates and health (store.hpp "Per-minute aggregates"):
// add_minute_stats/prune_minute_stats, backlog (readyz, the dashboard) and ping.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "conformance/store_fixture.hpp"

namespace spool::store::conformance {
namespace {

TYPED_TEST(StoreConformanceTest, MinuteStatsAddUpAndArePrunedByMinute) {
  MinuteStats a;
  a.minute = 60'000;
  a.queue = "q";
  a.type = "t";
  a.enqueued = 2;
  a.run_count = 1;
  a.run_ms_sum = 7;
  a.run_buckets[1] = 1;
  MinuteStats b = a;
  b.minute = 120'000;
  ASSERT_TRUE(this->write([&](Store& s) { return s.add_minute_stats(std::vector{a, a, b}); }));
  auto rows = must(this->store().minute_stats(0, std::nullopt));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].enqueued, 4);
  EXPECT_EQ(rows[0].run_ms_sum, 14);
  EXPECT_EQ(rows[0].run_buckets[1], 2);
  EXPECT_EQ(must(this->store().minute_stats(120'000, std::nullopt)).size(), 1u);
  EXPECT_TRUE(must(this->store().minute_stats(0, std::string("other"))).empty());
  EXPECT_EQ(must(this->write([](Store& s) { return s.prune_minute_stats(120'000, 10); })), 1);
  EXPECT_EQ(must(this->store().minute_stats(0, std::nullopt)).size(), 1u);
  EXPECT_TRUE(this->store().ping());
}

TYPED_TEST(StoreConformanceTest, BacklogNamesTheOldestQueuedJobAndCountsOverdueOnes) {
  NewJob first = new_job(1);
  first.job.run_at = kNow - 5000;
  this->enqueue(first);
  this->enqueue(new_job(2));
  auto backlog = must(this->store().backlog(kNow - 1000));
  ASSERT_EQ(backlog.size(), 1u);
  EXPECT_EQ(backlog[0].queue, "email");
  EXPECT_EQ(backlog[0].queued, 2);
  EXPECT_EQ(backlog[0].oldest_run_at, kNow - 5000);
  EXPECT_EQ(backlog[0].overdue, 1);
}

// Overdue counts jobs due at or before the instant, whatever their priority, whichever side of
// the instant the SQLite backend counts (mostly_late: the overdue side; mostly_fresh: the other),
// with many distinct priorities too, and only queued ones: a scheduled job due long ago or an
// active one is not waiting in the queue.
TYPED_TEST(StoreConformanceTest, BacklogCountsOverdueJobsOfEveryPriorityOnBothSidesOfTheInstant) {
  const TimeMs before = kNow - 60'000;
  std::map<std::string, std::pair<std::string, TimeMs>> waiting;  // id -> (queue, run_at)
  int n = 0;
  auto add = [&](Store& s, const std::string& queue, int count, TimeMs from,
                 TimeMs step) -> StatusOr<void> {
    for (int i = 0; i < count; ++i) {
      NewJob j = new_job(++n, "t", queue);
      j.job.priority = std::array{-3, 0, 7}[n % 3];
      j.job.run_at = from + step * i;
      if (auto r = s.enqueue(j); !r) return tl::unexpected(r.error());
      waiting[j.job.id] = {queue, j.job.run_at};
    }
    return {};
  };
  ASSERT_TRUE(this->write([&](Store& s) -> StatusOr<void> {
    // The last of the 3000 is due exactly at the instant, which is overdue.
    if (auto r = add(s, "mostly_late", 3000, before - 2999, 1); !r) return r;
    if (auto r = add(s, "mostly_late", 1500, before + 1, 7); !r) return r;
    if (auto r = add(s, "mostly_fresh", 1200, kNow - 3'600'000, 1000); !r) return r;
    if (auto r = add(s, "mostly_fresh", 2600, before + 10, 3); !r) return r;
    if (auto r = add(s, "all_fresh", 200, before + 1, 1); !r) return r;
    if (auto r = add(s, "all_late", 50, before - 500, 10); !r) return r;
    // More distinct priorities than the SQLite backend reads one by one: read the plain way.
    for (int i = 0; i < 150; ++i) {
      NewJob j = new_job(++n, "t", "many_priorities");
      j.job.priority = i;
      j.job.run_at = before - 75 + i;  // due from before - 75 to before + 74: 76 overdue
      if (auto r = s.enqueue(j); !r) return tl::unexpected(r.error());
      waiting[j.job.id] = {"many_priorities", j.job.run_at};
    }
    NewJob scheduled = new_job(++n, "t", "all_late");
    scheduled.job.state = JobState::kScheduled;
    scheduled.job.run_at = kNow - 3'600'000;  // not promoted by a tick yet: not waiting
    if (auto r = s.enqueue(scheduled); !r) return tl::unexpected(r.error());
    return {};
  }));
  // Reserving takes the highest priority first, overdue or not; active jobs are not waiting.
  std::vector<Job> taken = this->reserve({"mostly_late"}, 100, kNow);
  ASSERT_EQ(taken.size(), 100u);
  for (const Job& j : taken) {
    EXPECT_EQ(j.priority, 7);
    waiting.erase(j.id);
  }
  std::map<std::string, QueueBacklog> want;
  for (const auto& [id, q] : waiting) {
    QueueBacklog& w = want[q.first];
    ++w.queued;
    if (q.second <= before) ++w.overdue;
    w.oldest_run_at = std::min(w.oldest_run_at.value_or(q.second), q.second);
  }
  EXPECT_GT(want["mostly_late"].overdue, 2048);
  EXPECT_GT(want["mostly_fresh"].queued - want["mostly_fresh"].overdue, 2048);
  auto backlog = must(this->store().backlog(before));
  ASSERT_EQ(backlog.size(), 5u);
  for (const QueueBacklog& b : backlog) {
    SCOPED_TRACE(b.queue);
    EXPECT_EQ(b.queued, want[b.queue].queued);
    EXPECT_EQ(b.overdue, want[b.queue].overdue);
    EXPECT_EQ(b.oldest_run_at, want[b.queue].oldest_run_at);
  }
  EXPECT_EQ(want["all_fresh"].overdue, 0);
  EXPECT_EQ(want["all_late"].overdue, 50);
  EXPECT_EQ(want["many_priorities"].overdue, 76);
}

// The overdue count stops at ReadBounds::backlog_count (here made small): the answer is clamped
// to it, and a queue with more jobs due later than the bound still has its overdue jobs counted
// exactly when they are fewer than the bound.
TYPED_TEST(StoreConformanceTest, BacklogOverdueStopsAtTheBoundAndIsExactBelowIt) {
  ReadBounds bounds;
  bounds.backlog_count = 100;
  this->reopen(bounds);
  int n = 0;
  auto add = [&](Store& s, const std::string& queue, int count, TimeMs from,
                 TimeMs step) -> StatusOr<void> {
    for (int i = 0; i < count; ++i) {
      NewJob j = new_job(++n, "t", queue);
      j.job.run_at = from + step * i;
      if (auto r = s.enqueue(j); !r) return tl::unexpected(r.error());
    }
    return {};
  };
  ASSERT_TRUE(this->write([&](Store& s) -> StatusOr<void> {
    // 300 overdue within 300 ms, 10 due in hours: more overdue than the bound.
    if (auto r = add(s, "many_overdue", 300, kNow - 300, 1); !r) return r;
    if (auto r = add(s, "many_overdue", 10, kNow + 3'600'000, 1000); !r) return r;
    // 50 overdue over the last 100 s, 200 due within 200 ms: more due later than the bound.
    if (auto r = add(s, "many_later", 50, kNow - 100'000, 2000); !r) return r;
    if (auto r = add(s, "many_later", 200, kNow + 1, 1); !r) return r;
    return {};
  }));
  auto backlog = must(this->store().backlog(kNow));
  std::sort(backlog.begin(), backlog.end(),
            [](const QueueBacklog& a, const QueueBacklog& b) { return a.queue < b.queue; });
  ASSERT_EQ(backlog.size(), 2u);
  EXPECT_EQ(backlog[0].queue, "many_later");
  EXPECT_EQ(backlog[0].queued, 250);
  EXPECT_EQ(backlog[0].oldest_run_at, kNow - 100'000);
  EXPECT_EQ(backlog[0].overdue, 50);
  EXPECT_EQ(backlog[1].queue, "many_overdue");
  EXPECT_EQ(backlog[1].queued, 310);
  EXPECT_EQ(backlog[1].oldest_run_at, kNow - 300);
  EXPECT_EQ(backlog[1].overdue, 100);
}

}  // namespace
}  // namespace spool::store::conformance
