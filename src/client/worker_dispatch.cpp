// The reserve loop: long-polls for as many jobs as there are free slots and hands them to the
// handler pool; waits with backoff while the server is away (worker.hpp "Reconnecting").
#include <algorithm>

#include "client/worker_impl.hpp"

namespace spool {

using client::ActiveJob;
using std::chrono::steady_clock;

namespace {

// API.md: reserve hands out at most 100 jobs per request.
constexpr int kMaxReserve = 100;
// The lease the settler assumes when the server did not say (its default).
constexpr Millis kDefaultLease{30'000};

}  // namespace

void Worker::Impl::reserve_loop(std::stop_token stop) {
  client::RetryBackoff backoff;
  std::string last_refusal;
  const std::size_t slots =
      static_cast<std::size_t>(options.concurrency) + static_cast<std::size_t>(options.prefetch);
  ReserveRequest request;
  request.queues = options.queues;
  request.wait = options.poll_wait;
  request.lease = options.lease;
  request.worker = options.name;
  while (!stop.stop_requested()) {
    {
      std::unique_lock lock(mutex);
      if (!slots_cv.wait(lock, stop, [&] { return held.size() < slots; })) break;
      request.max = static_cast<int>(std::min<std::size_t>(slots - held.size(), kMaxReserve));
    }
    // A stop request cancels the long poll: the server drops a waiter whose client left and
    // leases it nothing (API.md "Working").
    auto jobs = client.reserve(request, stop);
    auto granted = steady_clock::now();
    if (jobs) {
      presence->answered();
      backoff.reset();
      last_refusal.clear();
      take_slots(std::move(*jobs), granted, stop.stop_requested());
      continue;
    }
    const Error& e = jobs.error();
    if (e.code == "cancelled") continue;
    if (e.transient()) {
      presence->failed(e);
    } else {
      presence->answered();
      // A refusal (401, 403, a queue name the server does not take) does not fix itself, but
      // its fix (a config change on the server) needs no restart of the worker: keep asking,
      // and say it once per distinct answer.
      if (e.message != last_refusal) {
        log(LogLevel::kError, "the server refused to hand out jobs (" + e.code + ": " + e.message +
                                  "); asking again with backoff up to 5 s");
        last_refusal = e.message;
      }
    }
    std::unique_lock lock(mutex);
    slots_cv.wait_for(lock, stop, backoff.next(), [] { return false; });
  }
}

void Worker::Impl::take_slots(std::vector<ReservedJob> jobs, client::SteadyTime granted,
                              bool stopping) {
  for (auto& reserved : jobs) {
    Millis length = renewer->lease_length(reserved);
    if (length.count() <= 0) length = kDefaultLease;
    auto shared = std::make_shared<Job::Shared>(renewer->signal(), deadline_ns);
    std::string id = reserved.id;
    auto job =
        std::make_shared<ActiveJob>(std::move(reserved), std::move(shared), granted + length);
    {
      std::lock_guard lock(mutex);
      held[id] = job;
    }
    renewer->add(job, granted);
    if (stopping) {
      release_unstarted(job, "the worker is shutting down; handed back before it started");
    } else {
      pool->push(std::move(job));
    }
  }
}

void Worker::Impl::release_unstarted(const std::shared_ptr<ActiveJob>& job, const char* why) {
  if (job->try_claim()) {
    renewer->remove(job->reserved.id);
    settler->fail(*job, Failure{Failure::Kind::kRelease, why, std::nullopt});
  }
  free_slot(job->reserved.id);
}

}  // namespace spool
