// The SQLite store's reads of jobs and queues (SqliteReader): one job, pages of jobs, queues and
// stats. Counts come from the published view (published_queues.hpp); jobs from the file. See
// sqlite_reader.hpp for ownership and threading.
#include <sqlite3.h>

#include <algorithm>

#include "store/sqlite/job_row.hpp"
#include "store/sqlite/list_scan.hpp"
#include "store/sqlite/sqlite_error.hpp"
#include "store/sqlite/sqlite_reader.hpp"

namespace spool::store::sqlite {

StatusOr<std::unique_ptr<SqliteReader>> SqliteReader::open(
    const std::string& path, std::shared_ptr<const PublishedQueues> queues,
    const ReaderOptions& options) {
  sqlite3* raw = nullptr;
  // NOMUTEX: one thread at a time uses a reader (store.hpp), so SQLite's own locking is waste.
  // READONLY: a reader can never write, whatever a bug asks of it. The file is in WAL mode (the
  // writer set it), so this connection reads the WAL and never blocks the writer.
  int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
  Connection db(raw);
  if (rc != SQLITE_OK) return tl::unexpected(sqlite_status(db.get(), rc, "opening", path));
  sqlite3_extended_result_codes(db.get(), 1);
  sqlite3_busy_timeout(db.get(), kBusyTimeoutMs);
  return std::unique_ptr<SqliteReader>(
      new SqliteReader(std::move(db), path, std::move(queues), options));
}

SqliteReader::SqliteReader(sqlite3* db, std::string path,
                           std::shared_ptr<const PublishedQueues> queues,
                           const ReaderOptions& options)
    : db_(db),
      path_(std::move(path)),
      queues_(std::move(queues)),
      bounds_(options.bounds),
      names_(db_, path_, options.name_cache_capacity) {}

SqliteReader::SqliteReader(Connection owned, std::string path,
                           std::shared_ptr<const PublishedQueues> queues,
                           const ReaderOptions& options)
    : SqliteReader(owned.get(), std::move(path), std::move(queues), options) {
  owned_ = std::move(owned);
}

tl::unexpected<Status> SqliteReader::failure(int rc, std::string_view doing) const {
  return tl::unexpected(sqlite_status(db_, rc, doing, path_));
}

StatusOr<const Statement*> SqliteReader::lazy(Statement& slot, std::string_view sql) {
  return prepare_once(slot, db_, sql, path_);
}

StatusOr<Job> SqliteReader::decode_job(const Use& row, int first) {
  Job job;
  JobRowNames ids = read_job_row(row, first, job);
  auto type = names_.name_of(ids.type);
  if (!type) return tl::unexpected(type.error());
  auto queue = names_.name_of(ids.queue);
  if (!queue) return tl::unexpected(queue.error());
  job.type = std::move(*type);
  job.queue = std::move(*queue);
  return job;
}

StatusOr<Job> SqliteReader::get_job(const std::string& id) {
  names_.trim();
  auto st = lazy(st_.get_job, "SELECT " SPOOL_JOB_COLUMNS " FROM jobs WHERE id = ?1");
  if (!st) return tl::unexpected(st.error());
  Use q(**st);
  q.bind(1, id);
  int rc = q.step();
  if (rc == SQLITE_DONE) return error(StatusCode::kNotFound, "no job with id " + id);
  if (rc != SQLITE_ROW) return failure(rc, "reading");
  return decode_job(q, 0);
}

StatusOr<std::optional<SqliteReader::Cursor>> SqliteReader::cursor_of(const JobFilter& filter) {
  Cursor cursor;
  if (!filter.after_id) return cursor;
  auto of_id = lazy(st_.seq_of_id, "SELECT seq FROM jobs WHERE id = ?1");
  if (!of_id) return tl::unexpected(of_id.error());
  {
    Use q(**of_id);
    q.bind(1, *filter.after_id);
    int rc = q.step();
    if (rc == SQLITE_ROW) {
      cursor.seq = q.int64(0);
      return cursor;
    }
    if (rc != SQLITE_DONE) return failure(rc, "reading");
  }
  // The cursor's job has been deleted since the last page: continue from its nearest neighbour
  // by id, which is where it would have been.
  auto neighbour =
      filter.ascending
          ? lazy(st_.seq_after_id, "SELECT seq FROM jobs WHERE id > ?1 ORDER BY id LIMIT 1")
          : lazy(st_.seq_before_id, "SELECT seq FROM jobs WHERE id < ?1 ORDER BY id DESC LIMIT 1");
  if (!neighbour) return tl::unexpected(neighbour.error());
  Use q(**neighbour);
  q.bind(1, *filter.after_id);
  int rc = q.step();
  if (rc == SQLITE_DONE) return std::optional<Cursor>();  // nothing beyond the cursor
  if (rc != SQLITE_ROW) return failure(rc, "reading");
  cursor.seq = q.int64(0);
  cursor.inclusive = true;
  return cursor;
}

// Pages are in creation order, which is seq (the rowid) order: every index ends in seq, so a
// page walks one index in order (list_scan.hpp), examining at most bounds_.list_scan_rows rows.
// ULIDs from the engine's generator increase with seq; they could disagree only if the wall
// clock stepped back across a restart, and then seq is the truer "order of creation". The
// cursor is a job's id, mapped back to its seq.
StatusOr<JobPage> SqliteReader::list_jobs(const JobFilter& filter) {
  names_.trim();
  JobPage page;
  std::optional<std::int64_t> type_id;
  std::optional<std::int64_t> queue_id;
  if (filter.type) {
    auto id = names_.id_of(*filter.type);
    if (!id) return tl::unexpected(id.error());
    if (!*id) return page;  // never seen: no job can have it
    type_id = *id;
  }
  if (filter.queue) {
    auto id = names_.id_of(*filter.queue);
    if (!id) return tl::unexpected(id.error());
    if (!*id) return page;
    queue_id = *id;
  }
  auto cursor = cursor_of(filter);
  if (!cursor) return tl::unexpected(cursor.error());
  if (!*cursor) return page;

  ListScanShape shape;
  shape.state = filter.state.has_value();
  shape.type = type_id.has_value();
  shape.queue = queue_id.has_value();
  shape.dedupe_key = filter.dedupe_key.has_value();
  shape.tags = static_cast<int>(filter.tags.size());
  shape.cursor = (*cursor)->seq.has_value();
  shape.cursor_inclusive = (*cursor)->inclusive;
  shape.ascending = filter.ascending;
  std::string sql = list_scan_sql(shape);
  auto it = list_statements_.find(sql);
  if (it == list_statements_.end()) {
    auto stmt = Statement::prepare(db_, sql, path_);
    if (!stmt) return tl::unexpected(stmt.error());
    it = list_statements_.emplace(sql, std::move(*stmt)).first;
  }
  auto by_seq = lazy(st_.job_by_seq, "SELECT " SPOOL_JOB_COLUMNS " FROM jobs WHERE seq = ?1");
  if (!by_seq) return tl::unexpected(by_seq.error());

  int limit = std::clamp(filter.limit, 1, 500);
  // Never less than a page and the one more that tells whether another follows: a filter an
  // index serves matches every row it walks, so its pages are always full.
  std::int64_t budget = std::max<std::int64_t>(bounds_.list_scan_rows, limit + 1);
  Use q(it->second);
  if (filter.state) q.bind(1, static_cast<int>(*filter.state));
  if (type_id) q.bind(2, *type_id);
  if (queue_id) q.bind(3, *queue_id);
  if (filter.dedupe_key) q.bind(4, *filter.dedupe_key);
  for (std::size_t i = 0; i < filter.tags.size(); ++i) {
    q.bind(i == 0 ? 5 : static_cast<int>(7 + i), filter.tags[i]);
  }
  if ((*cursor)->seq) q.bind(6, *(*cursor)->seq);
  q.bind(7, budget);
  std::int64_t examined = 0;
  std::string last_examined;
  int rc;
  while ((rc = q.step()) == SQLITE_ROW) {
    ++examined;
    if (q.int64(2) == 0) {
      if (examined == budget) last_examined = q.text(1);
      continue;
    }
    if (static_cast<int>(page.jobs.size()) == limit) {
      page.next_cursor = page.jobs.back().id;  // one more match: another page follows
      return page;
    }
    // Read while the walk is open, so the row is the one the walk matched (one snapshot).
    Use row(**by_seq);
    row.bind(1, q.int64(0));
    int row_rc = row.step();
    if (row_rc != SQLITE_ROW) return failure(row_rc, "reading");
    auto job = decode_job(row, 0);
    if (!job) return tl::unexpected(job.error());
    page.jobs.push_back(std::move(*job));
    if (examined == budget) last_examined = page.jobs.back().id;
  }
  if (rc != SQLITE_DONE) return failure(rc, "reading");
  // The budget ran out: the client continues after the last job examined.
  if (examined == budget) page.next_cursor = std::move(last_examined);
  return page;
}

StatusOr<QueueInfo> SqliteReader::get_queue(const std::string& name) {
  auto queue = queues_->find(name);
  if (!queue) return error(StatusCode::kNotFound, "no queue named " + name);
  return *queue;
}

StatusOr<std::vector<QueueInfo>> SqliteReader::list_queues() {
  std::vector<QueueInfo> out;
  for (const auto& queue : queues_->all()) {
    if (listed(*queue)) out.push_back(*queue);
  }
  std::sort(out.begin(), out.end(),
            [](const QueueInfo& a, const QueueInfo& b) { return a.name < b.name; });
  return out;
}

StatusOr<Stats> SqliteReader::stats() {
  Stats out;
  for (const auto& queue : queues_->all()) {
    out.queues.push_back(*queue);
    out.totals.add(queue->counts);
  }
  std::sort(out.queues.begin(), out.queues.end(),
            [](const QueueInfo& a, const QueueInfo& b) { return a.name < b.name; });
  return out;
}

}  // namespace spool::store::sqlite
