// SqliteReader: the reads of the SQLite store (store.hpp StoreReader) over one connection, with
// that connection's read statements and name cache. Two kinds:
//  - a reader's own read-only connection (SqliteStore::open_reader(): SQLITE_OPEN_READONLY on
//    the same file, so it reads the writer's WAL; each statement reads one committed snapshot
//    and never blocks the writer);
//  - the writer's connection: SqliteStore keeps one over its own handle, so the writer thread's
//    reads (schedules inside a batch, tests) run the very same code.
//
// Ownership: owns its statements and name cache, and its connection when it opened one (the
// writer's handle is borrowed and must outlive it). Shares the published queue view
// (published_queues.hpp) with the store. Threading: one thread at a time; no locks of its own
// (the view locks itself).
//
// Queue counts, pauses and configs come from the published view, never from COUNT(*); jobs,
// schedules and minute rows from the file.
#pragma once

#include <sqlite3.h>

#include <memory>
#include <string>
#include <unordered_map>

#include "store/sqlite/name_cache.hpp"
#include "store/sqlite/published_queues.hpp"
#include "store/sqlite/statement.hpp"
#include "store/store.hpp"

namespace spool::store::sqlite {

// Closes the connection. A unique_ptr deleter so the handle is released on every path.
struct ConnectionCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using Connection = std::unique_ptr<sqlite3, ConnectionCloser>;

// How long a statement waits for a lock held by another connection (a backup, an operator's
// sqlite3 shell, a checkpoint restarting the WAL) before failing with SQLITE_BUSY.
inline constexpr int kBusyTimeoutMs = 5000;

struct ReaderOptions {
  ReadBounds bounds;
  std::size_t name_cache_capacity = NameCache::kDefaultCapacity;
};

class SqliteReader final : public StoreReader {
 public:
  // Opens a read-only connection on `path` (the writer's file, already migrated).
  static StatusOr<std::unique_ptr<SqliteReader>> open(const std::string& path,
                                                      std::shared_ptr<const PublishedQueues> queues,
                                                      const ReaderOptions& options);
  // Reads over a connection someone else owns (the writer's).
  SqliteReader(sqlite3* db, std::string path, std::shared_ptr<const PublishedQueues> queues,
               const ReaderOptions& options);

  StatusOr<Job> get_job(const std::string& id) override;
  StatusOr<JobPage> list_jobs(const JobFilter& filter) override;
  StatusOr<QueueInfo> get_queue(const std::string& name) override;
  StatusOr<std::vector<QueueInfo>> list_queues() override;
  StatusOr<Stats> stats() override;
  StatusOr<std::vector<MinuteStats>> minute_stats(TimeMs from,
                                                  const std::optional<std::string>& queue) override;
  StatusOr<std::vector<QueueBacklog>> backlog(TimeMs overdue_before) override;
  StatusOr<void> ping() override;
  StatusOr<Schedule> get_schedule(const std::string& id) override;
  StatusOr<std::vector<Schedule>> list_schedules() override;

  // Shared with the writer (SqliteStore) on its connection:
  NameCache& names() { return names_; }
  const NameCache& names() const { return names_; }
  // A job from columns [first, first + kJobColumnCount) of `row` (job_row.hpp), names resolved.
  StatusOr<Job> decode_job(const Use& row, int first);
  // The schedule rows a statement selects (schedules.cpp's column list).
  StatusOr<std::vector<Schedule>> read_schedules(Use& q);
  // A kUnavailable/kInternal status for a failed SQLite call.
  tl::unexpected<Status> failure(int rc, std::string_view doing) const;

 private:
  SqliteReader(Connection owned, std::string path, std::shared_ptr<const PublishedQueues> queues,
               const ReaderOptions& options);
  StatusOr<const Statement*> lazy(Statement& slot, std::string_view sql);
  // The seq a page continues from (filter.after_id), and whether it is included (the cursor's job
  // is gone and this is its nearest neighbour). nullopt seq: from the start; kNotFound: nothing
  // lies beyond the cursor.
  struct Cursor {
    std::optional<std::int64_t> seq;
    bool inclusive = false;
  };
  StatusOr<std::optional<Cursor>> cursor_of(const JobFilter& filter);

  // Declared first, so the statements below are finalized before it closes (empty: borrowed).
  Connection owned_;
  sqlite3* db_;
  std::string path_;
  std::shared_ptr<const PublishedQueues> queues_;
  ReadBounds bounds_;
  NameCache names_;
  struct Statements {
    Statement get_job, job_by_seq, seq_of_id, seq_before_id, seq_after_id;
    Statement minute_read, ping;
    Statement next_priority, oldest, newest, due, not_due, walk;
    Statement schedule_by_id, schedule_list;
  } st_;
  // list_jobs' scans, by SQL text: one per shape of filter actually used.
  std::unordered_map<std::string, Statement> list_statements_;
};

}  // namespace spool::store::sqlite
