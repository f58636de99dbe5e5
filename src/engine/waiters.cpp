#include "engine/waiters.hpp"

#include <algorithm>

namespace spool::engine {

void Waiters::add(Waiter waiter) {
  WaiterId id = waiter.id;
  list_.push_back(std::move(waiter));
  by_id_[id] = std::prev(list_.end());
}

std::optional<Waiter> Waiters::remove(WaiterId id) {
  auto found = by_id_.find(id);
  if (found == by_id_.end()) return std::nullopt;
  Waiter waiter = std::move(*found->second);
  list_.erase(found->second);
  by_id_.erase(found);
  return waiter;
}

Waiters::List::iterator Waiters::erase(List::iterator it) {
  by_id_.erase(it->id);
  return list_.erase(it);
}

std::optional<TimeMs> Waiters::earliest_deadline() const {
  std::optional<TimeMs> earliest;
  for (const Waiter& w : list_) {
    if (!earliest || w.deadline < *earliest) earliest = w.deadline;
  }
  return earliest;
}

}  // namespace spool::engine
