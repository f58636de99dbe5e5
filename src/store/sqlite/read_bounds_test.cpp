// SQLite-specific tests of the reads' bounds and memory (issue 13, D2 and D7): list_jobs' scans
// walk one index in seq order and stop at the budget, backlog's counts stop at their LIMIT, and
// queues and names nobody uses any more leave memory. The behaviour every backend shares lives
// in test/conformance/ (listing_test.cpp, minute_stats_backlog_test.cpp, queues_test.cpp).
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstdio>
#include <string>
#include <vector>

#include "store/sqlite/backlog_sql.hpp"
#include "store/sqlite/list_scan.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store/sqlite/sqlite_store_impl.hpp"
#include "support/temp_dir.hpp"

namespace spool::store::sqlite {
namespace {

constexpr TimeMs kNow = 1'764'000'000'000;

std::string job_id(int n) {
  char id[32];
  std::snprintf(id, sizeof id, "01JD%022d", n);
  return id;
}

NewJob make_job(int n, const std::string& queue, TimeMs run_at = kNow) {
  NewJob nj;
  nj.job.id = job_id(n);
  nj.job.type = "t";
  nj.job.queue = queue;
  nj.job.state = JobState::kQueued;
  nj.job.created_at = kNow;
  nj.job.run_at = run_at;
  nj.job.payload_json = "{}";
  return nj;
}

std::unique_ptr<Store> open_store(const SqliteOptions& options) {
  auto s = open_sqlite_store(options);
  EXPECT_TRUE(s) << s.error().message();
  return s ? std::move(*s) : nullptr;
}

// A plain connection on the store's file, for query plans and raw statements.
struct RawConnection {
  explicit RawConnection(const std::string& path) {
    sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  }
  ~RawConnection() { sqlite3_close(db); }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  // The detail column of EXPLAIN QUERY PLAN, one line per step.
  std::vector<std::string> plan(const std::string& sql) const {
    std::vector<std::string> out;
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v2(db, ("EXPLAIN QUERY PLAN " + sql).c_str(), -1, &stmt, nullptr);
    EXPECT_EQ(rc, SQLITE_OK) << sqlite3_errmsg(db) << " in " << sql;
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      out.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 3)));
    }
    sqlite3_finalize(stmt);
    return out;
  }

  sqlite3* db = nullptr;
};

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& l : lines) out += l + "; ";
  return out;
}

template <typename F>
void in_transaction(Store& store, F&& fn) {
  ASSERT_TRUE(store.begin());
  fn();
  ASSERT_TRUE(store.commit());
}

// Every shape of filter walks one index (or the table) in seq order: no sort, so the LIMIT of
// the scan budget bounds the rows walked, whatever the filter.
TEST(SqliteReadBoundsTest, EveryListScanWalksOneIndexInSeqOrderWithoutASort) {
  testing::TempDir dir;
  auto store = open_store({dir.file("spool.db"), Durability::kFast, 0});
  ASSERT_TRUE(store);
  RawConnection raw(dir.file("spool.db"));
  for (int bits = 0; bits < (1 << 5) * 3 * 2; ++bits) {
    ListScanShape shape;
    shape.state = bits & 1;
    shape.type = bits & 2;
    shape.queue = bits & 4;
    shape.dedupe_key = bits & 8;
    shape.tags = bits & 16 ? 1 + (bits & 1) : 0;  // with a state, two tags
    int cursor = (bits >> 5) % 3;
    shape.cursor = cursor > 0;
    shape.cursor_inclusive = cursor == 2;
    shape.ascending = bits >= (1 << 5) * 3;
    std::string sql = list_scan_sql(shape);
    std::string plan = joined(raw.plan(sql));
    SCOPED_TRACE(sql);
    EXPECT_EQ(plan.find("TEMP B-TREE"), std::string::npos) << plan;
    std::string walked = shape.tags > 0               ? "SEARCH job_tags USING PRIMARY KEY"
                         : shape.state && shape.queue ? "jobs_by_queue"
                         : shape.state                ? "jobs_by_state"
                         : shape.type                 ? "jobs_by_type"
                         : shape.cursor               ? "INTEGER PRIMARY KEY"
                                                      : "SCAN jobs";
    EXPECT_NE(plan.find(walked), std::string::npos) << plan;
  }
}

