#include "engine/waiters.hpp"

#include <iterator>

namespace spool::engine {

void Waiters::add(Waiter waiter) {
  WaiterId id = waiter.id;
  ++version_;
  for (const std::string& q : waiter.request.queues) by_queue_[q].insert(id);
  by_deadline_.emplace(waiter.deadline, id);
  if (waiter.fresh) fresh_.insert(id);
  by_id_.emplace(id, std::move(waiter));
}

std::optional<Waiter> Waiters::remove(WaiterId id) {
  auto found = by_id_.find(id);
  if (found == by_id_.end()) return std::nullopt;
  ++version_;
  Waiter waiter = std::move(found->second);
  by_id_.erase(found);
  for (const std::string& q : waiter.request.queues) {
    auto queue = by_queue_.find(q);
    if (queue == by_queue_.end()) continue;  // a queue named twice, already done
    queue->second.erase(id);
    if (!queue->second.empty()) continue;
    // While visit() runs, its cursors point into these sets: it drops the empty ones after.
    if (visiting_) {
      emptied_.push_back(q);
    } else {
      by_queue_.erase(queue);
    }
  }
  by_deadline_.erase({waiter.deadline, id});
  fresh_.erase(id);
  return waiter;
}

std::optional<TimeMs> Waiters::earliest_deadline() const {
  if (by_deadline_.empty()) return std::nullopt;
  return by_deadline_.begin()->first;
}

std::vector<Waiter> Waiters::take_expired(TimeMs now) {
  std::vector<Waiter> expired;
  while (!by_deadline_.empty() && by_deadline_.begin()->first <= now) {
    expired.push_back(std::move(*remove(by_deadline_.begin()->second)));
  }
  return expired;
}

std::vector<Waiter> Waiters::take_all() {
  std::vector<Waiter> all;
  ++version_;
  all.reserve(by_id_.size());
  for (auto& [id, waiter] : by_id_) all.push_back(std::move(waiter));
  by_id_.clear();
  by_queue_.clear();
  by_deadline_.clear();
  fresh_.clear();
  return all;
}

std::vector<std::pair<std::string, std::size_t>> Waiters::count_by_queue() const {
  std::vector<std::pair<std::string, std::size_t>> counts;
  counts.reserve(by_queue_.size());
  for (const auto& [queue, ids] : by_queue_) {
    if (!ids.empty()) counts.emplace_back(queue, ids.size());
  }
  return counts;
}

void Waiters::visit(const std::set<std::string>& dirty, bool all_dirty,
                    const std::function<bool(const std::string& queue)>& skip_queue,
                    const std::function<bool(Waiter& waiter)>& try_waiter) {
  // A merge, by id, of the fresh waiters and of each dirty queue's waiters (each list is in
  // arrival order already): the oldest waiter of any of them comes next.
  struct Cursor {
    const std::string* queue;  // nullptr: the fresh waiters, never skipped
    std::set<WaiterId>::const_iterator next, end;
  };
  std::vector<Cursor> cursors;
  cursors.push_back({nullptr, fresh_.begin(), fresh_.end()});
  if (all_dirty) {
    for (const auto& [queue, ids] : by_queue_) cursors.push_back({&queue, ids.begin(), ids.end()});
  } else {
    for (const std::string& q : dirty) {
      auto found = by_queue_.find(q);
      if (found == by_queue_.end()) continue;
      cursors.push_back({&found->first, found->second.begin(), found->second.end()});
    }
  }
  std::set<std::pair<WaiterId, std::size_t>> heads;  // each cursor's next id, and the cursor
  auto push_head = [&](std::size_t c) {
    if (cursors[c].next != cursors[c].end) heads.emplace(*cursors[c].next, c);
  };
  for (std::size_t c = 0; c < cursors.size(); ++c) push_head(c);

  visiting_ = true;
  while (!heads.empty()) {
    auto [id, first] = *heads.begin();
    if (cursors[first].queue != nullptr && skip_queue(*cursors[first].queue)) {
      heads.erase(heads.begin());  // this queue has nothing more for anyone in this pass
      continue;
    }
    // Step past `id` in every list that holds it before try_waiter may remove it.
    while (!heads.empty() && heads.begin()->first == id) {
      std::size_t c = heads.begin()->second;
      heads.erase(heads.begin());
      ++cursors[c].next;
      push_head(c);
    }
    Waiter& waiter = by_id_.at(id);
    bool go_on = try_waiter(waiter);
    if (auto kept = by_id_.find(id); kept != by_id_.end()) kept->second.fresh = false;
    fresh_.erase(id);
    if (!go_on) break;
  }
  visiting_ = false;
  for (const std::string& q : emptied_) {
    if (auto queue = by_queue_.find(q); queue != by_queue_.end() && queue->second.empty()) {
      by_queue_.erase(queue);
    }
  }
  emptied_.clear();
}

}  // namespace spool::engine
