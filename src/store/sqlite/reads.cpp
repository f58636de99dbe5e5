// The SQLite store's reads: one job, pages of jobs, queues and stats. Counts come from memory
// (queue_states.hpp); jobs from the file. See sqlite_store_impl.hpp for threading.
#include <sqlite3.h>

#include <algorithm>

#include "store/sqlite/job_row.hpp"
#include "store/sqlite/sqlite_store_impl.hpp"

namespace spool::store::sqlite {

StatusOr<Job> SqliteStore::get_job(const std::string& id) {
  Use q(st_.get_job);
  q.bind(1, id);
  int rc = q.step();
  if (rc == SQLITE_DONE) return error(StatusCode::kNotFound, "no job with id " + id);
  if (rc != SQLITE_ROW) return failure(rc, "reading");
  return decode_job(q, 0);
}

// Pages are in creation order, which is seq (the rowid) order: every index ends in seq, so a
// filtered page is a range scan of one index. ULIDs from the engine's generator increase with
// seq; they could disagree only if the wall clock stepped back across a restart, and then seq is
// the truer "order of creation". The cursor is the last job's id, mapped back to its seq.
StatusOr<JobPage> SqliteStore::list_jobs(const JobFilter& filter) {
  JobPage page;
  std::optional<std::int64_t> type_id;
  std::optional<std::int64_t> queue_id;
  if (filter.type) {
    type_id = name_id(*filter.type);
    if (!type_id) return page;  // never seen: no job can have it
  }
  if (filter.queue) {
    queue_id = name_id(*filter.queue);
    if (!queue_id) return page;
  }

  // The cursor's seq. If that job has been deleted since the last page, continue from its
  // nearest neighbour by id, which is where it would have been.
  std::optional<std::int64_t> cursor_seq;
  bool cursor_inclusive = false;
  if (filter.after_id) {
    {
      Use q(st_.seq_of_id);
      q.bind(1, *filter.after_id);
      int rc = q.step();
      if (rc == SQLITE_ROW)
        cursor_seq = q.int64(0);
      else if (rc != SQLITE_DONE)
        return failure(rc, "reading");
    }
    if (!cursor_seq) {
      Use q(filter.ascending ? st_.seq_after_id : st_.seq_before_id);
      q.bind(1, *filter.after_id);
      int rc = q.step();
      if (rc == SQLITE_DONE) return page;  // nothing beyond the cursor
      if (rc != SQLITE_ROW) return failure(rc, "reading");
      cursor_seq = q.int64(0);
      cursor_inclusive = true;
    }
  }

  std::string sql = "SELECT " SPOOL_JOB_COLUMNS " FROM jobs WHERE 1";
  if (filter.state) sql += " AND state = ?1";
  if (type_id) sql += " AND type = ?2";
  if (queue_id) sql += " AND queue = ?3";
  if (filter.dedupe_key) sql += " AND dedupe_key = ?4";
  if (filter.tag) sql += " AND EXISTS (SELECT 1 FROM json_each(jobs.tags) WHERE value = ?5)";
  if (cursor_seq) {
    sql += filter.ascending ? " AND seq >" : " AND seq <";
    if (cursor_inclusive) sql += "=";
    sql += " ?6";
  }
  sql += filter.ascending ? " ORDER BY seq ASC" : " ORDER BY seq DESC";
  sql += " LIMIT ?7";

  auto it = list_statements_.find(sql);
  if (it == list_statements_.end()) {
    auto stmt = Statement::prepare(db_.get(), sql, path_);
    if (!stmt) return tl::unexpected(stmt.error());
    it = list_statements_.emplace(sql, std::move(*stmt)).first;
  }
  int limit = std::clamp(filter.limit, 1, 500);
  Use q(it->second);
  if (filter.state) q.bind(1, static_cast<int>(*filter.state));
  if (type_id) q.bind(2, *type_id);
  if (queue_id) q.bind(3, *queue_id);
  if (filter.dedupe_key) q.bind(4, *filter.dedupe_key);
  if (filter.tag) q.bind(5, *filter.tag);
  if (cursor_seq) q.bind(6, *cursor_seq);
  // One more than asked, to know whether another page follows.
  q.bind(7, limit + 1);
  int rc;
  while ((rc = q.step()) == SQLITE_ROW) {
    if (static_cast<int>(page.jobs.size()) == limit) {
      page.next_cursor = page.jobs.back().id;
      break;
    }
    auto job = decode_job(q, 0);
    if (!job) return tl::unexpected(job.error());
    page.jobs.push_back(std::move(*job));
  }
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return failure(rc, "reading");
  return page;
}

StatusOr<QueueInfo> SqliteStore::get_queue(const std::string& name) {
  const QueueState* s = queues_.find(name);
  if (s == nullptr || (!s->has_row && !s->has_jobs())) {
    return error(StatusCode::kNotFound, "no queue named " + name);
  }
  return queue_info(name, *s);
}

StatusOr<std::vector<QueueInfo>> SqliteStore::list_queues() {
  std::vector<QueueInfo> out;
  for (const auto& [name, s] : queues_.all()) {
    if (s.listed()) out.push_back(queue_info(name, s));
  }
  std::sort(out.begin(), out.end(),
            [](const QueueInfo& a, const QueueInfo& b) { return a.name < b.name; });
  return out;
}

StatusOr<Stats> SqliteStore::stats() {
  Stats out;
  for (const auto& [name, s] : queues_.all()) {
    if (!s.has_row && !s.has_jobs()) continue;
    out.queues.push_back(queue_info(name, s));
    out.totals.add(s.counts);
  }
  std::sort(out.queues.begin(), out.queues.end(),
            [](const QueueInfo& a, const QueueInfo& b) { return a.name < b.name; });
  return out;
}

}  // namespace spool::store::sqlite
