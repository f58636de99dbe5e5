// The worker's record of one reserved job, from the reserve answer until its fate is decided,
// and the state a spool::Job shares with the worker (Job::Shared).
//
// Ownership: shared_ptr, held by whoever still needs the job: the handler pool's queue, the
// handler thread, the lease renewer, the worker's table of held jobs. A spool::Job keeps only its
// Job::Shared, which keeps only what outlives the worker safely (no pointer back into it).
//
// Invariants:
//   1. A job's outcome is settled at most once, by whoever wins try_claim(): the handler thread
//      when it returns, the lease renewer when the server refuses a renewal, or the shutdown
//      when it hands the job back. The losers leave the job alone.
//   2. The renewer renews a job only while it is in the renewer's table; the handler thread
//      takes it out as soon as the handler returns.
#pragma once

#include <atomic>
#include <boost/json/value.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>

#include "spool/worker.hpp"

namespace spool::client {

using SteadyTime = std::chrono::steady_clock::time_point;

// The lease renewer's lock and wake-up. Shared with every Job so Job::progress() can wake the
// renewer without pointing into a worker that may be gone.
struct RenewerSignal {
  std::mutex mutex;
  std::condition_variable cv;
};

struct ActiveJob {
  ActiveJob(ReservedJob reserved, std::shared_ptr<Job::Shared> shared, SteadyTime lease_expiry);

  // Invariant 1: true for exactly one caller.
  bool try_claim() { return !claimed_.exchange(true, std::memory_order_acq_rel); }
  bool claimed() const { return claimed_.load(std::memory_order_acquire); }

  // When the lease runs out unless renewed, by this process's steady clock: the arrival of the
  // reserve answer (or of the last renewal's) plus the lease length. The settler gives up
  // retrying an outcome after it.
  SteadyTime lease_expiry() const;
  void set_lease_expiry(SteadyTime t);

  const ReservedJob reserved;
  const std::shared_ptr<Job::Shared> shared;
  std::stop_source stop;

 private:
  std::atomic<bool> claimed_{false};
  std::atomic<std::int64_t> lease_expiry_ns_;
};

}  // namespace spool::client

namespace spool {

struct Job::Shared {
  Shared(std::shared_ptr<client::RenewerSignal> signal,
         std::shared_ptr<const std::atomic<std::int64_t>> deadline_ns)
      : signal(std::move(signal)), deadline_ns(std::move(deadline_ns)) {}

  const std::shared_ptr<client::RenewerSignal> signal;
  // The worker's shutdown deadline (steady_clock nanoseconds since its epoch; INT64_MAX while
  // not shutting down).
  const std::shared_ptr<const std::atomic<std::int64_t>> deadline_ns;

  // Guarded by signal->mutex. The latest progress, and a counter bumped on each change so the
  // renewer can tell whether what it sent is still the latest.
  std::optional<boost::json::value> progress;
  std::uint64_t progress_version = 0;
};

}  // namespace spool
