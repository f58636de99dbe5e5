// Pusher: push delivery for every queue whose config has `push` (docs/push.md). The server itself
// is the worker: it reserves each push queue's jobs through the Engine's public API (long polls,
// like any worker), POSTs each job, signed per the Standard Webhooks spec, to the queue's URL,
// and acks or fails the job by the answer (push/outcome.hpp). Per-target circuit breakers
// (push/breaker.hpp) stop reserving for a failing target; jobs already reserved then are
// snoozed (no attempt spent).
//
// Ownership and threading: the Pusher borrows the Engine (which must outlive it) and owns one io
// thread on which all of its state lives: queue states, breakers, the connection pool. Engine
// callbacks (on the writer thread) only post to that thread. health() may be called from any
// thread: it reads a snapshot taken on the io thread.
//
// Config changes: queue configs are re-read every refresh_ms (list_queues); a changed push
// config applies to deliveries started after it, a removed one stops reserving.
//
// Batching: deliveries that end in the same turn of the io loop are settled by one engine
// settle() and followed by one reserve; each queue reserves up to min(concurrency, 100) jobs ahead
// of its free delivery slots, so a slot that frees starts its next delivery without waiting for
// the engine. Those prefetched jobs are active (leased) but not yet sent; a stop, a paused or
// removed queue, or a 410 releases them (attempt given back), and an opening breaker drops the
// parked reserve that would prefetch more.
//
// Durability: a job is settled only after its answer; a delivery cut off by stop() is released
// (its attempt given back), one cut off by a crash is retried when its lease expires, so a job is
// never lost and is sent twice at most when a stop or crash came mid-delivery (with the same
// webhook-id). The lease covers the whole exchange: timeout_ms plus kLeaseMarginMs.
//
// Shutdown order (serve.cpp): pusher.stop() before engine.stop().
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "push/breaker.hpp"

namespace spool::engine {
class Engine;
}

namespace spool::push {

inline constexpr std::int64_t kLeaseMarginMs = 10'000;

struct PusherOptions {
  std::int64_t refresh_ms = 1000;    // how often queue configs are re-read
  std::int64_t long_poll_ms = 5000;  // wait_ms of each reserve
  int max_in_flight = 1024;          // deliveries (so sockets) across all queues at most
  std::size_t max_idle_per_target = 64;
  BreakerOptions breaker;
  std::chrono::milliseconds stop_grace{2000};  // in-flight deliveries may finish this long
  std::string worker = "spool-push";           // the worker name on reserved jobs
  std::string user_agent = "spool";
};

struct PushQueueHealth {
  std::string queue;
  std::string target;  // host:port, empty when the config does not parse
  // "delivering", "paused", "gone" (a 410: the queue was paused), "breaker_open",
  // "invalid_config"
  std::string state;
  std::string message;  // why, for any state but delivering
  int in_flight = 0;
};

struct BreakerHealth {
  std::string target;
  BreakerState state = BreakerState::kClosed;
  int consecutive_failures = 0;
  std::int64_t retry_in_ms = 0;
};

struct PushHealth {
  std::vector<PushQueueHealth> queues;
  std::vector<BreakerHealth> breakers;
  std::int64_t delivered = 0;  // answered deliveries since start (any verdict)
};

class Pusher {
 public:
  Pusher(engine::Engine& engine, const Clock& clock, PusherOptions options = {});
  ~Pusher();
  Pusher(const Pusher&) = delete;
  Pusher& operator=(const Pusher&) = delete;

  void start();
  // Stops reserving, lets deliveries in flight finish for stop_grace, then cuts the rest off and
  // releases their jobs; joins the io thread. REQUIRES: before engine.stop().
  void stop();
  PushHealth health() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace spool::push
