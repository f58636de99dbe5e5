// SQLite-specific store tests: durability pragmas, a full disk, backup, schema versions and the
// on-disk size per job. Behaviour every backend shares lives in test/conformance/.
#include "store/sqlite/sqlite_store.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

#include "store/sqlite/schema.hpp"
#include "store/sqlite/sqlite_store_impl.hpp"
#include "support/temp_dir.hpp"

namespace spool::store {
namespace {

constexpr TimeMs kNow = 1'764'000'000'000;

NewJob make_job(int n, std::size_t payload_bytes = 20) {
  NewJob nj;
  char id[32];
  std::snprintf(id, sizeof id, "01JD%022d", n);
  nj.job.id = id;
  nj.job.type = "send_email";
  nj.job.queue = "send_email";
  nj.job.created_at = kNow;
  nj.job.run_at = kNow;
  // A JSON string of exactly payload_bytes characters, quotes included.
  nj.job.payload_json = "\"" + std::string(payload_bytes - 2, 'x') + "\"";
  return nj;
}

std::unique_ptr<Store> open(const SqliteOptions& options) {
  auto s = open_sqlite_store(options);
  EXPECT_TRUE(s) << s.error().message();
  return s ? std::move(*s) : nullptr;
}

std::int64_t pragma(Store& store, const char* name) {
  auto v = static_cast<sqlite::SqliteStore&>(store).pragma_value(name);
  EXPECT_TRUE(v) << v.error().message();
  return v.value_or(-1);
}

// The first column of the first row `sql` answers, read on a connection of its own ("" for none).
std::string first_value(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr);
  std::string value;
  if (sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_text(stmt, 0) != nullptr) {
    value = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return value;
}

std::string journal_mode(const std::string& path) {
  return first_value(path, "PRAGMA journal_mode");
}

// Rewinding a file to an older schema version, for the migration tests: each string undoes
// one migration (the newest first), and rewind() runs them with the version to stamp.
constexpr const char* kUndoMigration8 =
    "ALTER TABLE jobs DROP COLUMN timeout_ms; ALTER TABLE queues DROP COLUMN timeout_ms; ";
constexpr const char* kUndoMigration7 =
    "DROP TRIGGER job_tags_on_insert; DROP TRIGGER job_tags_on_delete; DROP TABLE job_tags; ";
constexpr const char* kUndoMigration6 =
    "ALTER TABLE dedupe DROP COLUMN job_id; ALTER TABLE dedupe DROP COLUMN last_state; ";

void rewind(const std::string& path, const std::string& sql, int version) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  std::string all = sql + "PRAGMA user_version = " + std::to_string(version);
  EXPECT_EQ(sqlite3_exec(db, all.c_str(), nullptr, nullptr, nullptr), SQLITE_OK)
      << sqlite3_errmsg(db);
  sqlite3_close(db);
}

TEST(SqliteStoreTest, FastDurabilityIsWalWithSynchronousNormal) {
  testing::TempDir dir;
  auto store = open({dir.file("spool.db"), Durability::kFast, 0});
  ASSERT_TRUE(store);
  EXPECT_EQ(pragma(*store, "synchronous"), 1);  // NORMAL
  EXPECT_EQ(journal_mode(dir.file("spool.db")), "wal");
}

TEST(SqliteStoreTest, StrictDurabilityIsWalWithSynchronousFull) {
  testing::TempDir dir;
  auto store = open({dir.file("spool.db"), Durability::kStrict, 0});
  ASSERT_TRUE(store);
  EXPECT_EQ(pragma(*store, "synchronous"), 2);  // FULL
  EXPECT_EQ(journal_mode(dir.file("spool.db")), "wal");
}

TEST(SqliteStoreTest, AFullDiskFailsWritesAsUnavailableAndReadsStillWork) {
  testing::TempDir dir;
  auto store = open({dir.file("spool.db"), Durability::kFast, 40});
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->begin());
  ASSERT_TRUE(store->enqueue(make_job(1)));
  ASSERT_TRUE(store->commit());

