// SqliteStore: the class behind open_sqlite_store(). Private to store/sqlite/; the rest of the
// program sees only the Store interface (store.hpp) and the factory (sqlite_store.hpp).
//
// Ownership: owns one sqlite3 connection and every prepared statement on it (declared after the
// connection, so they are finalized before it closes), and the published queue view it shares
// with its readers. Threading: the engine thread only (the connection is opened
// SQLITE_OPEN_NOMUTEX); readers (open_reader(), sqlite_reader.hpp) have connections of their own.
//
// The methods are split by concern across sqlite_store.cpp (open, transactions, names),
// job_writes.cpp (enqueue, reserve, settle, admin writes), upkeep.cpp (tick, retention, due
// times), minute_stats.cpp (aggregates) and schedules.cpp (recurring schedules). Its reads are
// those of SqliteReader (reads.cpp, backlog.cpp), run by reads_ over the writer's connection.
//
// Invariants:
//  1. queues_ (counts, pause, config, rate windows) equals the committed file plus the open
//     transaction's writes; see queue_states.hpp. published_ equals queues_ as of the last
//     commit, for the queues that have jobs or a row (published_queues.hpp).
//  2. The name cache (reads_.names()) holds only rows of `names` visible to this connection:
//     when a transaction that interned names rolls back, the cache is emptied.
//  3. Every write method is called between begin() and commit()/rollback() (store.hpp).
#pragma once

#include <sqlite3.h>

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "store/reads_via.hpp"
#include "store/sqlite/checkpointer.hpp"
#include "store/sqlite/file_lock.hpp"
#include "store/sqlite/published_queues.hpp"
#include "store/sqlite/queue_states.hpp"
#include "store/sqlite/sqlite_reader.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store/sqlite/statement.hpp"

namespace spool::store::sqlite {

class SqliteStore final : public ReadsVia<Store> {
 public:
  static StatusOr<std::unique_ptr<Store>> open(const SqliteOptions& options);

  StatusOr<void> begin() override;
  StatusOr<void> commit() override;
  void rollback() override;

  StatusOr<EnqueueResult> enqueue(const NewJob& nj) override;
  StatusOr<ReserveResult> reserve(const ReserveRequest& req) override;
  StatusOr<SettleResult> ack(const AckRequest& req) override;
  StatusOr<SettleResult> fail(const FailRequest& req) override;
  StatusOr<ExtendResult> extend(const ExtendRequest& req) override;
  StatusOr<SettleResult> cancel(const std::string& id, TimeMs now) override;
  StatusOr<SettleResult> retry(const std::string& id, TimeMs now) override;
  StatusOr<std::vector<SettleResult>> retry_dead(const std::string& queue,
                                                 const std::optional<std::string>& type, TimeMs now,
                                                 int limit) override;
  StatusOr<std::int64_t> purge(const std::string& queue, JobState state, int limit) override;
  StatusOr<QueueInfo> set_paused(const std::string& queue, bool paused) override;
  StatusOr<QueueInfo> patch_queue(const std::string& queue, const QueueConfig& patch) override;
  StatusOr<TickResult> tick(TimeMs now, int limit, double jitter) override;
  StatusOr<std::int64_t> sweep_retention(TimeMs now, int limit) override;

  StatusOr<std::unique_ptr<StoreReader>> open_reader() override;
  StatusOr<std::optional<TimeMs>> next_due() override;
  StatusOr<std::optional<TimeMs>> next_expiry() override;
  QueueConfig queue_config(const std::string& name) override;
  void maintenance() override;
  StatusOr<void> add_minute_stats(std::span<const MinuteStats> rows) override;
  StatusOr<std::int64_t> prune_minute_stats(TimeMs before, int limit) override;
  StatusOr<Schedule> put_schedule(const Schedule& schedule) override;
  StatusOr<void> delete_schedule(const std::string& id) override;
  StatusOr<FireResult> fire_schedule(const ScheduleFire& fire) override;
  StatusOr<Schedule> schedule_by_name(const std::string& name) override;
  StatusOr<std::vector<Schedule>> due_schedules(TimeMs now, int limit) override;
  StatusOr<std::optional<TimeMs>> next_schedule_due() override;
  StatusOr<std::vector<Job>> take_callbacks(TimeMs now, int limit, std::int64_t hold_ms) override;
  StatusOr<bool> settle_callback(const CallbackSettle& settle) override;

  // Diagnostics and tests: the integer answer of `PRAGMA <name>` (synchronous, page_count, ...).
  StatusOr<std::int64_t> pragma_value(std::string_view name);
  // Tests: how many entries the in-memory state holds (issue 13, D7: it must not grow forever).
  struct MemorySizes {
    std::size_t queue_states = 0;
    std::size_t published_queues = 0;
    std::size_t names = 0;
  };
  MemorySizes memory_sizes() const;

 protected:
  StoreReader& reads() override { return reads_; }

