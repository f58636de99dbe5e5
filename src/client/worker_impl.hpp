// Worker::Impl: the parts of a spool::Worker and the state they share. Its methods live in
//   worker.cpp           the public API, option checks, run(): start, and shutdown
//   worker_dispatch.cpp  the reserve loop (run()'s thread): long polls for free slots
//   worker_run_job.cpp   one job on a handler thread: hooks, handler, outcome to the settler
// and the parts in their own files: HandlerPool, LeaseRenewer, Settler, SignalWatch.
//
// Slots: a job holds a slot from its reserve answer until its handler returned (or it was
// handed back unstarted); a slot frees before the outcome is settled, so a slow settle never
// slows the handlers. Slots = concurrency + prefetch.
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>

#include "client/active_job.hpp"
#include "client/handler_pool.hpp"
#include "client/lease_renewer.hpp"
#include "client/reconnect.hpp"
#include "client/settler.hpp"
#include "client/worker_log.hpp"
#include "spool/worker.hpp"

namespace spool {

struct Worker::Impl {
  Impl(Client& client_ref, WorkerOptions opts);

  // worker.cpp
  Result<void> check_options() const;
  void request_stop();
  void end_grace_now();
  void shut_down();

  // worker_dispatch.cpp
  void reserve_loop(std::stop_token stop);
  void take_slots(std::vector<ReservedJob> jobs, client::SteadyTime granted, bool stopping);
  void release_unstarted(const std::shared_ptr<client::ActiveJob>& job, const char* why);

  // worker_run_job.cpp
  void run_job(std::shared_ptr<client::ActiveJob> active);
  void free_slot(const std::string& id);

  void log(LogLevel level, std::string_view text) const {
    client::write_log(options.log, level, text);
  }

  Client& client;
  WorkerOptions options;  // log is never empty
  std::map<std::string, Handler, std::less<>> handlers;
  std::string display_url;

  std::atomic<int> running{0};  // handlers running now
  // The shutdown deadline (Job::deadline()): steady_clock ns, INT64_MAX while not stopping.
  std::shared_ptr<std::atomic<std::int64_t>> deadline_ns;

  std::mutex mutex;
  std::condition_variable_any slots_cv;  // a slot freed, or the grace was cut
  // Guarded by mutex:
  std::map<std::string, std::shared_ptr<client::ActiveJob>> held;  // the jobs holding a slot
  std::stop_source stop;  // run()'s; replaced at the end of each run
  bool in_run = false;
  bool grace_cut = false;  // a second signal: hand back the running jobs now

  // Built by run(), torn down at its end.
  std::unique_ptr<client::ServerPresence> presence;
  std::unique_ptr<client::LeaseRenewer> renewer;
  std::unique_ptr<client::Settler> settler;
  std::unique_ptr<client::HandlerPool> pool;
};

}  // namespace spool
