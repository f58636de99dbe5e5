// SqliteStore: the class behind open_sqlite_store(). Private to store/sqlite/; the rest of the
// program sees only the Store interface (store.hpp) and the factory (sqlite_store.hpp).
//
// Ownership: owns one sqlite3 connection and every prepared statement on it (declared after the
// connection, so they are finalized before it closes). Threading: the engine thread only (the
// connection is opened SQLITE_OPEN_NOMUTEX).
//
// The methods are split by concern across sqlite_store.cpp (open, transactions, names),
// job_writes.cpp (enqueue, reserve, settle, admin writes), upkeep.cpp (tick, retention, due
// times), reads.cpp (jobs, queues, stats), minute_stats.cpp (aggregates, health) and
// schedules.cpp (recurring schedules).
//
// Invariants:
//  1. queues_ (counts, pause, config, rate windows) equals the committed file plus the open
//     transaction's writes; see queue_states.hpp.
//  2. name_ids_ / names_ hold exactly the rows of `names` visible to this connection: names
//     interned in a transaction that rolls back are forgotten with it.
//  3. Every write method is called between begin() and commit()/rollback() (store.hpp).
#pragma once

#include <sqlite3.h>

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "store/sqlite/checkpointer.hpp"
#include "store/sqlite/queue_states.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store/sqlite/statement.hpp"

namespace spool::store::sqlite {

// Closes the connection. A unique_ptr deleter so the handle is released on every path.
struct ConnectionCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using Connection = std::unique_ptr<sqlite3, ConnectionCloser>;

class SqliteStore final : public Store {
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
                                                 const std::optional<std::string>& type,
                                                 TimeMs now) override;
  StatusOr<std::int64_t> purge(const std::string& queue, JobState state) override;
  StatusOr<QueueInfo> set_paused(const std::string& queue, bool paused) override;
  StatusOr<QueueInfo> patch_queue(const std::string& queue, const QueueConfig& patch) override;
  StatusOr<TickResult> tick(TimeMs now, int limit, double jitter) override;
  StatusOr<std::int64_t> sweep_retention(TimeMs now, int limit) override;

  StatusOr<std::optional<TimeMs>> next_due() override;
  StatusOr<std::optional<TimeMs>> next_expiry() override;
  StatusOr<Job> get_job(const std::string& id) override;
  StatusOr<JobPage> list_jobs(const JobFilter& filter) override;
  StatusOr<QueueInfo> get_queue(const std::string& name) override;
  StatusOr<std::vector<QueueInfo>> list_queues() override;
  StatusOr<Stats> stats() override;
  QueueConfig queue_config(const std::string& name) override;
  void maintenance() override;
  StatusOr<void> add_minute_stats(std::span<const MinuteStats> rows) override;
  StatusOr<std::int64_t> prune_minute_stats(TimeMs before, int limit) override;
  StatusOr<std::vector<MinuteStats>> minute_stats(TimeMs from,
                                                  const std::optional<std::string>& queue) override;
  StatusOr<std::vector<QueueBacklog>> backlog(TimeMs overdue_before) override;
  StatusOr<void> ping() override;
  StatusOr<Schedule> put_schedule(const Schedule& schedule) override;
  StatusOr<void> delete_schedule(const std::string& id) override;
  StatusOr<FireResult> fire_schedule(const ScheduleFire& fire) override;
  StatusOr<Schedule> get_schedule(const std::string& id) override;
  StatusOr<Schedule> schedule_by_name(const std::string& name) override;
  StatusOr<std::vector<Schedule>> list_schedules() override;
  StatusOr<std::vector<Schedule>> due_schedules(TimeMs now, int limit) override;
  StatusOr<std::optional<TimeMs>> next_schedule_due() override;
  StatusOr<std::vector<Job>> take_callbacks(TimeMs now, int limit, std::int64_t hold_ms) override;
  StatusOr<bool> settle_callback(const CallbackSettle& settle) override;

  // Diagnostics and tests: the integer answer of `PRAGMA <name>` (synchronous, page_count, ...).
  StatusOr<std::int64_t> pragma_value(std::string_view name);

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
    Statement get_job, seq_of_id, seq_before_id, seq_after_id;
    Statement arm_callback, select_callbacks_due, mark_callback_taken, mark_callback_settled;
  };

  // A job's row as the settle operations need it.
  struct SettleRow {
    std::int64_t seq = 0;
    JobState state = JobState::kQueued;
    std::string lease_token;
    std::int64_t queue = 0;
    int attempts = 0;
    int max_attempts = 0;
    Backoff backoff;
    TimeMs started_at = 0;
    TimeMs lease_expires_at = 0;
    std::string worker;
    std::string errors;
    std::int64_t lease_ms = 0;  // the job's own lease length
    std::int64_t type = 0;      // name id
    bool has_callback = false;  // callback_url is set
  };

  SqliteStore(Connection db, std::string path);
  StatusOr<void> prepare_all();
  StatusOr<void> load_caches();

  // A kUnavailable/kInternal status for a failed SQLite call.
  tl::unexpected<Status> failure(int rc, std::string_view doing) const;
  // Runs a statement that returns no rows (or whose rows are ignored).
  StatusOr<void> run(Use& use, std::string_view doing);

  // The id of `name` in `names`, inserting it if new (inside a transaction).
  StatusOr<std::int64_t> intern(const std::string& name);
  // The id of `name` if known.
  std::optional<std::int64_t> name_id(const std::string& name) const;
  const std::string& name_of(std::int64_t id) const;

  // Reads the row for a settle; kNotFound for an unknown id.
  StatusOr<SettleRow> find_settle(const std::string& id, bool with_errors);
  // kLeaseLost unless the row is active under `token`.
  // kLeaseLost unless the job is active under `token` and its lease has not expired at `now`.
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
  StatusOr<Job> decode_job(const Use& row, int first);
  // A statement of minute_stats.cpp, prepared on first use (most runs never read them).
  StatusOr<const Statement*> lazy(Statement& slot, std::string_view sql);

  Connection db_;
  std::string path_;
  // Declared after db_ so it stops before the writer connection closes.
  std::unique_ptr<Checkpointer> checkpointer_;
  // Frames in the WAL after the last commit (SQLite's WAL hook); steers maintenance().
  int wal_frames_ = 0;
  static constexpr int kWalRestartFrames = 4096;  // 16 MiB of 4 KiB pages
  Statements st_;
  // list_jobs statements, by SQL text: one per combination of filters actually used.
  std::unordered_map<std::string, Statement> list_statements_;
  // minute_stats.cpp's statements (see lazy()).
  struct MinuteStatements {
    Statement add, prune, read, next_priority, oldest, newest, due, not_due, walk, ping;
  } minute_st_;
  // schedules.cpp's statements (see lazy()).
  struct ScheduleStatements {
    Statement put, remove, by_id, by_name, list, due, next_due, fire_state, job_state, record;
  } schedule_st_;
  // Reads the schedule rows a statement selects (schedules.cpp's column list).
  StatusOr<std::vector<Schedule>> read_schedules(Use& q);

  QueueStates queues_;
  std::unordered_map<std::string, std::int64_t> name_ids_;
  std::unordered_map<std::int64_t, std::string> names_;
  std::vector<std::string> names_added_in_txn_;
  bool in_txn_ = false;
};

}  // namespace spool::store::sqlite
