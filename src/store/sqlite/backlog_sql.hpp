// The statements of SqliteReader::backlog() (backlog.cpp), here so that a test can read their
// query plans and measure their work. Parameters: ?1 queue id, ?2 priority, ?3 overdue_before,
// ?4 at most this many rows counted (the walk: ?2 overdue_before, ?3 the rows walked).
// Every statement reads jobs_ready alone (INDEXED BY: a plan change is a loud error).
#pragma once

namespace spool::store::sqlite {

inline constexpr const char* kBacklogNextPrioritySql =
    "SELECT priority FROM jobs INDEXED BY jobs_ready "
    "WHERE state = 1 AND queue = ?1 AND priority < ?2 ORDER BY priority DESC LIMIT 1";
inline constexpr const char* kBacklogOldestSql =
    "SELECT MIN(run_at) FROM jobs INDEXED BY jobs_ready "
    "WHERE state = 1 AND queue = ?1 AND priority = ?2";
inline constexpr const char* kBacklogNewestSql =
    "SELECT MAX(run_at) FROM jobs INDEXED BY jobs_ready "
    "WHERE state = 1 AND queue = ?1 AND priority = ?2";
// The LIMIT sits inside the count, so the count stops after ?4 rows.
inline constexpr const char* kBacklogDueSql =
    "SELECT count(*) FROM (SELECT 1 FROM jobs INDEXED BY jobs_ready "
    "WHERE state = 1 AND queue = ?1 AND priority = ?2 AND run_at <= ?3 LIMIT ?4)";
inline constexpr const char* kBacklogNotDueSql =
    "SELECT count(*) FROM (SELECT 1 FROM jobs INDEXED BY jobs_ready "
    "WHERE state = 1 AND queue = ?1 AND priority = ?2 AND run_at > ?3 LIMIT ?4)";
inline constexpr const char* kBacklogWalkSql =
    "SELECT MIN(run_at), count(*) FILTER (WHERE run_at <= ?2) FROM (SELECT run_at FROM jobs "
    "INDEXED BY jobs_ready WHERE state = 1 AND queue = ?1 LIMIT ?3)";

}  // namespace spool::store::sqlite
