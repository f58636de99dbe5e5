#include "store/sqlite/name_cache.hpp"

#include <sqlite3.h>

#include "store/sqlite/sqlite_error.hpp"

namespace spool::store::sqlite {

StatusOr<std::optional<std::int64_t>> NameCache::id_of(const std::string& name) {
  if (auto it = by_name_.find(name); it != by_name_.end()) return it->second;
  auto st = prepare_once(select_by_name_, db_, "SELECT id FROM names WHERE name = ?1", path_);
  if (!st) return tl::unexpected(st.error());
  Use q(**st);
  q.bind(1, name);
  int rc = q.step();
  if (rc == SQLITE_DONE) return std::optional<std::int64_t>();
  if (rc != SQLITE_ROW) return tl::unexpected(sqlite_status(db_, rc, "reading names from", path_));
  std::int64_t id = q.int64(0);
  remember(name, id);
  return id;
}

StatusOr<std::string> NameCache::name_of(std::int64_t id) {
  if (auto it = by_id_.find(id); it != by_id_.end()) return it->second;
  auto st = prepare_once(select_by_id_, db_, "SELECT name FROM names WHERE id = ?1", path_);
  if (!st) return tl::unexpected(st.error());
  Use q(**st);
  q.bind(1, id);
  int rc = q.step();
  if (rc == SQLITE_DONE) {
    return error(StatusCode::kInternal, "name id " + std::to_string(id) +
                                            " is not in the names "
                                            "table of " +
                                            path_ + " (a row names it)");
  }
  if (rc != SQLITE_ROW) return tl::unexpected(sqlite_status(db_, rc, "reading names from", path_));
  std::string name = q.text(0);
  remember(name, id);
  return name;
}

void NameCache::remember(const std::string& name, std::int64_t id) {
  by_name_.emplace(name, id);
  by_id_.emplace(id, name);
}

}  // namespace spool::store::sqlite
