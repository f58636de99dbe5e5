#include "store/sqlite/published_queues.hpp"

namespace spool::store::sqlite {

bool listed(const QueueInfo& queue) {
  for (std::int64_t n : queue.counts.by_state) {
    if (n != 0) return true;
  }
  return queue.paused || !(queue.config == QueueConfig{});
}

void PublishedQueues::publish(std::vector<Update>&& updates) {
  if (updates.empty()) return;
  // Built outside the lock; the entries replaced are freed outside it too.
  std::vector<std::pair<std::string, std::shared_ptr<const QueueInfo>>> entries;
  entries.reserve(updates.size());
  for (auto& [name, info] : updates) {
    entries.emplace_back(std::move(name),
                         info ? std::make_shared<const QueueInfo>(std::move(*info)) : nullptr);
  }
  {
    std::lock_guard lock(mu_);
    for (auto& [name, info] : entries) {
      if (info) {
        queues_[name].swap(info);
      } else if (auto it = queues_.find(name); it != queues_.end()) {
        info = std::move(it->second);
        queues_.erase(it);
      }
    }
  }
}

std::shared_ptr<const QueueInfo> PublishedQueues::find(const std::string& name) const {
  std::lock_guard lock(mu_);
  auto it = queues_.find(name);
  return it == queues_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<const QueueInfo>> PublishedQueues::all() const {
  std::vector<std::shared_ptr<const QueueInfo>> out;
  std::lock_guard lock(mu_);
  out.reserve(queues_.size());
  for (const auto& [name, info] : queues_) out.push_back(info);
  return out;
}

std::size_t PublishedQueues::size() const {
  std::lock_guard lock(mu_);
  return queues_.size();
}

}  // namespace spool::store::sqlite
