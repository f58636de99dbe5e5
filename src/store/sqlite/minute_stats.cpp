// The SQLite store's per-minute aggregates (migration 2's minute_stats table): the writer's add
// and prune (SqliteStore), and their read (SqliteReader). See sqlite_store_impl.hpp and
// sqlite_reader.hpp for ownership, threading and invariants.
#include <sqlite3.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "store/sqlite/sqlite_store_impl.hpp"

namespace spool::store::sqlite {
namespace {

constexpr int kBuckets = static_cast<int>(kRunMsBuckets.size()) + 1;

std::string bucket_columns(std::string_view prefix = {}) {
  std::string out;
  for (int i = 0; i < kBuckets; ++i) {
    out += ", ";
    out += prefix;
    out += "run_b" + std::to_string(i);
  }
  return out;
}

std::string add_sql() {
  std::string cols =
      "minute, queue, type, enqueued, completed, failed, dead, run_count, "
      "run_ms_sum" +
      bucket_columns();
  std::string values = "?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9";
  for (int i = 0; i < kBuckets; ++i) values += ", ?" + std::to_string(10 + i);
  std::string update;
  for (std::string c : {"enqueued", "completed", "failed", "dead", "run_count", "run_ms_sum"}) {
    update += c + " = " + c + " + excluded." + c + ", ";
  }
  for (int i = 0; i < kBuckets; ++i) {
    std::string c = "run_b" + std::to_string(i);
    update += c + " = " + c + " + excluded." + c + (i + 1 < kBuckets ? ", " : "");
  }
  return "INSERT INTO minute_stats (" + cols + ") VALUES (" + values +
         ") ON CONFLICT (minute, queue, type) DO UPDATE SET " + update;
}

std::string read_sql() {
  return "SELECT minute, queue, type, enqueued, completed, failed, dead, run_count, run_ms_sum" +
         bucket_columns() +
         " FROM minute_stats WHERE minute >= ?1 AND (?2 IS NULL OR queue = ?2) ORDER BY minute";
}

}  // namespace

StatusOr<const Statement*> SqliteStore::lazy(Statement& slot, std::string_view sql) {
  return prepare_once(slot, db_.get(), sql, path_);
}

StatusOr<void> SqliteStore::add_minute_stats(std::span<const MinuteStats> rows) {
  SPOOL_DCHECK(in_txn_);
  auto st = lazy(minute_st_.add, add_sql());
  if (!st) return tl::unexpected(st.error());
  for (const MinuteStats& r : rows) {
    auto queue_id = intern(r.queue);
    if (!queue_id) return tl::unexpected(queue_id.error());
    auto type_id = intern(r.type);
    if (!type_id) return tl::unexpected(type_id.error());
    Use q(**st);
    q.bind(1, r.minute)
        .bind(2, *queue_id)
        .bind(3, *type_id)
        .bind(4, r.enqueued)
        .bind(5, r.completed)
        .bind(6, r.failed)
        .bind(7, r.dead)
        .bind(8, r.run_count)
        .bind(9, r.run_ms_sum);
    for (int i = 0; i < kBuckets; ++i) q.bind(10 + i, r.run_buckets[i]);
    if (auto ok = run(q, "writing"); !ok) return ok;
  }
  return {};
}

StatusOr<std::int64_t> SqliteStore::prune_minute_stats(TimeMs before, int limit) {
  SPOOL_DCHECK(in_txn_);
  // One chunk of whole minutes (WITHOUT ROWID: delete by the key's leading column).
  auto st = lazy(minute_st_.prune,
                 "DELETE FROM minute_stats WHERE minute IN (SELECT DISTINCT minute FROM "
                 "minute_stats WHERE minute < ?1 ORDER BY minute LIMIT ?2)");
  if (!st) return tl::unexpected(st.error());
  Use q(**st);
  q.bind(1, before).bind(2, limit);
  if (auto ok = run(q, "deleting from"); !ok) return tl::unexpected(ok.error());
  return static_cast<std::int64_t>(sqlite3_changes64(db_.get()));
}

StatusOr<std::vector<MinuteStats>> SqliteReader::minute_stats(
    TimeMs from, const std::optional<std::string>& queue) {
  names_.trim();
  std::vector<MinuteStats> out;
  std::optional<std::int64_t> queue_id;
  if (queue) {
    auto id = names_.id_of(*queue);
    if (!id) return tl::unexpected(id.error());
    if (!*id) return out;
    queue_id = *id;
  }
  auto st = lazy(st_.minute_read, read_sql());
  if (!st) return tl::unexpected(st.error());
  Use q(**st);
  q.bind(1, from).bind(2, queue_id);
  int rc;
  while ((rc = q.step()) == SQLITE_ROW) {
    MinuteStats r;
    r.minute = q.int64(0);
    auto queue_name = names_.name_of(q.int64(1));
    if (!queue_name) return tl::unexpected(queue_name.error());
    auto type_name = names_.name_of(q.int64(2));
    if (!type_name) return tl::unexpected(type_name.error());
    r.queue = std::move(*queue_name);
    r.type = std::move(*type_name);
    r.enqueued = q.int64(3);
    r.completed = q.int64(4);
    r.failed = q.int64(5);
    r.dead = q.int64(6);
    r.run_count = q.int64(7);
    r.run_ms_sum = q.int64(8);
    for (int i = 0; i < kBuckets; ++i) r.run_buckets[i] = q.int64(9 + i);
    out.push_back(std::move(r));
  }
  if (rc != SQLITE_DONE) return failure(rc, "reading");
  return out;
}

}  // namespace spool::store::sqlite
