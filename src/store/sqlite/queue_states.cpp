#include "store/sqlite/queue_states.hpp"

namespace spool::store::sqlite {

bool QueueState::has_jobs() const {
  for (std::int64_t n : counts.by_state) {
    if (n != 0) return true;
  }
  return false;
}

const QueueState* QueueStates::find(const std::string& name) const {
  auto it = states_.find(name);
  return it == states_.end() ? nullptr : &it->second;
}

QueueState& QueueStates::edit(const std::string& name) {
  auto it = states_.find(name);
  if (!undo_.contains(name)) {
    undo_.emplace(name, it == states_.end() ? std::nullopt : std::optional(it->second));
  }
  if (it == states_.end()) it = states_.emplace(name, QueueState{}).first;
  return it->second;
}

void QueueStates::move(const std::string& queue, std::optional<JobState> from,
                       std::optional<JobState> to, std::int64_t n) {
  if (n == 0) return;
  QueueState& q = edit(queue);
  if (from) q.counts[*from] -= n;
  if (to) q.counts[*to] += n;
}

std::vector<PublishedQueues::Update> QueueStates::commit() {
  std::vector<PublishedQueues::Update> out;
  out.reserve(undo_.size());
  for (auto& [name, before] : undo_) {
    auto it = states_.find(name);
    if (it == states_.end() || !it->second.known()) {
      if (it != states_.end()) states_.erase(it);
      out.emplace_back(name, std::nullopt);
      continue;
    }
    const QueueState& s = it->second;
    out.emplace_back(name, QueueInfo{name, s.paused, s.config, s.counts});
  }
  undo_.clear();
  return out;
}

std::vector<PublishedQueues::Update> QueueStates::publish_all() const {
  std::vector<PublishedQueues::Update> out;
  out.reserve(states_.size());
  for (const auto& [name, s] : states_) {
    if (s.known()) out.emplace_back(name, QueueInfo{name, s.paused, s.config, s.counts});
  }
  return out;
}

void QueueStates::rollback() {
  for (auto& [name, before] : undo_) {
    if (before) {
      states_[name] = std::move(*before);
    } else {
      states_.erase(name);
    }
  }
  undo_.clear();
}

}  // namespace spool::store::sqlite
