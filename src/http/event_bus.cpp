#include "http/event_bus.hpp"

#include <algorithm>

namespace spool::http {

EventBus::EventBus(EventBusOptions options)
    : options_{std::max<std::size_t>(1, options.capacity), options.first_id},
      last_id_(options.first_id - 1) {}

void EventBus::on_commit(const engine::CommitInfo&, std::span<const engine::JobEvent> events) {
  if (events.empty()) return;
  // Copies and allocations happen before the lock: the lock only appends pointers.
  std::vector<std::shared_ptr<StoredEvent>> fresh;
  fresh.reserve(events.size());
  for (const auto& e : events) fresh.push_back(std::make_shared<StoredEvent>(StoredEvent{0, e}));
  std::vector<std::shared_ptr<Subscription>> to_wake;
  {
    std::lock_guard lock(mu_);
    for (auto& e : fresh) {
      e->id = ++last_id_;
      ring_.push_back(std::move(e));
    }
    while (ring_.size() > options_.capacity) ring_.pop_front();
    for (const auto& s : subscribers_) {
      if (s->overrun_) continue;
      if (last_id_ - s->cursor_ > options_.capacity) {
        s->overrun_ = true;  // invariant 3; the stream is woken to end itself
        to_wake.push_back(s);
      } else if (!s->wake_pending_) {
        s->wake_pending_ = true;
        to_wake.push_back(s);
      }
    }
  }
  for (const auto& s : to_wake) s->wake_();
}

SubscribeResult EventBus::subscribe(std::optional<std::uint64_t> last_event_id,
                                    std::function<void()> wake) {
  SubscribeResult result;
  result.subscription = std::shared_ptr<Subscription>(new Subscription(*this, std::move(wake)));
  std::lock_guard lock(mu_);
  std::uint64_t oldest = ring_.empty() ? last_id_ + 1 : ring_.front()->id;
  std::uint64_t cursor = last_id_;
  if (last_event_id) {
    std::uint64_t given = *last_event_id;
    if (given > last_id_ || given + 1 < oldest) {
      result.gap = true;
      result.requested = given;
      result.oldest = ring_.empty() ? 0 : oldest;
      cursor = oldest - 1;
    } else {
      cursor = given;
    }
  }
  result.subscription->cursor_ = cursor;
  subscribers_.push_back(result.subscription);
  return result;
}

void EventBus::unsubscribe(const std::shared_ptr<Subscription>& subscription) {
  std::lock_guard lock(mu_);
  std::erase(subscribers_, subscription);
}

std::uint64_t EventBus::last_id() const {
  std::lock_guard lock(mu_);
  return last_id_;
}

std::size_t EventBus::subscriber_count() const {
  std::lock_guard lock(mu_);
  return subscribers_.size();
}

Subscription::Batch Subscription::take(std::size_t max) {
  Batch batch;
  std::lock_guard lock(bus_.mu_);
  wake_pending_ = false;
  if (overrun_) {
    batch.overrun = true;
    return batch;
  }
  const auto& ring = bus_.ring_;
  std::uint64_t oldest = ring.empty() ? bus_.last_id_ + 1 : ring.front()->id;
  if (cursor_ + 1 < oldest) {
    overrun_ = true;  // cannot happen while invariant 3 is checked on every commit; be safe
    batch.overrun = true;
    return batch;
  }
  std::size_t from = static_cast<std::size_t>(cursor_ + 1 - oldest);
  std::size_t n = std::min(max, ring.size() - std::min(from, ring.size()));
  batch.events.reserve(n);
  for (std::size_t i = 0; i < n; ++i) batch.events.push_back(ring[from + i]);
  cursor_ += n;
  batch.more = cursor_ < bus_.last_id_;
  // The caller comes back for the rest by itself; no wake needed meanwhile.
  if (batch.more) wake_pending_ = true;
  return batch;
}

bool Subscription::overrun() const {
  std::lock_guard lock(bus_.mu_);
  return overrun_;
}

}  // namespace spool::http
