// LeaseRenewer: one thread that keeps the leases of a worker's held jobs alive. Each job's lease
// is renewed (POST /v1/jobs/{id}/extend) at half its length, and sooner when its handler
// reported progress: the latest progress rides on a renewal at most a second after it changed.
//
// A renewal the server refuses (lease_lost, not_found) means another worker may already hold the
// job: the renewer claims the job (active_job.hpp invariant 1), requests its stop_token and
// stops renewing it. A renewal that got no answer is retried soon, until the server answers
// either way.
//
// Ownership: owned by the worker; holds shared_ptrs to the jobs it renews.
// Threading: add(), remove() and stop() from any thread; the renewals happen on its own thread,
// one at a time.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "client/active_job.hpp"
#include "client/reconnect.hpp"
#include "client/worker_log.hpp"
#include "spool/client.hpp"

namespace spool::client {

class LeaseRenewer {
 public:
  // `lease`: the lease length each renewal asks for; unset, each job's own.
  LeaseRenewer(Client& client, ServerPresence& presence, LogSink log, std::optional<Millis> lease);
  ~LeaseRenewer();
  LeaseRenewer(const LeaseRenewer&) = delete;
  LeaseRenewer& operator=(const LeaseRenewer&) = delete;

  // Shared with every Job::Shared of the worker (the lock that guards progress).
  const std::shared_ptr<RenewerSignal>& signal() const { return signal_; }

  void start();
  // Starts renewing a job whose lease was granted at `granted` (the reserve answer's arrival).
  void add(std::shared_ptr<ActiveJob> job, SteadyTime granted);
  // Stops renewing it (invariant 2). A renewal already on the wire still completes.
  void remove(const std::string& id);
  // Ends the thread after the renewal in flight, if any.
  void stop();

  // The lease length renewals of this job ask for, and the one its renewals are timed by.
  Millis lease_length(const ReservedJob& job) const;

 private:
  struct Entry {
    std::shared_ptr<ActiveJob> job;
    SteadyTime renew_at;
    SteadyTime progress_sent_at;  // time_point{} before the first progress went out
    std::uint64_t progress_sent_version = 0;
  };
  struct Due {
    std::shared_ptr<ActiveJob> job;
    std::optional<boost::json::value> progress;
    std::uint64_t progress_version = 0;
  };

  void loop();
  void renew(Due& due);

  Client& client_;
  ServerPresence& presence_;
  const LogSink log_;
  const std::optional<Millis> lease_;
  const std::shared_ptr<RenewerSignal> signal_ = std::make_shared<RenewerSignal>();

  // Guarded by signal_->mutex:
  std::map<std::string, Entry> entries_;
  SteadyTime wake_at_ = SteadyTime::max();  // when the thread means to wake up next
  bool stopping_ = false;

  std::thread thread_;
};

}  // namespace spool::client
