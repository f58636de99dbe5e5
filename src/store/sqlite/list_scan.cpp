#include "store/sqlite/list_scan.hpp"

#include <string_view>
#include <vector>

namespace spool::store::sqlite {

std::string list_scan_sql(const ListScanShape& shape) {
  // The walk: the index that serves the most of the filter in seq order.
  std::string_view index = "NOT INDEXED";  // the table itself, in rowid (= seq) order
  std::vector<std::string_view> walk;
  bool state_walked = false, type_walked = false, queue_walked = false;
  if (shape.state && shape.queue) {
    index = "INDEXED BY jobs_by_queue";
    walk = {"queue = ?3", "state = ?1"};
    state_walked = queue_walked = true;
  } else if (shape.state) {
    index = "INDEXED BY jobs_by_state";
    walk = {"state = ?1"};
    state_walked = true;
  } else if (shape.type) {
    index = "INDEXED BY jobs_by_type";
    walk = {"type = ?2"};
    type_walked = true;
  }
  if (shape.cursor) {
    if (shape.ascending) {
      walk.push_back(shape.cursor_inclusive ? "seq >= ?6" : "seq > ?6");
    } else {
      walk.push_back(shape.cursor_inclusive ? "seq <= ?6" : "seq < ?6");
    }
  }

  // The rest, checked on each row walked.
  std::vector<std::string_view> check;
  if (shape.state && !state_walked) check.push_back("state = ?1");
  if (shape.type && !type_walked) check.push_back("type = ?2");
  if (shape.queue && !queue_walked) check.push_back("queue = ?3");
  if (shape.dedupe_key) check.push_back("dedupe_key = ?4");
  if (shape.tag) check.push_back("EXISTS (SELECT 1 FROM json_each(jobs.tags) WHERE value = ?5)");

  std::string sql = "SELECT seq, id, ";
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
  sql += " FROM jobs ";
  sql += index;
  for (std::size_t i = 0; i < walk.size(); ++i) {
    sql += i == 0 ? " WHERE " : " AND ";
    sql += walk[i];
  }
  sql += shape.ascending ? " ORDER BY seq ASC" : " ORDER BY seq DESC";
  sql += " LIMIT ?7";
  return sql;
}

}  // namespace spool::store::sqlite
