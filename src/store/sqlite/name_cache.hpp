// NameCache: a bounded cache of the `names` table (queue and type names interned as integers).
//
// Ownership: one per connection that reads names (the writer's SqliteStore, each SqliteReader);
// it prepares its two lookups on that connection and must not outlive it. Threading: the
// connection's user only.
//
// Why bounded: every distinct queue or type name ever used stays in `names` (ids never change
// meaning: rows are never deleted or renumbered), but a million one-off names must not stay in
// memory too (issue 13, D7). A miss reads the table (one indexed lookup), so the cache may
// forget anything at any time. It forgets only in trim(), which its owner calls between
// operations (the writer at commit and rollback, a reader at the start of a call), so a
// lookup's answer stays valid for the rest of the operation that made it.
//
// An unknown name is never cached as unknown: a later commit may add it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/status.hpp"
#include "store/sqlite/statement.hpp"

struct sqlite3;

namespace spool::store::sqlite {

class NameCache {
 public:
  static constexpr std::size_t kDefaultCapacity = 10'000;

  NameCache(sqlite3* db, std::string_view path, std::size_t capacity = kDefaultCapacity)
      : db_(db), path_(path), capacity_(capacity == 0 ? kDefaultCapacity : capacity) {}

  // The id of `name`, nullopt when `names` has no such row (as this connection sees it).
  StatusOr<std::optional<std::int64_t>> id_of(const std::string& name);
  // The name of `id`; kInternal when `names` has no such row (every row naming a queue or type
  // interns it first).
  StatusOr<std::string> name_of(std::int64_t id);
  // Records a row the owner has just inserted.
  void remember(const std::string& name, std::int64_t id);

  // Forgets everything once more than the capacity is held. Call between operations only.
  void trim() {
    if (by_name_.size() > capacity_) clear();
  }
  void clear() {
    by_name_.clear();
    by_id_.clear();
  }
  std::size_t size() const { return by_name_.size(); }

 private:
  sqlite3* db_;
  std::string path_;
  std::size_t capacity_;
  Statement select_by_name_, select_by_id_;
  std::unordered_map<std::string, std::int64_t> by_name_;
  std::unordered_map<std::int64_t, std::string> by_id_;
};

}  // namespace spool::store::sqlite