  ASSERT_TRUE(store->begin());
  Status failure;
  for (int n = 2; n < 100'000 && failure.ok(); ++n) {
    auto r = store->enqueue(make_job(n, 400));
    if (!r) failure = r.error();
  }
  store->rollback();
  EXPECT_EQ(failure.code(), StatusCode::kUnavailable);
  EXPECT_NE(failure.message().find("disk is full (SQLITE_FULL)"), std::string::npos)
      << failure.message();
  EXPECT_NE(failure.message().find("spool.db"), std::string::npos) << failure.message();

  auto job = store->get_job(make_job(1).job.id);
  ASSERT_TRUE(job) << job.error().message();
  EXPECT_EQ(job->state, JobState::kQueued);
  EXPECT_FALSE(store->get_job(make_job(2).job.id));
  auto stats = store->stats();
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->totals[JobState::kQueued], 1);
  auto page = store->list_jobs(JobFilter{});
  ASSERT_TRUE(page);
  EXPECT_EQ(page->jobs.size(), 1u);
  // Small writes still fit after the rollback freed the pages.
  ASSERT_TRUE(store->begin());
  EXPECT_TRUE(store->set_paused("send_email", true));
  EXPECT_TRUE(store->commit());
}

TEST(SqliteStoreTest, BackupProducesAFileThatOpensWithTheSameJobs) {
  testing::TempDir dir;
  auto store = open({dir.file("spool.db"), Durability::kFast, 0});
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->begin());
  for (int n = 1; n <= 500; ++n) ASSERT_TRUE(store->enqueue(make_job(n, 200)));
  ASSERT_TRUE(store->commit());

  // The output is replaced if it exists.
  {
    std::FILE* f = std::fopen(dir.file("backup.db").c_str(), "w");
    std::fputs("junk", f);
    std::fclose(f);
  }
  auto ok = backup_sqlite(dir.file("spool.db"), dir.file("backup.db"));
  ASSERT_TRUE(ok) << ok.error().message();

  auto copy = open({dir.file("backup.db"), Durability::kFast, 0});
  ASSERT_TRUE(copy);
  auto stats = copy->stats();
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->totals[JobState::kQueued], 500);
  auto job = copy->get_job(make_job(250).job.id);
  ASSERT_TRUE(job);
  EXPECT_EQ(job->payload_json, make_job(250, 200).job.payload_json);
}

TEST(SqliteStoreTest, BackupOfAMissingFileNamesIt) {
  testing::TempDir dir;
  auto ok = backup_sqlite(dir.file("missing.db"), dir.file("out.db"));
  ASSERT_FALSE(ok);
  EXPECT_EQ(ok.error().code(), StatusCode::kUnavailable);
  EXPECT_NE(ok.error().message().find("missing.db"), std::string::npos) << ok.error().message();
}

TEST(SqliteStoreTest, OpeningRecordsTheSchemaVersion) {
  testing::TempDir dir;
  auto store = open({dir.file("spool.db"), Durability::kFast, 0});
  ASSERT_TRUE(store);
  EXPECT_EQ(pragma(*store, "user_version"), sqlite::kSchemaVersion);
}

