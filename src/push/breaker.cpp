#include "push/breaker.hpp"

#include <algorithm>

namespace spool::push {

std::string_view to_string(BreakerState state) {
  switch (state) {
    case BreakerState::kClosed:
      return "closed";
    case BreakerState::kOpen:
      return "open";
    case BreakerState::kHalfOpen:
      return "half_open";
  }
  return "closed";
}

CircuitBreaker::Admit CircuitBreaker::admit(TimeMs now) {
  if (!open_) return Admit::kYes;
  if (now < open_until_ || probe_in_flight_) return Admit::kNo;
  probe_in_flight_ = true;
  return Admit::kProbe;
}

void CircuitBreaker::record(bool failure, TimeMs now) {
  if (open_) {
    // Only the probe's outcome decides; late outcomes of deliveries sent before the breaker
    // opened are ignored (they say nothing about the target now).
    if (!probe_in_flight_ || now < open_until_) return;
    probe_in_flight_ = false;
    if (failure) {
      current_open_ms_ = std::min(current_open_ms_ * 2, options_.max_open_ms);
      open_until_ = now + current_open_ms_;
      return;
    }
    open_ = false;
    consecutive_ = 0;
    recent_.clear();
    recent_failures_ = 0;
    return;
  }
  consecutive_ = failure ? consecutive_ + 1 : 0;
  recent_.push_back(failure);
  recent_failures_ += failure;
  while (static_cast<int>(recent_.size()) > options_.window) {
    recent_failures_ -= recent_.front();
    recent_.pop_front();
  }
  bool by_count =
      options_.consecutive_failures > 0 && consecutive_ >= options_.consecutive_failures;
  bool by_rate = options_.rate_percent > 0 && static_cast<int>(recent_.size()) >= options_.window &&
                 recent_failures_ * 100 >= options_.rate_percent * options_.window;
  if (by_count || by_rate) {
    current_open_ms_ = options_.open_ms;
    open(now);
  }
}

void CircuitBreaker::open(TimeMs now) {
  open_ = true;
  probe_in_flight_ = false;
  open_until_ = now + current_open_ms_;
}

BreakerState CircuitBreaker::state(TimeMs now) const {
  if (!open_) return BreakerState::kClosed;
  return now < open_until_ ? BreakerState::kOpen : BreakerState::kHalfOpen;
}

std::int64_t CircuitBreaker::retry_in_ms(TimeMs now) const {
  if (!open_) return 0;
  return std::max<std::int64_t>(0, open_until_ - now);
}

}  // namespace spool::push