 private:
  // The statements prepared once at open and reused for every call.
  struct Statements {
    Statement begin, commit, rollback;
    Statement insert_name;
    Statement insert_job, find_dedupe, put_dedupe;
    Statement select_ready, mark_reserved;
    Statement find_settle, mark_completed, mark_failed, mark_extended, mark_cancelled, mark_retried;
    Statement retry_dead, keep_purged_dedupe_state, purge;
    Statement upsert_queue;
    Statement select_due, mark_promoted, select_expired;
    Statement sweep_jobs, keep_swept_dedupe_state, sweep_dedupe;
    Statement next_run, next_lease, next_expiry;
    Statement arm_callback, select_callbacks_due, mark_callback_taken, mark_callback_settled;
  };

  // A job's row as the settle operations need it.
  struct SettleRow {
    std::int64_t seq = 0;
    JobState state = JobState::kQueued;
    std::string lease_token;
    std::string queue;
    int attempts = 0;
    int max_attempts = 0;
    Backoff backoff;
    TimeMs started_at = 0;
    TimeMs lease_expires_at = 0;
    std::string worker;
    std::string errors;
    std::int64_t lease_ms = 0;  // the job's own lease length
    std::string type;
    bool has_callback = false;  // callback_url is set
    std::optional<std::int64_t> timeout_ms;

    // When the current attempt must end (timeout_ms), unset without one.
    std::optional<TimeMs> deadline() const {
      if (!timeout_ms) return std::nullopt;
      return started_at + *timeout_ms;
    }
  };

  SqliteStore(FileLock lock, Connection db, const SqliteOptions& options);
  StatusOr<void> prepare_all();
  StatusOr<void> load_caches();

  // A kUnavailable/kInternal status for a failed SQLite call.
  tl::unexpected<Status> failure(int rc, std::string_view doing) const;
  // Runs a statement that returns no rows (or whose rows are ignored).
  StatusOr<void> run(Use& use, std::string_view doing);

  // The id of `name` in `names`, inserting it if new (inside a transaction).
  StatusOr<std::int64_t> intern(const std::string& name);
  // The id of `name`, nullopt when `names` has none; the name of `id` (name_cache.hpp).
  StatusOr<std::optional<std::int64_t>> name_id(const std::string& name) {
    return reads_.names().id_of(name);
  }
  StatusOr<std::string> name_of(std::int64_t id) { return reads_.names().name_of(id); }

  // Reads the row for a settle; kNotFound for an unknown id.
  StatusOr<SettleRow> find_settle(const std::string& id, bool with_errors);
  // kLeaseLost unless the job is active under `token` and its lease has not expired at `now`;
  // kTimedOut instead when the attempt reached its timeout_ms (needs the row's errors).
  StatusOr<void> check_lease(const std::string& id, const SettleRow& row, const std::string& token,
                             TimeMs now);
  // The answer of a settle of `row`, now in `state`.
  SettleResult settled(const std::string& id, const SettleRow& row, JobState state,
                       int attempts) const;
  // Moves an active job on after a failed attempt (worker fail or expired lease).
  StatusOr<SettleResult> settle_failure(const std::string& id, const SettleRow& row,
                                        const ErrorRecord& record, FailKind kind,
                                        std::optional<std::int64_t> retry_after_ms, TimeMs now,
                                        double jitter);
  // Arms the callback of a job that just completed or died, when it has a callback_url.
  StatusOr<void> arm_callback(const SettleRow& row, TimeMs now);
  // How long a job of `queue` finishing in `state` is kept (the queue's config or the default).
  std::int64_t retain_ms(const std::string& queue, JobState state) const;
  StatusOr<void> write_queue(const std::string& name, const QueueState& state);
  QueueInfo queue_info(const std::string& name, const QueueState& state) const;
  StatusOr<Job> decode_job(const Use& row, int first) { return reads_.decode_job(row, first); }
  // A statement prepared on first use (most runs never need it).
  StatusOr<const Statement*> lazy(Statement& slot, std::string_view sql);

  FileLock lock_;  // first: held until everything else has closed (file_lock.hpp)
  Connection db_;
  std::string path_;
  ReaderOptions reader_options_;  // for every reader, the writer connection's included
  // Declared after db_ so it stops before the writer connection closes.
  std::unique_ptr<Checkpointer> checkpointer_;
  // Frames in the WAL after the last commit (SQLite's WAL hook); steers maintenance().
  int wal_frames_ = 0;
  static constexpr int kWalRestartFrames = 4096;  // 16 MiB of 4 KiB pages
  Statements st_;
  // minute_stats.cpp's statements (see lazy()).
  struct MinuteStatements {
    Statement add, prune;
  } minute_st_;
  // schedules.cpp's statements (see lazy()).
  struct ScheduleStatements {
    Statement put, remove, by_name, due, next_due, fire_state, job_state, record;
  } schedule_st_;

  QueueStates queues_;
  std::shared_ptr<PublishedQueues> published_;
  // The reads on this connection, with its name cache: the same code as every reader's. After
  // published_ (it keeps a pointer to it); its statements finalize before db_ closes, as db_ is
  // declared first.
  SqliteReader reads_;
  bool names_added_in_txn_ = false;
  bool in_txn_ = false;
};

}  // namespace spool::store::sqlite