// Migration 4 rebuilds a version 3 file's jobs_ready with `state` in it (from the jobs already
// there), and backlog() reads through it.
TEST(SqliteStoreTest, AVersion3FileGetsJobsReadyWithStateOnOpening) {
  testing::TempDir dir;
  {
    auto store = open({dir.file("spool.db"), Durability::kFast, 0});
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->begin());
    for (int n = 1; n <= 3; ++n) {
      NewJob j = make_job(n);
      j.job.run_at = kNow - n * 60'000;
      ASSERT_TRUE(store->enqueue(j));
    }
    ASSERT_TRUE(store->commit());
  }
  // Undo migrations 8 to 4: the file is as version 3 left it.
  rewind(dir.file("spool.db"),
         std::string(kUndoMigration8) + kUndoMigration7 + kUndoMigration6 +
             "DROP INDEX jobs_callback_due; ALTER TABLE jobs DROP COLUMN callback; "
             "ALTER TABLE jobs DROP COLUMN callback_due; "
             "DROP INDEX jobs_ready; CREATE INDEX jobs_ready ON jobs "
             "(queue, priority DESC, run_at) WHERE state = 1; ",
         3);
  auto index_sql = [&] {
    sqlite3* check = nullptr;
    sqlite3_open_v2(dir.file("spool.db").c_str(), &check, SQLITE_OPEN_READONLY, nullptr);
    sqlite3_stmt* stmt = nullptr;
    sqlite3_prepare_v2(check, "SELECT sql FROM sqlite_master WHERE name = 'jobs_ready'", -1, &stmt,
                       nullptr);
    std::string sql;
    if (sqlite3_step(stmt) == SQLITE_ROW) {
      sql = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    }
    sqlite3_finalize(stmt);
    sqlite3_close(check);
    return sql;
  };
  EXPECT_EQ(index_sql().find("state,"), std::string::npos);
  auto store = open({dir.file("spool.db"), Durability::kFast, 0});
  ASSERT_TRUE(store);
  EXPECT_EQ(pragma(*store, "user_version"), sqlite::kSchemaVersion);
  EXPECT_NE(index_sql().find("(queue, state, priority DESC, run_at)"), std::string::npos);
  auto backlog = store->backlog(kNow - 120'000);
  ASSERT_TRUE(backlog) << backlog.error().message();
  ASSERT_EQ(backlog->size(), 1u);
  EXPECT_EQ((*backlog)[0].queued, 3);
  EXPECT_EQ((*backlog)[0].overdue, 2);
  EXPECT_EQ((*backlog)[0].oldest_run_at, kNow - 180'000);
}

// Migration 6 names each dedupe row's job by id. A row whose seq still points at the job that
// holds its key keeps holding it; a row whose job is gone (the old rule freed it) holds nothing.
TEST(SqliteStoreTest, AVersion5FilesDedupeRowsNameTheirJobsById) {
  testing::TempDir dir;
  NewJob held = make_job(1);
  held.job.dedupe_key = "invoice-42";
  NewJob gone = make_job(2);
  gone.job.dedupe_key = "invoice-43";
  {
    auto store = open({dir.file("spool.db"), Durability::kFast, 0});
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->begin());
    ASSERT_TRUE(store->enqueue(held));
    ASSERT_TRUE(store->enqueue(gone));
    ASSERT_TRUE(store->commit());
  }
  // As version 5 left it, with the second job deleted under its key.
  rewind(dir.file("spool.db"),
         std::string(kUndoMigration8) + kUndoMigration7 + kUndoMigration6 +
             "DELETE FROM jobs WHERE dedupe_key = 'invoice-43'; ",
         5);
  auto store = open({dir.file("spool.db"), Durability::kFast, 0});
  ASSERT_TRUE(store);
  EXPECT_EQ(pragma(*store, "user_version"), sqlite::kSchemaVersion);
  ASSERT_TRUE(store->begin());
  NewJob again = make_job(3);
  again.job.dedupe_key = "invoice-42";
  auto hit = store->enqueue(again);
  ASSERT_TRUE(hit) << hit.error().message();
  EXPECT_TRUE(hit->deduplicated);
  EXPECT_EQ(hit->id, held.job.id);
  NewJob fresh = make_job(4);
  fresh.job.dedupe_key = "invoice-43";
  auto stored = store->enqueue(fresh);
  ASSERT_TRUE(stored) << stored.error().message();
  EXPECT_FALSE(stored->deduplicated);
  EXPECT_EQ(stored->id, fresh.job.id);
  ASSERT_TRUE(store->commit());
}

std::int64_t tag_rows(const std::string& path) {
  return std::stoll(first_value(path, "SELECT count(*) FROM job_tags"));
}

