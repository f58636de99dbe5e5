// What push delivery reports for /readyz, /metrics and GET /v1/queues/{name}: plain values the
// http module can show without depending on the push module (serve.cpp converts the Pusher's
// health into these). Values only; copy between threads freely.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace spool::metrics {

struct PushBreakerView {
  std::string target;  // host:port
  std::string state;   // closed, open, half_open
  int consecutive_failures = 0;
  std::int64_t retry_in_ms = 0;
};

struct PushQueueView {
  std::string queue;
  std::string target;
  std::string state;  // delivering, paused, gone, breaker_open, invalid_config
  std::string message;
  int in_flight = 0;
};

struct PushView {
  std::vector<PushBreakerView> breakers;
  std::vector<PushQueueView> queues;
};

// Null when push delivery is off. Called on an http io thread: must be quick.
using PushViewSource = std::function<PushView()>;

}  // namespace spool::metrics
