// Conformance: Store::list_jobs (store.hpp "Listing"): filters, both orders, cursors that
// keep working when the job they name is gone, and the scan budget (ReadBounds::list_scan_rows)
// that bounds a page's work for filters without an index of their own.
#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "conformance/store_fixture.hpp"

namespace spool::store::conformance {
namespace {

TYPED_TEST(StoreConformanceTest, ListJobsFiltersCombine) {
  auto add = [&](int n, std::string type, std::string queue, std::vector<std::string> tags,
                 std::optional<std::string> key = std::nullopt) {
    NewJob j = new_job(n, std::move(type), std::move(queue));
    j.job.tags = std::move(tags);
    j.job.dedupe_key = std::move(key);
    this->enqueue(j);
  };
  add(1, "email", "q1", {"vip"});
  add(2, "sms", "q1", {});
  add(3, "email", "q2", {"vip", "eu"}, "k3");
  add(4, "email", "q1", {"eu"});
  this->reserve({"q1"}, 1);  // job 1 active

  auto ids = [&](JobFilter f) {
    std::vector<int> out;
    for (const Job& j : must(this->store().list_jobs(f)).jobs) {
      out.push_back(std::stoi(j.id.substr(4)));
    }
    return out;
  };
  JobFilter f;
  EXPECT_EQ(ids(f), (std::vector<int>{4, 3, 2, 1}));  // newest first by default
  f.ascending = true;
  EXPECT_EQ(ids(f), (std::vector<int>{1, 2, 3, 4}));
  f = {};
  f.type = "email";
  EXPECT_EQ(ids(f), (std::vector<int>{4, 3, 1}));
  f.queue = "q1";
  EXPECT_EQ(ids(f), (std::vector<int>{4, 1}));
  f.state = JobState::kQueued;
  EXPECT_EQ(ids(f), (std::vector<int>{4}));
  f = {};
  f.state = JobState::kActive;
  EXPECT_EQ(ids(f), (std::vector<int>{1}));
  f = {};
  f.tags = {"vip"};
  EXPECT_EQ(ids(f), (std::vector<int>{3, 1}));
  f.queue = "q2";
  EXPECT_EQ(ids(f), (std::vector<int>{3}));
  f = {};
  f.tags = {"vip", "eu"};  // all of them
  EXPECT_EQ(ids(f), (std::vector<int>{3}));
  f.tags = {"eu", "vip"};
  f.ascending = true;
  EXPECT_EQ(ids(f), (std::vector<int>{3}));
  f = {};
  f.tags = {"eu"};
  f.state = JobState::kQueued;
  EXPECT_EQ(ids(f), (std::vector<int>{4, 3}));
  f.type = "sms";
  EXPECT_TRUE(ids(f).empty());
  f = {};
  f.tags = {"vip", "nobody"};
  EXPECT_TRUE(ids(f).empty());
  f = {};
  f.tags = {"vi"};  // whole tags only
  EXPECT_TRUE(ids(f).empty());
  f = {};
  f.dedupe_key = "k3";
  EXPECT_EQ(ids(f), (std::vector<int>{3}));
  f = {};
  f.type = "never_seen";
  EXPECT_TRUE(ids(f).empty());
  // Listed jobs carry everything get_job does.
  f = {};
  f.state = JobState::kQueued;
  f.queue = "q2";
  auto page = must(this->store().list_jobs(f));
  ASSERT_EQ(page.jobs.size(), 1u);
  EXPECT_EQ(page.jobs[0].type, "email");
  EXPECT_EQ(page.jobs[0].tags, (std::vector<std::string>{"vip", "eu"}));
  EXPECT_EQ(page.jobs[0].payload_json, "{\"n\":3}");
}

TYPED_TEST(StoreConformanceTest, ListJobsPagesByCursorInBothOrders) {
  for (int n = 1; n <= 5; ++n) this->enqueue(new_job(n));
  JobFilter f;
  f.limit = 2;
  auto p1 = must(this->store().list_jobs(f));
  ASSERT_EQ(p1.jobs.size(), 2u);
  EXPECT_EQ(p1.jobs[0].id, job_id(5));
  EXPECT_EQ(p1.next_cursor, job_id(4));
  f.after_id = p1.next_cursor;
  auto p2 = must(this->store().list_jobs(f));
  ASSERT_EQ(p2.jobs.size(), 2u);
  EXPECT_EQ(p2.jobs[0].id, job_id(3));
  EXPECT_EQ(p2.next_cursor, job_id(2));
  f.after_id = p2.next_cursor;
  auto p3 = must(this->store().list_jobs(f));
  ASSERT_EQ(p3.jobs.size(), 1u);
  EXPECT_EQ(p3.jobs[0].id, job_id(1));
  EXPECT_EQ(p3.next_cursor, std::nullopt);

  f = {};
  f.limit = 2;
  f.ascending = true;
  f.after_id = job_id(2);
  auto a = must(this->store().list_jobs(f));
  ASSERT_EQ(a.jobs.size(), 2u);
  EXPECT_EQ(a.jobs[0].id, job_id(3));
  EXPECT_EQ(a.jobs[1].id, job_id(4));
  EXPECT_EQ(a.next_cursor, job_id(4));
}

TYPED_TEST(StoreConformanceTest, ListJobsContinuesPastACursorWhoseJobWasDeleted) {
  for (int n = 1; n <= 5; ++n) this->enqueue(new_job(n));
  ASSERT_TRUE(this->write([](Store& s) { return s.cancel(job_id(4), kNow); }));
  ASSERT_TRUE(this->write([](Store& s) { return s.purge("email", JobState::kCancelled, 1000); }));
  JobFilter f;
  f.after_id = job_id(4);
  auto page = must(this->store().list_jobs(f));
  ASSERT_EQ(page.jobs.size(), 3u);
  EXPECT_EQ(page.jobs[0].id, job_id(3));
  f.ascending = true;
  page = must(this->store().list_jobs(f));
  ASSERT_EQ(page.jobs.size(), 1u);
  EXPECT_EQ(page.jobs[0].id, job_id(5));
}

// A filter without an index of its own (a tag, a dedupe_key, a queue without a state, a type
// with a queue) walks at most the scan budget per page: a page may come back short while its
// cursor is set, and following the cursors finds every match, in order. Jobs are numbered in
// creation order, so a short page's walk is the distance between the cursor it started from and
// the one it answered (the last job it examined).
TYPED_TEST(StoreConformanceTest, ListJobsFindsRareMatchesAcrossPagesWalkingAtMostTheBudgetEach) {
  constexpr int kJobs = 400;
  constexpr int kBudget = 50;
  ReadBounds bounds;
  bounds.list_scan_rows = kBudget;
  this->reopen(bounds);
  ASSERT_TRUE(this->write([&](Store& s) -> StatusOr<void> {
    for (int n = 1; n <= kJobs; ++n) {
      bool rare = n % 97 == 1;
      NewJob j = new_job(n, n % 50 == 7 ? "t2" : "t", rare ? "rareq" : "bulk");
      if (rare) j.job.tags = {"rare"};
      if (n == 123) j.job.dedupe_key = "only";
      if (auto r = s.enqueue(j); !r) return tl::unexpected(r.error());
    }
    return {};
  }));
  auto number = [](const std::string& id) { return std::stoi(id.substr(4)); };

  struct Case {
    const char* name;
    JobFilter filter;
    std::vector<int> want;  // in the filter's order
  };
  std::vector<Case> cases(5);
  cases[0] = {"tag", {}, {389, 292, 195, 98, 1}};
  cases[0].filter.tags = {"rare"};
  cases[1] = {"queue without state", {}, {389, 292, 195, 98, 1}};
  cases[1].filter.queue = "rareq";
  cases[2] = {"dedupe_key", {}, {123}};
  cases[2].filter.dedupe_key = "only";
  cases[3] = {"type and queue", {}, {357, 307, 257, 207, 157, 107, 57, 7}};
  cases[3].filter.type = "t2";
  cases[3].filter.queue = "bulk";
  cases[4] = {"tag, oldest first", {}, {1, 98, 195, 292, 389}};
  cases[4].filter.tags = {"rare"};
  cases[4].filter.ascending = true;
  for (Case& c : cases) {
    SCOPED_TRACE(c.name);
    c.filter.limit = 2;
    std::vector<int> found;
    int from = c.filter.ascending ? 0 : kJobs + 1;  // the walk starts past this job
    int pages = 0;
    for (; pages <= kJobs; ++pages) {
      auto page = must(this->store().list_jobs(c.filter));
      for (const Job& j : page.jobs) found.push_back(number(j.id));
      if (!page.next_cursor) break;
      int to = number(*page.next_cursor);
      if (static_cast<int>(page.jobs.size()) < c.filter.limit) {
        EXPECT_LE(std::abs(to - from), kBudget)
            << "a page walked from job " << from << " to " << to;
      }
      from = to;
      c.filter.after_id = page.next_cursor;
    }
    EXPECT_EQ(found, c.want);
    EXPECT_LE(pages, kJobs / kBudget + static_cast<int>(c.want.size()) + 1);
  }

  // A filter an index serves walks only its own rows: full pages, even with a budget smaller
  // than the page.
  JobFilter queued;
  queued.state = JobState::kQueued;
  queued.limit = 200;
  auto page = must(this->store().list_jobs(queued));
  EXPECT_EQ(page.jobs.size(), 200u);
  EXPECT_EQ(page.next_cursor, page.jobs.back().id);
}

}  // namespace
}  // namespace spool::store::conformance