// Migration 7 indexes the tags of the jobs already stored, not only those enqueued after it.
TEST(SqliteStoreTest, AVersion6FilesTaggedJobsAreFoundByTagAfterTheMigration) {
  testing::TempDir dir;
  {
    auto store = open({dir.file("spool.db"), Durability::kFast, 0});
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->begin());
    for (int n = 1; n <= 4; ++n) {
      NewJob j = make_job(n);
      if (n % 2 == 0) j.job.tags = {"order:" + std::to_string(n), "vip", "vip"};
      ASSERT_TRUE(store->enqueue(j));
    }
    ASSERT_TRUE(store->commit());
  }
  rewind(dir.file("spool.db"), std::string(kUndoMigration8) + kUndoMigration7, 6);
  auto store = open({dir.file("spool.db"), Durability::kFast, 0});
  ASSERT_TRUE(store);
  EXPECT_EQ(pragma(*store, "user_version"), sqlite::kSchemaVersion);
  EXPECT_EQ(tag_rows(dir.file("spool.db")), 4);  // a tag given twice is indexed once
  JobFilter f;
  f.tags = {"vip"};
  auto page = store->list_jobs(f);
  ASSERT_TRUE(page) << page.error().message();
  ASSERT_EQ(page->jobs.size(), 2u);
  EXPECT_EQ(page->jobs[0].id, make_job(4).job.id);
  EXPECT_EQ(page->jobs[1].id, make_job(2).job.id);
}

// The index follows the jobs out: purge and retention delete their tag rows too, so a tag never
// names a job that is gone, nor a later job that reuses its seq.
TEST(SqliteStoreTest, PurgeAndRetentionTakeTheirJobsTagRowsWithThem) {
  testing::TempDir dir;
  auto store = open({dir.file("spool.db"), Durability::kFast, 0});
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->begin());
  for (int n = 1; n <= 3; ++n) {
    NewJob j = make_job(n);
    j.job.tags = {"a", "b"};
    ASSERT_TRUE(store->enqueue(j));
  }
  ASSERT_TRUE(store->commit());
  EXPECT_EQ(tag_rows(dir.file("spool.db")), 6);

  ASSERT_TRUE(store->begin());
  ASSERT_TRUE(store->cancel(make_job(2).job.id, kNow));
  ASSERT_TRUE(store->cancel(make_job(3).job.id, kNow));
  auto purged = store->purge("send_email", JobState::kCancelled, 1);
  ASSERT_TRUE(purged) << purged.error().message();
  EXPECT_EQ(*purged, 1);
  ASSERT_TRUE(store->commit());
  EXPECT_EQ(tag_rows(dir.file("spool.db")), 4);

  ASSERT_TRUE(store->begin());
  auto swept = store->sweep_retention(kNow + 365LL * 86'400'000, 100);
  ASSERT_TRUE(swept) << swept.error().message();
  EXPECT_EQ(*swept, 1);
  // A new job takes a freed seq (SQLite reuses them): the tags name it alone.
  NewJob later = make_job(9);
  later.job.tags = {"a"};
  ASSERT_TRUE(store->enqueue(later));
  ASSERT_TRUE(store->commit());
  EXPECT_EQ(tag_rows(dir.file("spool.db")), 3);
  JobFilter f;
  f.tags = {"a", "b"};
  auto page = store->list_jobs(f);
  ASSERT_TRUE(page) << page.error().message();
  ASSERT_EQ(page->jobs.size(), 1u);
  EXPECT_EQ(page->jobs[0].id, make_job(1).job.id);
}

// Two writers on one file would each hand out the same jobs: the second open is refused, with
// the holder's pid and what to do, and the file opens again once the first store has closed.
TEST(SqliteStoreTest, ASecondOpenOfAFileInUseIsRefusedUntilTheFirstCloses) {
  testing::TempDir dir;
  auto first = open({dir.file("spool.db"), Durability::kFast, 0});
  ASSERT_TRUE(first);
  auto second = open_sqlite_store({dir.file("spool.db"), Durability::kFast, 0});
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code(), StatusCode::kUnavailable);
  EXPECT_EQ(second.error().message(),
            dir.file("spool.db") + " is in use by another spool process (pid " +
                std::to_string(getpid()) +
                "): two servers on one file would hand out the same jobs twice. Stop that one, "
                "or give this one a --data folder of its own");
  first.reset();
  auto again = open_sqlite_store({dir.file("spool.db"), Durability::kFast, 0});
  EXPECT_TRUE(again) << again.error().message();
}

