#include "store/sqlite/schema.hpp"

#include <sqlite3.h>

#include <string>

#include "store/sqlite/sqlite_error.hpp"

namespace spool::store::sqlite {
namespace {

// Migration 1: the first schema. docs/storage.md explains each table and index.
//
// Leanness (a job should cost at most ~400 bytes with a 200-byte payload):
//  - job types and queue names are interned in `names` and stored as small integers, so rows
//    and every index that carries a queue stay small;
//  - `seq` (the rowid) is the creation order. Indexes end with it implicitly, so ties and
//    cursor pages follow creation without carrying the 26-byte id in every index entry;
//  - the hot indexes are partial: each holds only the jobs in the states its query asks about.
constexpr std::string_view kMigration1 = R"sql(
CREATE TABLE names (
  id   INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE
);

CREATE TABLE jobs (
  seq              INTEGER PRIMARY KEY,
  id               TEXT NOT NULL UNIQUE,
  type             INTEGER NOT NULL,
  queue            INTEGER NOT NULL,
  state            INTEGER NOT NULL,
  priority         INTEGER NOT NULL,
  attempts         INTEGER NOT NULL,
  max_attempts     INTEGER NOT NULL,
  backoff_type     INTEGER NOT NULL,
  backoff_base_ms  INTEGER NOT NULL,
  backoff_max_ms   INTEGER NOT NULL,
  backoff_jitter   INTEGER NOT NULL,
  lease_ms         INTEGER NOT NULL,
  created_at       INTEGER NOT NULL,
  run_at           INTEGER NOT NULL,
  started_at       INTEGER,
  finished_at      INTEGER,
  lease_expires_at INTEGER,
  expires_at       INTEGER,
  lease_token      TEXT,
  worker           TEXT,
  dedupe_key       TEXT,
  tags             TEXT,
  errors           TEXT,
  result           TEXT,
  progress         TEXT,
  payload          TEXT NOT NULL
);

CREATE INDEX jobs_ready    ON jobs (queue, priority DESC, run_at) WHERE state = 1;
CREATE INDEX jobs_due      ON jobs (run_at) WHERE state IN (0, 3);
CREATE INDEX jobs_lease    ON jobs (lease_expires_at) WHERE state = 2;
CREATE INDEX jobs_expiry   ON jobs (expires_at) WHERE expires_at IS NOT NULL;
CREATE INDEX jobs_by_state ON jobs (state);
CREATE INDEX jobs_by_queue ON jobs (queue, state);
CREATE INDEX jobs_by_type  ON jobs (type);

CREATE TABLE dedupe (
  type       INTEGER NOT NULL,
  key        TEXT NOT NULL,
  job        INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (type, key)
) WITHOUT ROWID;
CREATE INDEX dedupe_expiry ON dedupe (expires_at);

CREATE TABLE queues (
  name                TEXT PRIMARY KEY,
  paused              INTEGER NOT NULL DEFAULT 0,
  max_attempts        INTEGER,
  backoff_type        INTEGER,
  backoff_base_ms     INTEGER,
  backoff_max_ms      INTEGER,
  backoff_jitter      INTEGER,
  lease_ms            INTEGER,
  concurrency         INTEGER,
  rate_limit          INTEGER,
  rate_per_ms         INTEGER,
  retain_completed_ms INTEGER,
  retain_dead_ms      INTEGER,
  retain_cancelled_ms INTEGER,
  push                TEXT
);

CREATE VIEW jobs_view AS
SELECT j.id, t.name AS type, q.name AS queue,
       CASE j.state WHEN 0 THEN 'scheduled' WHEN 1 THEN 'queued' WHEN 2 THEN 'active'
                    WHEN 3 THEN 'retrying' WHEN 4 THEN 'completed' WHEN 5 THEN 'dead'
                    ELSE 'cancelled' END AS state,
       j.priority, j.attempts, j.max_attempts, j.created_at, j.run_at, j.started_at,
       j.finished_at, j.lease_expires_at, j.expires_at, j.worker, j.dedupe_key, j.tags,
       j.errors, j.result, j.progress, j.payload
FROM jobs j JOIN names t ON t.id = j.type JOIN names q ON q.id = j.queue;
)sql";

// Migration 2: per-minute aggregates for GET /v1/metrics/summary, kept 7 days whatever the
// jobs' retention. One row per (minute, queue, type) that saw activity; run_b0..run_b15 count
// attempt run times by store.hpp's kRunMsBuckets (b15: longer than the last bound), so the
// bucket bounds are part of this format.
constexpr std::string_view kMigration2 = R"sql(
CREATE TABLE minute_stats (
  minute     INTEGER NOT NULL,
  queue      INTEGER NOT NULL,
  type       INTEGER NOT NULL,
  enqueued   INTEGER NOT NULL DEFAULT 0,
  completed  INTEGER NOT NULL DEFAULT 0,
  failed     INTEGER NOT NULL DEFAULT 0,
  dead       INTEGER NOT NULL DEFAULT 0,
  run_count  INTEGER NOT NULL DEFAULT 0,
  run_ms_sum INTEGER NOT NULL DEFAULT 0,
  run_b0  INTEGER NOT NULL DEFAULT 0, run_b1  INTEGER NOT NULL DEFAULT 0,
  run_b2  INTEGER NOT NULL DEFAULT 0, run_b3  INTEGER NOT NULL DEFAULT 0,
  run_b4  INTEGER NOT NULL DEFAULT 0, run_b5  INTEGER NOT NULL DEFAULT 0,
  run_b6  INTEGER NOT NULL DEFAULT 0, run_b7  INTEGER NOT NULL DEFAULT 0,
  run_b8  INTEGER NOT NULL DEFAULT 0, run_b9  INTEGER NOT NULL DEFAULT 0,
  run_b10 INTEGER NOT NULL DEFAULT 0, run_b11 INTEGER NOT NULL DEFAULT 0,
  run_b12 INTEGER NOT NULL DEFAULT 0, run_b13 INTEGER NOT NULL DEFAULT 0,
  run_b14 INTEGER NOT NULL DEFAULT 0, run_b15 INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (minute, queue, type)
) WITHOUT ROWID;
)sql";

