#include "client/reconnect.hpp"

#include <algorithm>
#include <random>

namespace spool::client {

RetryBackoff::RetryBackoff(Millis first, Millis max)
    : first_(first), max_(max), current_(first), rng_(std::random_device{}()) {}

Millis RetryBackoff::next() {
  // xorshift64: jitter needs no quality, and the worker's threads each own their backoff.
  rng_ ^= rng_ << 13;
  rng_ ^= rng_ >> 7;
  rng_ ^= rng_ << 17;
  auto d = current_.count();
  auto half = d / 2;
  Millis delay(half + static_cast<Millis::rep>(rng_ % static_cast<std::uint64_t>(d - half + 1)));
  current_ = std::min(max_, current_ * 2);
  return delay;
}

ServerPresence::ServerPresence(std::string url, LogSink log)
    : url_(std::move(url)), log_(std::move(log)) {}

void ServerPresence::failed(const Error& error) {
  {
    std::lock_guard lock(mutex_);
    if (away_) return;
    away_ = true;
    since_ = std::chrono::steady_clock::now();
  }
  write_log(log_, LogLevel::kWarn,
            "lost the server at " + url_ + " (" + error.code + ": " + error.message +
                "); retrying with backoff up to 5 s");
}

void ServerPresence::answered() {
  std::chrono::steady_clock::duration gone;
  {
    std::lock_guard lock(mutex_);
    if (!away_) return;
    away_ = false;
    gone = std::chrono::steady_clock::now() - since_;
  }
  write_log(log_, LogLevel::kInfo, "reconnected to " + url_ + " after " + describe_duration(gone));
}

bool ServerPresence::away() const {
  std::lock_guard lock(mutex_);
  return away_;
}

}  // namespace spool::client
