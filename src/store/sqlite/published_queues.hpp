// PublishedQueues: the committed queue view (pause, config, counts) that every read of the
// SQLite store answers get_queue, list_queues, stats and backlog's counts from, on the writer
// thread and on reader threads alike.
//
// Ownership: shared (std::shared_ptr) by the SqliteStore that updates it and every SqliteReader
// it opened. Threading: any thread; one mutex, held only to look up or swap entries (a reader
// copies pointers under it and builds its answer after). Entries are immutable once published.
//
// Freshness: SqliteStore::commit() publishes the queues its transaction touched (QueueStates'
// undo set) before it returns, and the engine answers a batch's callers only after commit, so a
// caller that reads after its write sees it (read-your-writes). A rolled-back transaction never
// reaches the view. Only queues get_queue knows are held: with jobs, or with a `queues` row.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/job.hpp"

namespace spool::store::sqlite {

// Listed by list_queues(): has jobs, or is paused or configured.
bool listed(const QueueInfo& queue);

class PublishedQueues {
 public:
  // One queue as a commit left it; nullopt: the queue is gone (no jobs, no row).
  using Update = std::pair<std::string, std::optional<QueueInfo>>;

  void publish(std::vector<Update>&& updates);

  std::shared_ptr<const QueueInfo> find(const std::string& name) const;
  // Every queue held, in no order.
  std::vector<std::shared_ptr<const QueueInfo>> all() const;
  std::size_t size() const;

 private:
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<const QueueInfo>> queues_;
};

}  // namespace spool::store::sqlite