// Migration 3: recurring schedules (core/schedule.hpp). The job template is stored as columns,
// its payload as the JSON text given (never re-encoded); misfire and overlap as the enums'
// integers (change either enum's order => a migration). schedules_due serves next_schedule_due()
// and due_schedules().
constexpr std::string_view kMigration3 = R"sql(
CREATE TABLE schedules (
  id                  TEXT PRIMARY KEY,
  name                TEXT NOT NULL UNIQUE,
  cron                TEXT,
  every_ms            INTEGER,
  timezone            TEXT NOT NULL,
  misfire             INTEGER NOT NULL,
  overlap             INTEGER NOT NULL,
  paused              INTEGER NOT NULL,
  created_at          INTEGER NOT NULL,
  updated_at          INTEGER NOT NULL,
  anchor_at           INTEGER NOT NULL,
  next_run_at         INTEGER,
  last_run_at         INTEGER,
  last_job_id         TEXT,
  job_type            TEXT NOT NULL,
  job_queue           TEXT,
  job_payload         TEXT NOT NULL,
  job_priority        INTEGER NOT NULL,
  job_max_attempts    INTEGER,
  job_backoff_type    INTEGER,
  job_backoff_base_ms INTEGER,
  job_backoff_max_ms  INTEGER,
  job_backoff_jitter  INTEGER,
  job_lease_ms        INTEGER,
  job_tags            TEXT
) WITHOUT ROWID;
CREATE INDEX schedules_due ON schedules (next_run_at) WHERE paused = 0 AND next_run_at IS NOT NULL;
)sql";

// Migration 4: jobs_ready gains `state` as its second column, so that the backlog read
// (backlog(): readiness, and the summary's oldest waiting job and overdue count) is answered
// from the index alone. SQLite 3.40 does not count a partial index's condition as covering the
// column, so every entry that read visited cost a lookup of the job's row. `state` is the
// constant 1 here, which SQLite keeps in the record header alone (one byte per entry), and it
// sits before priority, so reserve's seek (queue = ? AND state = 1) still reads in
// (priority DESC, run_at, seq) order without a sort. Rebuilding it reads every queued job once.
constexpr std::string_view kMigration4 = R"sql(
DROP INDEX jobs_ready;
CREATE INDEX jobs_ready ON jobs (queue, state, priority DESC, run_at) WHERE state = 1;
)sql";

// Migration 5: per-job completion callbacks (docs/push.md "Completion callbacks"). The callback
// lives on the job's own row so the transaction that finishes the job arms it: no separate
// outbox row can be lost or orphaned, and retention deletes it with the job. Two columns only,
// as every job pays a byte per column (docs/storage.md "Size"): `callback` is JSON,
// {"url"} from enqueue, plus {"state","attempts","at","error","taken"} once armed (taken: an
// attempt is out and not answered yet) (state is
// CallbackState's name, core/job.hpp); `callback_due` is set only while the callback is pending
// (when it is due, or held until), and jobs_callback_due serves the dispatcher.
constexpr std::string_view kMigration5 = R"sql(
ALTER TABLE jobs ADD COLUMN callback TEXT;
ALTER TABLE jobs ADD COLUMN callback_due INTEGER;
CREATE INDEX jobs_callback_due ON jobs (callback_due) WHERE callback_due IS NOT NULL;
)sql";

