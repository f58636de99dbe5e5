// One job on a handler thread: on_start, the handler, its outcome to the settler, then
// on_success or on_failure (worker.hpp "Outcomes" and "Hooks").
#include "client/outcome.hpp"
#include "client/worker_impl.hpp"

namespace spool {

using client::ActiveJob;
using std::chrono::steady_clock;

namespace {

// Hooks must not throw (worker.hpp); one that does must not take the handler thread with it.
template <typename Hook, typename... Args>
void call_hook(const client::LogSink& log, const char* name, const Hook& hook,
               const Args&... args) {
  if (!hook) return;
  try {
    hook(args...);
  } catch (const std::exception& e) {
    client::write_log(log, LogLevel::kError,
                      std::string("the ") + name + " hook threw: " + e.what());
  } catch (...) {
    client::write_log(log, LogLevel::kError, std::string("the ") + name + " hook threw");
  }
}

}  // namespace

void Worker::Impl::run_job(std::shared_ptr<ActiveJob> active) {
  const ReservedJob& r = active->reserved;
  // Handed back (lease lost, or the grace ran out) between the queue and this thread.
  if (active->claimed()) {
    free_slot(r.id);
    return;
  }
  Job job(r, active->shared, active->stop);
  auto handler = handlers.find(r.type);
  if (handler == handlers.end()) handler = handlers.find("*");  // the catch-all, worker.hpp
  running.fetch_add(1, std::memory_order_relaxed);
  auto started = steady_clock::now();
  client::Settlement outcome;
  if (handler == handlers.end()) {
    std::string known;
    for (const auto& [type, h] : handlers) known += (known.empty() ? "" : ", ") + type;
    outcome.failure = Failure{Failure::Kind::kRetry,
                              "no handler for job type \"" + r.type + "\" in worker " +
                                  options.name + " (it handles " + known +
                                  "); another worker, or this one after a deploy, may know it",
                              std::nullopt};
  } else {
    call_hook(options.log, "on_start", options.on_start, job);
    outcome = client::run_handler(handler->second, job);
  }
  auto took = steady_clock::now() - started;
  running.fetch_sub(1, std::memory_order_relaxed);
  renewer->remove(r.id);  // invariant 2: the handler is gone

  if (!active->try_claim()) {
    log(LogLevel::kInfo, "job " + r.id + " (" + r.type + ") returned (" +
                             client::describe(outcome) +
                             ") after its lease was lost or it was handed back; not settled");
    free_slot(r.id);
    return;
  }
  if (outcome.ack) {
    settler->ack(*active, std::move(outcome.result));
    call_hook(options.log, "on_success", options.on_success, job, took);
  } else {
    settler->fail(*active, outcome.failure);
    call_hook(options.log, "on_failure", options.on_failure, job, outcome.failure, took);
  }
  free_slot(r.id);
}

void Worker::Impl::free_slot(const std::string& id) {
  {
    std::lock_guard lock(mutex);
    held.erase(id);
  }
  slots_cv.notify_all();
}

}  // namespace spool