TEST(SqliteStoreTest, AFileFromANewerSchemaIsRefused) {
  testing::TempDir dir;
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(dir.file("spool.db").c_str(), &db), SQLITE_OK);
  sqlite3_exec(db, "PRAGMA user_version = 99", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  auto s = open_sqlite_store({dir.file("spool.db"), Durability::kFast, 0});
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code(), StatusCode::kUnavailable);
  EXPECT_NE(s.error().message().find("schema version 99"), std::string::npos);
}

TEST(SqliteStoreTest, AnUnwritableFolderIsUnavailableNamingTheFile) {
  auto s = open_sqlite_store({"/nonexistent-dir/spool.db", Durability::kFast, 0});
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code(), StatusCode::kUnavailable);
  EXPECT_NE(s.error().message().find("/nonexistent-dir/spool.db"), std::string::npos);
}

// The figure docs/storage.md quotes: bytes on disk per job with a 200-byte payload, counted as
// page_count * page_size (the database proper; the WAL is transient).
TEST(SqliteStoreTest, AQueuedJobWithA200BytePayloadTakesAtMost400Bytes) {
  testing::TempDir dir;
  auto store = open({dir.file("spool.db"), Durability::kFast, 0});
  ASSERT_TRUE(store);
  constexpr int kJobs = 100'000;
  std::int64_t before = pragma(*store, "page_count") * pragma(*store, "page_size");
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(store->begin());
  for (int n = 1; n <= kJobs; ++n) {
    NewJob j = make_job(n, 200);
    j.job.tags = {"t1"};
    ASSERT_TRUE(store->enqueue(j));
  }
  ASSERT_TRUE(store->commit());
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::int64_t queued_bytes = pragma(*store, "page_count") * pragma(*store, "page_size") - before;

  // The same jobs once completed and retained (the bulk of a busy store's file).
  ReserveRequest req;
  req.queues = {"send_email"};
  req.max = 100;
  req.now = kNow;
  req.worker = "worker-1";
  for (int i = 0; i < 100; ++i) req.lease_tokens.push_back("01JDTOKEN" + std::to_string(i));
  ASSERT_TRUE(store->begin());
  for (int round = 0; round < kJobs / 100; ++round) {
    auto r = store->reserve(req);
    ASSERT_TRUE(r);
    for (const Job& j : r->jobs) {
      ASSERT_TRUE(store->ack(AckRequest{j.id, j.lease_token, std::nullopt, kNow}));
    }
  }
  ASSERT_TRUE(store->commit());
  store->maintenance();
  std::int64_t completed_bytes =
      pragma(*store, "page_count") * pragma(*store, "page_size") - before;

  double queued_per_job = static_cast<double>(queued_bytes) / kJobs;
  double completed_per_job = static_cast<double>(completed_bytes) / kJobs;
  std::printf(
      "[ size ] %d jobs, 200-byte payloads: %.0f bytes/job queued, %.0f bytes/job "
      "completed (file grows, freed pages are reused); %.0f enqueues/s in one txn\n",
      kJobs, queued_per_job, completed_per_job, kJobs / secs);
  EXPECT_LE(queued_per_job, 400);
}

}  // namespace
}  // namespace spool::store

namespace spool::store {
namespace {

TEST(SqliteWalTest, TheWalRestartsInsteadOfGrowingWhileWritesNeverStop) {
  testing::TempDir dir;
  SqliteOptions options;
  options.path = dir.file("spool.db");
  auto store = open(options);
  ASSERT_TRUE(store);
  // Enough commits for ~6x the restart threshold of WAL frames (about 95 MB of frames), with
  // upkeep after each as the engine runs it. Without the writer's catch-up checkpoint the WAL
  // would only ever grow, to all of that. The bound leaves room for a loaded machine, where the
  // checkpointer thread can be descheduled mid-pass (holding the checkpoint) for a while.
  for (int i = 0; i < 6000; ++i) {
    ASSERT_TRUE(store->begin());
    ASSERT_TRUE(store->enqueue(make_job(i, 9000)));
    ASSERT_TRUE(store->commit());
    store->maintenance();
  }
  auto wal_bytes = std::filesystem::file_size(options.path + "-wal");
  EXPECT_LT(wal_bytes, 64u << 20) << "the WAL kept growing: " << wal_bytes << " bytes";
}

}  // namespace
}  // namespace spool::store