// Migration 6: a dedupe key holds for its whole window whatever happens to its job, and a hit
// answers that job, never another (issue 13, D3). Rows named their job by `job` = jobs.seq,
// which SQLite reuses once the highest row is deleted, so a purged job's key could answer the
// next job stored. Now the row names the job by id, and `last_state` keeps the job's state when
// purge or retention deletes it, so a hit on a deleted job still answers its id and last state.
// Rows written before this migration get the id of the job they point at, when that job is
// still the one that holds the key; the others (NULL job_id) hold nothing, as before.
constexpr std::string_view kMigration6 = R"sql(
ALTER TABLE dedupe ADD COLUMN job_id TEXT;
ALTER TABLE dedupe ADD COLUMN last_state INTEGER;
UPDATE dedupe SET job_id = (SELECT j.id FROM jobs j WHERE j.seq = dedupe.job
                            AND j.type = dedupe.type AND j.dedupe_key = dedupe.key);
)sql";

// Migration 7: an index of tags, so that GET /v1/jobs?tag=... seeks instead of walking the
// table within its scan budget (issue 13, D2: a list by a tag nobody has examined 10,000 rows a
// page). One row per (tag, job); WITHOUT ROWID, so the row is the key and nothing else. Triggers
// keep it, because a job's tags are written once, at insert, and rows leave by several deletes
// (purge, retention, tests): no code path can forget it. Untagged jobs cost nothing here (the
// WHEN clauses). A job's tags never change after insert, so no UPDATE trigger is needed.
constexpr std::string_view kMigration7 = R"sql(
CREATE TABLE job_tags (
  tag TEXT NOT NULL,
  seq INTEGER NOT NULL,
  PRIMARY KEY (tag, seq)
) WITHOUT ROWID;
INSERT OR IGNORE INTO job_tags (tag, seq)
  SELECT t.value, jobs.seq FROM jobs, json_each(jobs.tags) t WHERE jobs.tags IS NOT NULL;
CREATE TRIGGER job_tags_on_insert AFTER INSERT ON jobs WHEN NEW.tags IS NOT NULL BEGIN
  INSERT OR IGNORE INTO job_tags (tag, seq) SELECT value, NEW.seq FROM json_each(NEW.tags);
END;
CREATE TRIGGER job_tags_on_delete AFTER DELETE ON jobs WHEN OLD.tags IS NOT NULL BEGIN
  DELETE FROM job_tags
   WHERE seq = OLD.seq AND tag IN (SELECT value FROM json_each(OLD.tags));
END;
)sql";

// Migration 8: run timeouts (issue 19). A job's timeout_ms is the longest one attempt may run:
// reserve and extend never set lease_expires_at past started_at + timeout_ms, so the lease
// expiry that tick() already runs ends a hung attempt, recorded as kind "timeout". A queue's
// timeout_ms is the default for jobs enqueued to it without one. NULL: no limit.
constexpr std::string_view kMigration8 = R"sql(
ALTER TABLE jobs ADD COLUMN timeout_ms INTEGER;
ALTER TABLE queues ADD COLUMN timeout_ms INTEGER;
)sql";

struct Migration {
  int version;
  std::string_view sql;
};

// Index i holds migration i + 1.
constexpr Migration kMigrations[] = {{1, kMigration1}, {2, kMigration2}, {3, kMigration3},
                                     {4, kMigration4}, {5, kMigration5}, {6, kMigration6},
                                     {7, kMigration7}, {8, kMigration8}};
static_assert(std::size(kMigrations) == kSchemaVersion, "every schema version needs its migration");

StatusOr<void> exec(sqlite3* db, const std::string& sql, std::string_view path) {
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return tl::unexpected(sqlite_status(db, rc, "migrating", path));
  return {};
}

StatusOr<int> user_version(sqlite3* db, std::string_view path) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &stmt, nullptr);
  int version = 0;
  if (rc == SQLITE_OK) {
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
      version = sqlite3_column_int(stmt, 0);
      rc = SQLITE_OK;
    }
  }
  sqlite3_finalize(stmt);
  if (rc != SQLITE_OK) return tl::unexpected(sqlite_status(db, rc, "reading the schema of", path));
  return version;
}

}  // namespace

StatusOr<void> migrate(sqlite3* db, std::string_view path) {
  auto version = user_version(db, path);
  if (!version) return tl::unexpected(version.error());
  if (*version > kSchemaVersion) {
    return error(StatusCode::kUnavailable,
                 std::string(path) + " has schema version " + std::to_string(*version) +
                     " but this spool knows versions up to " + std::to_string(kSchemaVersion) +
                     "; run a newer spool or restore a backup");
  }
  for (const Migration& m : kMigrations) {
    if (m.version <= *version) continue;
    // Each migration and its version bump commit together, so a crash mid-way reruns it whole.
    std::string sql = "BEGIN IMMEDIATE;\n" + std::string(m.sql) +
                      "\nPRAGMA user_version = " + std::to_string(m.version) + ";\nCOMMIT;";
    if (auto ok = exec(db, sql, path); !ok) {
      sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
      return ok;
    }
  }
  return {};
}

}  // namespace spool::store::sqlite