// The walk stops after the budget even when it found nothing, and says where it stopped.
TEST(SqliteReadBoundsTest, ListJobsByARareQueueStopsAtTheBudgetWithTheLastJobExaminedAsCursor) {
  testing::TempDir dir;
  SqliteOptions options{dir.file("spool.db"), Durability::kFast, 0};
  options.bounds.list_scan_rows = 50;
  auto store = open_store(options);
  ASSERT_TRUE(store);
  in_transaction(*store, [&] {
    for (int n = 1; n <= 400; ++n) {
      ASSERT_TRUE(store->enqueue(make_job(n, n % 97 == 1 ? "rare" : "q")));
    }
  });
  JobFilter f;
  f.queue = "rare";  // a queue without a state walks the table
  f.limit = 2;
  auto page = store->list_jobs(f);
  ASSERT_TRUE(page) << page.error().message();
  ASSERT_EQ(page->jobs.size(), 1u);  // 400 down to 351: one rare job, 389
  EXPECT_EQ(page->jobs[0].id, job_id(389));
  EXPECT_EQ(page->next_cursor, job_id(351));  // the 50th job walked
  f.after_id = page->next_cursor;
  page = store->list_jobs(f);
  ASSERT_TRUE(page);
  EXPECT_TRUE(page->jobs.empty());  // 350 down to 301: none
  EXPECT_EQ(page->next_cursor, job_id(301));
}

// A tag is served by job_tags: a rare tag among many jobs comes back in full pages, however
// small the budget, because the walk only meets the jobs that carry it.
TEST(SqliteReadBoundsTest, ListJobsByARareTagSeeksItsJobsInFullPages) {
  testing::TempDir dir;
  SqliteOptions options{dir.file("spool.db"), Durability::kFast, 0};
  options.bounds.list_scan_rows = 3;
  auto store = open_store(options);
  ASSERT_TRUE(store);
  in_transaction(*store, [&] {
    for (int n = 1; n <= 400; ++n) {
      NewJob j = make_job(n, "q");
      if (n % 97 == 1) j.job.tags = {"rare", "order:" + std::to_string(n)};
      ASSERT_TRUE(store->enqueue(j));
    }
  });
  JobFilter f;
  f.tags = {"rare"};
  f.limit = 2;
  std::vector<std::string> found;
  for (int pages = 0; pages < 5; ++pages) {
    auto page = store->list_jobs(f);
    ASSERT_TRUE(page) << page.error().message();
    for (const Job& j : page->jobs) found.push_back(j.id);
    if (!page->next_cursor) break;
    EXPECT_EQ(page->jobs.size(), 2u) << "page " << pages;
    f.after_id = page->next_cursor;
  }
  EXPECT_EQ(found, (std::vector<std::string>{job_id(389), job_id(292), job_id(195), job_id(98),
                                             job_id(1)}));
  f = {};
  f.tags = {"rare", "order:195"};
  auto page = store->list_jobs(f);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->jobs.size(), 1u);
  EXPECT_EQ(page->jobs[0].id, job_id(195));
}

