#include "client/active_job.hpp"

#include <limits>

namespace spool::client {

ActiveJob::ActiveJob(ReservedJob reserved, std::shared_ptr<Job::Shared> shared,
                     SteadyTime lease_expiry)
    : reserved(std::move(reserved)),
      shared(std::move(shared)),
      lease_expiry_ns_(lease_expiry.time_since_epoch().count()) {}

SteadyTime ActiveJob::lease_expiry() const {
  return SteadyTime(SteadyTime::duration(lease_expiry_ns_.load(std::memory_order_relaxed)));
}

void ActiveJob::set_lease_expiry(SteadyTime t) {
  lease_expiry_ns_.store(t.time_since_epoch().count(), std::memory_order_relaxed);
}

}  // namespace spool::client

namespace spool {

Job::Job(ReservedJob reserved, std::shared_ptr<Shared> shared, std::stop_source stop)
    : reserved_(std::move(reserved)), shared_(std::move(shared)), stop_(std::move(stop)) {}

void Job::progress(boost::json::value value) {
  {
    std::lock_guard lock(shared_->signal->mutex);
    shared_->progress = std::move(value);
    ++shared_->progress_version;
  }
  shared_->signal->cv.notify_all();
}

std::chrono::steady_clock::time_point Job::deadline() const {
  std::int64_t ns = shared_->deadline_ns->load(std::memory_order_relaxed);
  if (ns == std::numeric_limits<std::int64_t>::max()) {
    return std::chrono::steady_clock::time_point::max();
  }
  return std::chrono::steady_clock::time_point(std::chrono::steady_clock::duration(ns));
}

}  // namespace spool
