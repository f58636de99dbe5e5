#include "store/sqlite/list_scan.hpp"

#include <string_view>
#include <vector>

namespace spool::store::sqlite {

std::string list_scan_sql(const ListScanShape& shape) {
  // The walk: the index that serves the most of the filter in seq order. A tag comes first: a
  // tag names few jobs (an order, a customer), where a state or a type names millions.
  std::string from = "jobs NOT INDEXED";  // the table itself, in rowid (= seq) order
  std::string_view seq = "jobs.seq";
  std::vector<std::string> walk;
  bool state_walked = false, type_walked = false, queue_walked = false;
  if (shape.tags > 0) {
    // CROSS JOIN keeps job_tags the outer loop, so the walk runs in its (tag, seq) order.
    from = "job_tags CROSS JOIN jobs ON jobs.seq = job_tags.seq";
    seq = "job_tags.seq";
    walk = {"job_tags.tag = ?5"};
  } else if (shape.state && shape.queue) {
    from = "jobs INDEXED BY jobs_by_queue";
    walk = {"jobs.queue = ?3", "jobs.state = ?1"};
    state_walked = queue_walked = true;
  } else if (shape.state) {
    from = "jobs INDEXED BY jobs_by_state";
    walk = {"jobs.state = ?1"};
    state_walked = true;
  } else if (shape.type) {
    from = "jobs INDEXED BY jobs_by_type";
    walk = {"jobs.type = ?2"};
    type_walked = true;
  }
  if (shape.cursor) {
    std::string_view op = shape.ascending ? (shape.cursor_inclusive ? " >= ?6" : " > ?6")
                                          : (shape.cursor_inclusive ? " <= ?6" : " < ?6");
    walk.push_back(std::string(seq) + std::string(op));
  }

  // The rest, checked on each row walked.
  std::vector<std::string> check;
  if (shape.state && !state_walked) check.emplace_back("jobs.state = ?1");
  if (shape.type && !type_walked) check.emplace_back("jobs.type = ?2");
  if (shape.queue && !queue_walked) check.emplace_back("jobs.queue = ?3");
  if (shape.dedupe_key) check.emplace_back("jobs.dedupe_key = ?4");
  for (int i = 1; i < shape.tags; ++i) {
    check.push_back("EXISTS (SELECT 1 FROM job_tags t WHERE t.tag = ?" + std::to_string(7 + i) +
                    " AND t.seq = jobs.seq)");
  }

  std::string sql = "SELECT jobs.seq, jobs.id, ";
  if (check.empty()) {
    sql += "1";
  } else {
    sql += "(";
    for (std::size_t i = 0; i < check.size(); ++i) {
      if (i > 0) sql += " AND ";
      sql += check[i];
    }
    sql += ")";
  }
  sql += " FROM ";
  sql += from;
  for (std::size_t i = 0; i < walk.size(); ++i) {
    sql += i == 0 ? " WHERE " : " AND ";
    sql += walk[i];
  }
  sql += " ORDER BY ";
  sql += seq;
  sql += shape.ascending ? " ASC" : " DESC";
  sql += " LIMIT ?7";
  return sql;
}

}  // namespace spool::store::sqlite