// backlog()'s counts carry their LIMIT inside: counting 100 of 5,000 matching rows does about
// 100 rows' work, where the count without a limit walks all 5,000.
TEST(SqliteReadBoundsTest, BacklogCountsDoWorkBoundedByTheirLimit) {
  testing::TempDir dir;
  auto store = open_store({dir.file("spool.db"), Durability::kFast, 0});
  ASSERT_TRUE(store);
  in_transaction(*store, [&] {
    for (int n = 1; n <= 10'000; ++n) ASSERT_TRUE(store->enqueue(make_job(n, "q", kNow + n)));
  });
  RawConnection raw(dir.file("spool.db"));
  std::int64_t queue_id = 0;
  {
    sqlite3_stmt* stmt = nullptr;
    sqlite3_prepare_v2(raw.db, "SELECT id FROM names WHERE name = 'q'", -1, &stmt, nullptr);
    ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
    queue_id = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
  }
  // What a count answers, and how many VM steps it took.
  auto count = [&](const char* sql, std::int64_t limit) {
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(raw.db, sql, -1, &stmt, nullptr), SQLITE_OK);
    sqlite3_bind_int64(stmt, 1, queue_id);
    sqlite3_bind_int64(stmt, 2, 0);  // priority
    sqlite3_bind_int64(stmt, 3, kNow + 5'000);
    sqlite3_bind_int64(stmt, 4, limit);
    EXPECT_EQ(sqlite3_step(stmt), SQLITE_ROW);
    std::pair<std::int64_t, int> out{sqlite3_column_int64(stmt, 0),
                                     sqlite3_stmt_status(stmt, SQLITE_STMTSTATUS_VM_STEP, 0)};
    sqlite3_finalize(stmt);
    return out;
  };
  for (const char* sql : {kBacklogDueSql, kBacklogNotDueSql}) {
    SCOPED_TRACE(sql);
    auto [all, all_steps] = count(sql, -1);  // LIMIT -1: no limit, as before the bound
    auto [bounded, bounded_steps] = count(sql, 100);
    EXPECT_EQ(all, 5'000);
    EXPECT_EQ(bounded, 100);
    EXPECT_LT(bounded_steps * 10, all_steps);
    EXPECT_EQ(joined(raw.plan(sql)).find("TEMP B-TREE"), std::string::npos);
  }
}

// A queue left with no jobs and no config is forgotten, from the writer's state and from the
// published view; names are kept in memory only up to the cache's capacity, and a name the
// cache forgot is found again in the table, under the same id.
TEST(SqliteReadBoundsTest, QueuesAndNamesNobodyUsesLeaveMemory) {
  testing::TempDir dir;
  SqliteOptions options{dir.file("spool.db"), Durability::kFast, 0};
  options.name_cache_capacity = 100;
  auto opened = open_store(options);
  ASSERT_TRUE(opened);
  auto& store = static_cast<SqliteStore&>(*opened);
  for (int n = 1; n <= 1'000; ++n) {
    std::string queue = "one_off_" + std::to_string(n);
    in_transaction(store, [&] { ASSERT_TRUE(store.enqueue(make_job(n, queue))); });
    in_transaction(store, [&] { ASSERT_TRUE(store.cancel(job_id(n), kNow)); });
    in_transaction(store, [&] { ASSERT_TRUE(store.purge(queue, JobState::kCancelled, 1000)); });
  }
  auto listed = store.list_queues();
  ASSERT_TRUE(listed);
  EXPECT_TRUE(listed->empty());
  EXPECT_TRUE(store.stats()->queues.empty());
  EXPECT_EQ(store.memory_sizes().queue_states, 0u);
  EXPECT_EQ(store.memory_sizes().published_queues, 0u);
  EXPECT_LE(store.memory_sizes().names, 100u + 2u);

  // one_off_1 was forgotten long ago: enqueuing to it again finds its row in `names`.
  in_transaction(store, [&] {
    auto again = store.enqueue(make_job(1'001, "one_off_1"));
    ASSERT_TRUE(again) << again.error().message();
  });
  JobFilter f;
  f.queue = "one_off_1";
  auto page = store.list_jobs(f);
  ASSERT_TRUE(page) << page.error().message();
  ASSERT_EQ(page->jobs.size(), 1u);
  EXPECT_EQ(page->jobs[0].queue, "one_off_1");
  EXPECT_EQ(store.get_queue("one_off_1")->counts[JobState::kQueued], 1);
  EXPECT_EQ(store.memory_sizes().queue_states, 1u);
  RawConnection raw(dir.file("spool.db"));
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(raw.db, "SELECT count(*) FROM names WHERE name = 'one_off_1'", -1, &stmt,
                     nullptr);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int64(stmt, 0), 1);
  sqlite3_finalize(stmt);
}

}  // namespace
}  // namespace spool::store::sqlite
