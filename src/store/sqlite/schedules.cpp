// The SQLite store's recurring schedules (migration 3's `schedules` table): put, delete, reads
// (SqliteReader's get_schedule and list_schedules, and the writer's own), and the atomic fire of
// one tick. See sqlite_store_impl.hpp for ownership, threading and invariants.
#include <sqlite3.h>

#include <string>

#include "store/sqlite/job_row.hpp"
#include "store/sqlite/sqlite_store_impl.hpp"

namespace spool::store::sqlite {
namespace {

// Read by read_schedules() in this order.
#define SPOOL_SCHEDULE_COLUMNS                                                                  \
  "id, name, cron, every_ms, timezone, misfire, overlap, paused, created_at, updated_at, "      \
  "anchor_at, next_run_at, last_run_at, last_job_id, job_type, job_queue, job_payload, "        \
  "job_priority, job_max_attempts, job_backoff_type, job_backoff_base_ms, job_backoff_max_ms, " \
  "job_backoff_jitter, job_lease_ms, job_tags"

constexpr std::string_view kPut =
    "INSERT OR REPLACE INTO schedules (" SPOOL_SCHEDULE_COLUMNS
    ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, "
    "?19, ?20, ?21, ?22, ?23, ?24, ?25)";
constexpr std::string_view kById = "SELECT " SPOOL_SCHEDULE_COLUMNS " FROM schedules WHERE id = ?1";
constexpr std::string_view kByName =
    "SELECT " SPOOL_SCHEDULE_COLUMNS " FROM schedules WHERE name = ?1";
constexpr std::string_view kList = "SELECT " SPOOL_SCHEDULE_COLUMNS " FROM schedules ORDER BY name";
constexpr std::string_view kDue =
    "SELECT " SPOOL_SCHEDULE_COLUMNS
    " FROM schedules WHERE paused = 0 AND next_run_at IS NOT NULL AND next_run_at <= ?1"
    " ORDER BY next_run_at LIMIT ?2";
constexpr std::string_view kNextDue =
    "SELECT min(next_run_at) FROM schedules WHERE paused = 0 AND next_run_at IS NOT NULL";
constexpr std::string_view kRemove = "DELETE FROM schedules WHERE id = ?1";
constexpr std::string_view kFireState =
    "SELECT next_run_at, last_job_id FROM schedules WHERE id = ?1";
constexpr std::string_view kJobState = "SELECT state FROM jobs WHERE id = ?1";
constexpr std::string_view kRecord =
    "UPDATE schedules SET next_run_at = CASE WHEN ?2 THEN ?3 ELSE next_run_at END,"
    " last_run_at = coalesce(?4, last_run_at), last_job_id = coalesce(?5, last_job_id)"
    " WHERE id = ?1";

}  // namespace

StatusOr<std::vector<Schedule>> SqliteReader::read_schedules(Use& q) {
  std::vector<Schedule> out;
  for (;;) {
    int rc = q.step();
    if (rc == SQLITE_DONE) return out;
    if (rc != SQLITE_ROW) return failure(rc, "reading schedules from");
    Schedule& s = out.emplace_back();
    s.id = q.text(0);
    s.name = q.text(1);
    s.cron = q.opt_text(2);
    s.every_ms = q.opt_int64(3);
    s.timezone = q.text(4);
    s.misfire = static_cast<MisfirePolicy>(q.int32(5));
    s.overlap = static_cast<OverlapPolicy>(q.int32(6));
    s.paused = q.int64(7) != 0;
    s.created_at = q.int64(8);
    s.updated_at = q.int64(9);
    s.anchor_at = q.int64(10);
    s.next_run_at = q.opt_int64(11);
    s.last_run_at = q.opt_int64(12);
    s.last_job_id = q.opt_text(13);
    JobTemplate& job = s.job;
    job.type = q.text(14);
    job.queue = q.opt_text(15);
    job.payload_json = q.text(16);
    job.priority = q.int32(17);
    if (!q.is_null(18)) job.max_attempts = q.int32(18);
    if (!q.is_null(19)) {
      Backoff b;
      b.type = static_cast<BackoffType>(q.int32(19));
      b.base_ms = q.int64(20);
      b.max_ms = q.int64(21);
      b.jitter = q.int64(22) != 0;
      job.backoff = b;
    }
    job.lease_ms = q.opt_int64(23);
    if (!q.is_null(24)) job.tags = decode_tags(q.text_view(24));
  }
}

StatusOr<Schedule> SqliteStore::put_schedule(const Schedule& s) {
  SPOOL_DCHECK(in_txn_);
  // INSERT OR REPLACE would silently replace a different schedule holding the name: refuse.
  if (auto other = schedule_by_name(s.name); other && other->id != s.id) {
    return error(StatusCode::kConflict,
                 "a schedule named " + s.name + " already exists (id " + other->id + ")", "name");
  } else if (!other && other.error().code() != StatusCode::kNotFound) {
    return tl::unexpected(other.error());
  }
  auto st = lazy(schedule_st_.put, kPut);
  if (!st) return tl::unexpected(st.error());
  const JobTemplate& job = s.job;
  std::optional<std::string> tags = encode_tags(job.tags);
  Use q(**st);
  q.bind(1, s.id)
      .bind(2, s.name)
      .bind(3, s.cron)
      .bind(4, s.every_ms)
      .bind(5, s.timezone)
      .bind(6, static_cast<int>(s.misfire))
      .bind(7, static_cast<int>(s.overlap))
      .bind(8, s.paused ? 1 : 0)
      .bind(9, s.created_at)
      .bind(10, s.updated_at)
      .bind(11, s.anchor_at)
      .bind(12, s.next_run_at)
      .bind(13, s.last_run_at)
      .bind(14, s.last_job_id)
      .bind(15, job.type)
      .bind(16, job.queue)
      .bind(17, job.payload_json)
      .bind(18, job.priority)
      .bind(19, job.max_attempts);
  if (job.backoff) {
    q.bind(20, static_cast<int>(job.backoff->type))
        .bind(21, job.backoff->base_ms)
        .bind(22, job.backoff->max_ms)
        .bind(23, job.backoff->jitter ? 1 : 0);
  } else {
    q.bind_null(20).bind_null(21).bind_null(22).bind_null(23);
  }
  q.bind(24, job.lease_ms).bind(25, tags);
  if (auto ok = run(q, "storing a schedule in"); !ok) return tl::unexpected(ok.error());
  return s;
}

StatusOr<void> SqliteStore::delete_schedule(const std::string& id) {
  SPOOL_DCHECK(in_txn_);
  auto st = lazy(schedule_st_.remove, kRemove);
  if (!st) return tl::unexpected(st.error());
  Use q(**st);
  q.bind(1, id);
  if (auto ok = run(q, "deleting a schedule from"); !ok) return ok;
  if (sqlite3_changes(db_.get()) == 0) {
    return error(StatusCode::kNotFound, "no schedule with id " + id);
  }
  return {};
}

StatusOr<Schedule> SqliteReader::get_schedule(const std::string& id) {
  auto st = lazy(st_.schedule_by_id, kById);
  if (!st) return tl::unexpected(st.error());
  Use q(**st);
  q.bind(1, id);
  auto rows = read_schedules(q);
  if (!rows) return tl::unexpected(rows.error());
  if (rows->empty()) return error(StatusCode::kNotFound, "no schedule with id " + id);
  return std::move(rows->front());
}

StatusOr<Schedule> SqliteStore::schedule_by_name(const std::string& name) {
  auto st = lazy(schedule_st_.by_name, kByName);
  if (!st) return tl::unexpected(st.error());
  Use q(**st);
  q.bind(1, name);
  auto rows = reads_.read_schedules(q);
  if (!rows) return tl::unexpected(rows.error());
  if (rows->empty()) return error(StatusCode::kNotFound, "no schedule named " + name);
  return std::move(rows->front());
}

StatusOr<std::vector<Schedule>> SqliteReader::list_schedules() {
  auto st = lazy(st_.schedule_list, kList);
  if (!st) return tl::unexpected(st.error());
  Use q(**st);
  return read_schedules(q);
}

StatusOr<std::vector<Schedule>> SqliteStore::due_schedules(TimeMs now, int limit) {
  auto st = lazy(schedule_st_.due, kDue);
  if (!st) return tl::unexpected(st.error());
  Use q(**st);
  q.bind(1, now).bind(2, limit);
  return reads_.read_schedules(q);
}

StatusOr<std::optional<TimeMs>> SqliteStore::next_schedule_due() {
  auto st = lazy(schedule_st_.next_due, kNextDue);
  if (!st) return tl::unexpected(st.error());
  Use q(**st);
  int rc = q.step();
  if (rc == SQLITE_DONE) return std::optional<TimeMs>();
  if (rc != SQLITE_ROW) return failure(rc, "reading");
  if (q.is_null(0)) return std::optional<TimeMs>();
  return std::optional<TimeMs>(q.int64(0));
}

StatusOr<FireResult> SqliteStore::fire_schedule(const ScheduleFire& fire) {
  SPOOL_DCHECK(in_txn_);
  std::optional<TimeMs> stored_next;
  std::optional<std::string> last_job_id;
  {
    auto st = lazy(schedule_st_.fire_state, kFireState);
    if (!st) return tl::unexpected(st.error());
    Use q(**st);
    q.bind(1, fire.schedule_id);
    int rc = q.step();
    if (rc == SQLITE_DONE) {
      return error(StatusCode::kNotFound, "no schedule with id " + fire.schedule_id);
    }
    if (rc != SQLITE_ROW) return failure(rc, "reading a schedule from");
    stored_next = q.opt_int64(0);
    last_job_id = q.opt_text(1);
  }
  FireResult result;
  if (fire.expected_next_run_at && stored_next != fire.expected_next_run_at) {
    result.outcome = FireOutcome::kStale;
    return result;
  }

  bool enqueue = fire.job.has_value();
  if (!enqueue) result.outcome = FireOutcome::kSkipped;
  if (enqueue && fire.skip_while_unfinished && last_job_id) {
    auto st = lazy(schedule_st_.job_state, kJobState);
    if (!st) return tl::unexpected(st.error());
    Use q(**st);
    q.bind(1, *last_job_id);
    int rc = q.step();
    if (rc == SQLITE_ROW && !is_finished(static_cast<JobState>(q.int32(0)))) {
      enqueue = false;
      result.outcome = FireOutcome::kSkippedOverlap;
    } else if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
      return failure(rc, "reading");
    }
    // SQLITE_DONE: the previous job was swept by retention; it is certainly finished.
  }

  std::optional<TimeMs> last_run_at;
  std::optional<std::string> job_id;
  if (enqueue) {
    auto enqueued = this->enqueue(*fire.job);
    if (!enqueued) return tl::unexpected(enqueued.error());
    last_run_at = fire.fire_at;
    job_id = enqueued->id;
    result.outcome = FireOutcome::kEnqueued;
    result.job = std::move(*enqueued);
  }

  auto st = lazy(schedule_st_.record, kRecord);
  if (!st) return tl::unexpected(st.error());
  Use q(**st);
  q.bind(1, fire.schedule_id)
      .bind(2, fire.expected_next_run_at ? 1 : 0)
      .bind(3, fire.next_run_at)
      .bind(4, last_run_at)
      .bind(5, job_id);
  if (auto ok = run(q, "recording a schedule's fire in"); !ok) return tl::unexpected(ok.error());
  return result;
}

}  // namespace spool::store::sqlite
