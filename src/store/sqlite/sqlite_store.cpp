// Opening the SQLite store, its transactions, and the name table. See sqlite_store_impl.hpp.
#include "store/sqlite/sqlite_store.hpp"

#include <sqlite3.h>

#include "store/sqlite/job_row.hpp"
#include "store/sqlite/schema.hpp"
#include "store/sqlite/sqlite_error.hpp"
#include "store/sqlite/sqlite_store_impl.hpp"

namespace spool::store {

StatusOr<std::unique_ptr<Store>> open_sqlite_store(const SqliteOptions& options) {
  return sqlite::SqliteStore::open(options);
}

}  // namespace spool::store

namespace spool::store::sqlite {
namespace {

StatusOr<void> exec(sqlite3* db, const std::string& sql, std::string_view doing,
                    std::string_view path) {
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return tl::unexpected(sqlite_status(db, rc, doing, path));
  return {};
}

}  // namespace

SqliteStore::SqliteStore(FileLock lock, Connection db, const SqliteOptions& options)
    : lock_(std::move(lock)),
      db_(std::move(db)),
      path_(options.path),
      reader_options_{options.bounds, options.name_cache_capacity},
      published_(std::make_shared<PublishedQueues>()),
      reads_(db_.get(), path_, published_, reader_options_) {}

StatusOr<std::unique_ptr<Store>> SqliteStore::open(const SqliteOptions& options) {
  auto lock = FileLock::acquire(options.path);
  if (!lock) return tl::unexpected(lock.error());
  sqlite3* raw = nullptr;
  // NOMUTEX: the engine thread is the connection's only user, so SQLite's own locking is waste.
  int rc =
      sqlite3_open_v2(options.path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  Connection db(raw);
  if (rc != SQLITE_OK) {
    return tl::unexpected(sqlite_status(db.get(), rc, "opening", options.path));
  }
  sqlite3_extended_result_codes(db.get(), 1);
  sqlite3_busy_timeout(db.get(), kBusyTimeoutMs);

  // WAL: readers never block the writer and a commit appends to one file. kFast
  // (synchronous=NORMAL) syncs the WAL only at checkpoints: a commit survives a killed process,
  // not a power cut. kStrict (FULL) syncs the WAL at every commit; group commit in the engine
  // makes that one fsync per batch, not per job.
  std::string pragmas = "PRAGMA journal_mode=WAL; PRAGMA synchronous=";
  pragmas += options.durability == Durability::kStrict ? "FULL;" : "NORMAL;";
  if (options.max_page_count > 0) {
    pragmas += "PRAGMA max_page_count=" + std::to_string(options.max_page_count) + ";";
  }
  if (auto ok = exec(db.get(), pragmas, "configuring", options.path); !ok) {
    return tl::unexpected(ok.error());
  }
  if (auto ok = migrate(db.get(), options.path); !ok) return tl::unexpected(ok.error());

  std::unique_ptr<SqliteStore> store(new SqliteStore(std::move(*lock), std::move(db), options));
  // Checkpoints move off the writer thread (see checkpointer.hpp); if that connection cannot be
  // had, SQLite's automatic checkpoints on the writer stay on, slower but safe.
  if (auto checkpointer =
          Checkpointer::start(options.path, options.durability == Durability::kStrict)) {
    if (auto ok =
            exec(store->db_.get(), "PRAGMA wal_autocheckpoint=0;", "configuring", options.path);
        ok) {
      store->checkpointer_ = std::move(*checkpointer);
      sqlite3_wal_hook(
          store->db_.get(),
          [](void* self, sqlite3*, const char*, int frames) {
            static_cast<SqliteStore*>(self)->wal_frames_ = frames;
            return SQLITE_OK;
          },
          store.get());
    }
  }
  if (auto ok = store->prepare_all(); !ok) return tl::unexpected(ok.error());
  if (auto ok = store->load_caches(); !ok) return tl::unexpected(ok.error());
  return std::unique_ptr<Store>(std::move(store));
}

StatusOr<void> SqliteStore::prepare_all() {
  struct Entry {
    Statement* stmt;
    const char* sql;
  };
  const Entry entries[] = {
      {&st_.begin, "BEGIN IMMEDIATE"},
      {&st_.commit, "COMMIT"},
      {&st_.rollback, "ROLLBACK"},
      {&st_.insert_name, "INSERT INTO names (name) VALUES (?1)"},
      {&st_.insert_job,
       "INSERT INTO jobs (id, type, queue, state, priority, attempts, max_attempts, "
       "backoff_type, backoff_base_ms, backoff_max_ms, backoff_jitter, lease_ms, created_at, "
       "run_at, dedupe_key, tags, payload, callback, timeout_ms) "
       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, "
       "?18, ?19)"},
      {&st_.find_dedupe,
       "SELECT d.expires_at, d.job_id, COALESCE(j.state, d.last_state) FROM dedupe d "
       "LEFT JOIN jobs j ON j.id = d.job_id WHERE d.type = ?1 AND d.key = ?2"},
      // `job` (the row's seq) is no longer read (migration 6); it is NOT NULL, so still written.
      {&st_.put_dedupe,
       "INSERT OR REPLACE INTO dedupe (type, key, job, expires_at, job_id, last_state) "
       "VALUES (?1, ?2, ?3, ?4, ?5, NULL)"},
      // INDEXED BY makes a plan change a loud error instead of a silent table scan.
      {&st_.select_ready,
       "SELECT seq, " SPOOL_JOB_COLUMNS " FROM jobs INDEXED BY jobs_ready "
       "WHERE state = 1 AND queue = ?1 ORDER BY priority DESC, run_at, seq LIMIT ?2"},
      {&st_.mark_reserved,
       "UPDATE jobs SET state = 2, attempts = attempts + 1, lease_token = ?2, "
       "lease_expires_at = ?3, started_at = ?4, worker = ?5 WHERE seq = ?1"},
      {&st_.find_settle,
       "SELECT seq, state, lease_token, queue, attempts, max_attempts, backoff_type, "
       "backoff_base_ms, backoff_max_ms, backoff_jitter, started_at, lease_expires_at, worker, "
       "errors, lease_ms, type, callback IS NOT NULL, timeout_ms FROM jobs WHERE id = ?1"},
      // A job finishing with a callback_url arms its callback in the same transaction (the
      // durable outbox) and is kept at least kCallbackRetainFloorMs, so retention does not
      // delete it while its callback is still being delivered.
      {&st_.arm_callback,
       "UPDATE jobs SET callback = json_set(callback, '$.state', 'pending', '$.attempts', 0, "
       "'$.at', ?2, '$.error', '', '$.taken', 0), callback_due = ?2, "
       "expires_at = max(coalesce(expires_at, ?3), ?3) WHERE seq = ?1"},
      {&st_.mark_completed,
       "UPDATE jobs SET state = 4, finished_at = ?2, result = ?3, lease_token = NULL, "
       "lease_expires_at = NULL, expires_at = ?4 WHERE seq = ?1"},
      {&st_.mark_failed,
       "UPDATE jobs SET state = ?2, attempts = ?3, run_at = coalesce(?4, run_at), finished_at = "
       "?5, "
       "expires_at = ?6, lease_token = NULL, lease_expires_at = NULL, "
       "errors = coalesce(?7, errors) WHERE seq = ?1"},
      {&st_.mark_extended,
       "UPDATE jobs SET lease_expires_at = ?2, progress = coalesce(?3, progress) WHERE seq = ?1"},
      {&st_.mark_cancelled,
       "UPDATE jobs SET state = 6, finished_at = ?2, expires_at = ?3 WHERE seq = ?1"},
      {&st_.mark_retried,
       "UPDATE jobs SET state = 1, attempts = 0, run_at = ?2, finished_at = NULL, "
       "expires_at = NULL WHERE seq = ?1"},
      // Chunked (store.hpp): the oldest `limit` rows by jobs_by_queue (queue, state, seq).
      {&st_.retry_dead,
       "UPDATE jobs SET state = 1, attempts = 0, run_at = ?2, finished_at = NULL, "
       "expires_at = NULL WHERE seq IN (SELECT seq FROM jobs WHERE queue = ?1 AND state = 5 "
       "AND (?3 IS NULL OR type = ?3) ORDER BY seq LIMIT ?4) "
       "RETURNING id, type, max_attempts"},
      // The same chunk as the purge's DELETE after it, in the same transaction.
      {&st_.keep_purged_dedupe_state,
       "UPDATE dedupe SET last_state = j.state FROM jobs j WHERE j.seq IN (SELECT seq FROM jobs "
       "WHERE queue = ?1 AND state = ?2 ORDER BY seq LIMIT ?3) "
       "AND j.dedupe_key IS NOT NULL AND dedupe.type = j.type AND dedupe.key = j.dedupe_key "
       "AND dedupe.job_id = j.id"},
      {&st_.purge,
       "DELETE FROM jobs WHERE seq IN (SELECT seq FROM jobs WHERE queue = ?1 AND state = ?2 "
       "ORDER BY seq LIMIT ?3)"},
      {&st_.upsert_queue,
       "INSERT OR REPLACE INTO queues (name, paused, max_attempts, backoff_type, "
       "backoff_base_ms, backoff_max_ms, backoff_jitter, lease_ms, concurrency, rate_limit, "
       "rate_per_ms, retain_completed_ms, retain_dead_ms, retain_cancelled_ms, push, "
       "timeout_ms) "
       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)"},
      {&st_.select_due,
       "SELECT seq, queue, state, run_at FROM jobs INDEXED BY jobs_due "
       "WHERE state IN (0, 3) AND run_at <= ?1 ORDER BY run_at LIMIT ?2"},
      {&st_.mark_promoted, "UPDATE jobs SET state = 1 WHERE seq = ?1"},
      {&st_.select_expired,
       "SELECT id FROM jobs INDEXED BY jobs_lease "
       "WHERE state = 2 AND lease_expires_at <= ?1 ORDER BY lease_expires_at LIMIT ?2"},
      {&st_.sweep_jobs,
       "DELETE FROM jobs WHERE seq IN (SELECT seq FROM jobs INDEXED BY jobs_expiry "
       "WHERE expires_at <= ?1 ORDER BY expires_at LIMIT ?2) "
       "RETURNING queue, state, type, dedupe_key, id"},
      {&st_.keep_swept_dedupe_state,
       "UPDATE dedupe SET last_state = ?3 WHERE type = ?1 AND key = ?2 AND job_id = ?4"},
      {&st_.sweep_dedupe,
       "DELETE FROM dedupe WHERE (type, key) IN (SELECT type, key FROM dedupe "
       "INDEXED BY dedupe_expiry WHERE expires_at <= ?1 LIMIT ?2)"},
      {&st_.next_run,
       "SELECT run_at FROM jobs INDEXED BY jobs_due WHERE state IN (0, 3) "
       "ORDER BY run_at LIMIT 1"},
      {&st_.next_lease,
       "SELECT lease_expires_at FROM jobs INDEXED BY jobs_lease WHERE state = 2 "
       "ORDER BY lease_expires_at LIMIT 1"},
      {&st_.next_expiry,
       "SELECT expires_at FROM jobs INDEXED BY jobs_expiry WHERE expires_at IS NOT NULL "
       "ORDER BY expires_at LIMIT 1"},
      // Only finished jobs: a pending callback of a job retried by an operator waits until the
      // job finishes again (which re-arms it with the new final view).
      {&st_.select_callbacks_due,
       "SELECT seq, " SPOOL_JOB_COLUMNS " FROM jobs INDEXED BY jobs_callback_due "
       "WHERE callback_due IS NOT NULL AND callback_due <= ?1 AND state IN (4, 5) "
       "ORDER BY callback_due LIMIT ?2"},
      {&st_.mark_callback_taken,
       "UPDATE jobs SET callback = json_set(callback, '$.attempts', "
       "json_extract(callback, '$.attempts') + 1, '$.at', ?2, '$.taken', 1), callback_due = ?2 "
       "WHERE seq = ?1"},
      {&st_.mark_callback_settled,
       "UPDATE jobs SET callback = json_set(callback, '$.state', ?3, '$.at', ?4, '$.error', ?5, "
       "'$.taken', 0), callback_due = CASE WHEN ?3 = 'pending' THEN ?4 END "
       "WHERE id = ?1 AND callback_due IS NOT NULL AND json_extract(callback, '$.attempts') = ?2 "
       "AND json_extract(callback, '$.taken') = 1"},
  };
  for (const Entry& e : entries) {
    auto stmt = Statement::prepare(db_.get(), e.sql, path_);
    if (!stmt) return tl::unexpected(stmt.error());
    *e.stmt = std::move(*stmt);
  }
  return {};
}

StatusOr<void> SqliteStore::load_caches() {
  {
    auto stmt = Statement::prepare(
        db_.get(),
        "SELECT name, paused, max_attempts, backoff_type, backoff_base_ms, backoff_max_ms, "
        "backoff_jitter, lease_ms, concurrency, rate_limit, rate_per_ms, retain_completed_ms, "
        "retain_dead_ms, retain_cancelled_ms, push, timeout_ms FROM queues",
        path_);
    if (!stmt) return tl::unexpected(stmt.error());
    Use q(*stmt);
    int rc;
    while ((rc = q.step()) == SQLITE_ROW) {
      QueueState& s = queues_.load(q.text(0));
      s.has_row = true;
      s.paused = q.int64(1) != 0;
      QueueConfig& c = s.config;
      if (auto v = q.opt_int64(2)) c.max_attempts = static_cast<int>(*v);
      if (!q.is_null(3)) {
        c.backoff =
            Backoff{static_cast<BackoffType>(q.int32(3)), q.int64(4), q.int64(5), q.int64(6) != 0};
      }
      c.lease_ms = q.opt_int64(7);
      if (auto v = q.opt_int64(8)) c.concurrency = static_cast<int>(*v);
      if (!q.is_null(9)) c.rate_limit = RateLimit{q.int64(9), q.int64(10)};
      c.retain_completed_ms = q.opt_int64(11);
      c.retain_dead_ms = q.opt_int64(12);
      c.retain_cancelled_ms = q.opt_int64(13);
      c.push_json = q.opt_text(14);
      c.timeout_ms = q.opt_int64(15);
    }
    if (rc != SQLITE_DONE) return failure(rc, "loading queues from");
  }
  {
    // One pass over the jobs_by_queue index (queue, state): the only full count ever made.
    auto stmt = Statement::prepare(
        db_.get(), "SELECT queue, state, count(*) FROM jobs GROUP BY queue, state", path_);
    if (!stmt) return tl::unexpected(stmt.error());
    Use q(*stmt);
    int rc;
    while ((rc = q.step()) == SQLITE_ROW) {
      auto queue = name_of(q.int64(0));
      if (!queue) return tl::unexpected(queue.error());
      queues_.load(*queue).counts[static_cast<JobState>(q.int32(1))] = q.int64(2);
    }
    if (rc != SQLITE_DONE) return failure(rc, "counting jobs in");
  }
  reads_.names().trim();
  published_->publish(queues_.publish_all());
  return {};
}

StatusOr<std::unique_ptr<StoreReader>> SqliteStore::open_reader() {
  SPOOL_DCHECK(!in_txn_);
  auto reader = SqliteReader::open(path_, published_, reader_options_);
  if (!reader) return tl::unexpected(reader.error());
  return std::unique_ptr<StoreReader>(std::move(*reader));
}

SqliteStore::MemorySizes SqliteStore::memory_sizes() const {
  return MemorySizes{queues_.all().size(), published_->size(), reads_.names().size()};
}

tl::unexpected<Status> SqliteStore::failure(int rc, std::string_view doing) const {
  return tl::unexpected(sqlite_status(db_.get(), rc, doing, path_));
}

StatusOr<void> SqliteStore::run(Use& use, std::string_view doing) {
  int rc = use.step();
  while (rc == SQLITE_ROW) rc = use.step();
  if (rc != SQLITE_DONE) return failure(rc, doing);
  return {};
}

// ---- Transactions ---------------------------------------------------------------------------

StatusOr<void> SqliteStore::begin() {
  SPOOL_DCHECK(!in_txn_);
  // IMMEDIATE takes the write lock now, so a batch never fails half-way for want of it.
  Use q(st_.begin);
  if (auto ok = run(q, "starting a transaction on"); !ok) return ok;
  in_txn_ = true;
  return {};
}

StatusOr<void> SqliteStore::commit() {
  Use q(st_.commit);
  if (auto ok = run(q, "committing to"); !ok) {
    // A failed COMMIT may leave the transaction open (SQLITE_BUSY) or already rolled back
    // (SQLITE_FULL, I/O errors). Roll back here either way so the caches match the file; the
    // engine's own rollback() then finds nothing to undo.
    rollback();
    return ok;
  }
  in_txn_ = false;
  // Before the engine answers anyone of this batch: readers then see what the answers say.
  published_->publish(queues_.commit());
  names_added_in_txn_ = false;
  reads_.names().trim();
  return {};
}

void SqliteStore::rollback() {
  // After SQLITE_FULL or an I/O error SQLite may have rolled back already; ROLLBACK without a
  // transaction is an error, so ask first.
  if (!sqlite3_get_autocommit(db_.get())) {
    Use q(st_.rollback);
    (void)q.step();
  }
  in_txn_ = false;
  queues_.rollback();
  // The rows interned in the transaction are gone, and their ids may be given to other names.
  if (names_added_in_txn_) reads_.names().clear();
  names_added_in_txn_ = false;
  reads_.names().trim();
}

// ---- Names ----------------------------------------------------------------------------------

StatusOr<std::int64_t> SqliteStore::intern(const std::string& name) {
  // The cache may have forgotten a name the table holds (name_cache.hpp): look it up first.
  auto known = name_id(name);
  if (!known) return tl::unexpected(known.error());
  if (*known) return **known;
  Use q(st_.insert_name);
  q.bind(1, name);
  if (auto ok = run(q, "writing"); !ok) return tl::unexpected(ok.error());
  std::int64_t id = sqlite3_last_insert_rowid(db_.get());
  reads_.names().remember(name, id);
  names_added_in_txn_ = true;
  return id;
}

// ---- Queues ---------------------------------------------------------------------------------

StatusOr<void> SqliteStore::write_queue(const std::string& name, const QueueState& state) {
  const QueueConfig& c = state.config;
  Use q(st_.upsert_queue);
  q.bind(1, name).bind(2, state.paused ? 1 : 0).bind(3, c.max_attempts);
  if (c.backoff) {
    q.bind(4, static_cast<int>(c.backoff->type))
        .bind(5, c.backoff->base_ms)
        .bind(6, c.backoff->max_ms)
        .bind(7, c.backoff->jitter ? 1 : 0);
  }
  q.bind(8, c.lease_ms).bind(9, c.concurrency);
  if (c.rate_limit) q.bind(10, c.rate_limit->limit).bind(11, c.rate_limit->per_ms);
  q.bind(12, c.retain_completed_ms)
      .bind(13, c.retain_dead_ms)
      .bind(14, c.retain_cancelled_ms)
      .bind(15, c.push_json)
      .bind(16, c.timeout_ms);
  return run(q, "writing");
}

QueueInfo SqliteStore::queue_info(const std::string& name, const QueueState& state) const {
  return QueueInfo{name, state.paused, state.config, state.counts};
}

StatusOr<QueueInfo> SqliteStore::set_paused(const std::string& queue, bool paused) {
  QueueState& s = queues_.edit(queue);
  s.has_row = true;
  s.paused = paused;
  if (auto ok = write_queue(queue, s); !ok) return tl::unexpected(ok.error());
  return queue_info(queue, s);
}

StatusOr<QueueInfo> SqliteStore::patch_queue(const std::string& queue, const QueueConfig& patch) {
  QueueState& s = queues_.edit(queue);
  s.has_row = true;
  s.config.merge(patch);
  if (auto ok = write_queue(queue, s); !ok) return tl::unexpected(ok.error());
  return queue_info(queue, s);
}

std::int64_t SqliteStore::retain_ms(const std::string& queue, JobState state) const {
  const QueueState* s = queues_.find(queue);
  return s == nullptr ? QueueConfig{}.retain_ms_for(state) : s->config.retain_ms_for(state);
}

QueueConfig SqliteStore::queue_config(const std::string& name) {
  const QueueState* s = queues_.find(name);
  return s == nullptr ? QueueConfig{} : s->config;
}

StatusOr<std::int64_t> SqliteStore::pragma_value(std::string_view name) {
  auto stmt = Statement::prepare(db_.get(), "PRAGMA " + std::string(name), path_);
  if (!stmt) return tl::unexpected(stmt.error());
  Use q(*stmt);
  int rc = q.step();
  if (rc != SQLITE_ROW) return failure(rc, "reading a pragma of");
  return q.int64(0);
}

void SqliteStore::maintenance() {
  // The checkpointer thread copies the bulk of the WAL; once the WAL is long, a PASSIVE
  // checkpoint here copies the few frames it has not reached yet (two fsyncs, well under a
  // millisecond), so the next write restarts the WAL from its beginning instead of growing it.
  if (checkpointer_ && wal_frames_ < kWalRestartFrames) return;
  int log_frames = 0;
  int copied_frames = 0;
  int rc = sqlite3_wal_checkpoint_v2(db_.get(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &log_frames,
                                     &copied_frames);
  // Busy (the checkpointer thread was mid-pass) or frames left over: try again at the next
  // upkeep. Forgetting the count here let the WAL grow by another threshold before the next try.
  if (rc == SQLITE_OK && copied_frames >= log_frames) wal_frames_ = 0;
}

}  // namespace spool::store::sqlite
