// spool::Worker's public API, its option checks, and run(): starting the parts, then the
// shutdown (worker.hpp "Shutdown").
#include <unistd.h>

#include <csignal>
#include <limits>
#include <regex>

#include "client/signal_watch.hpp"
#include "client/worker_impl.hpp"

namespace spool {

using client::ActiveJob;
using std::chrono::steady_clock;

namespace {

constexpr std::int64_t kNoDeadline = std::numeric_limits<std::int64_t>::max();

std::string default_name() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return std::string(*host ? host : "worker") + ":" + std::to_string(::getpid());
}

Error invalid(std::string message, std::string field) {
  return Error{"invalid_argument", std::move(message), std::move(field), 0};
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

}  // namespace

Worker::Impl::Impl(Client& client_ref, WorkerOptions opts)
    : client(client_ref),
      options(std::move(opts)),
      deadline_ns(std::make_shared<std::atomic<std::int64_t>>(kNoDeadline)) {
  if (options.name.empty()) options.name = default_name();
  if (!options.log) options.log = client::default_log_sink();
  display_url = client.options().url;
}

Result<void> Worker::Impl::check_options() const {
  static const std::regex kName("[A-Za-z0-9_.:-]{1,128}");
  if (options.queues.empty() || options.queues.size() > 32) {
    return tl::unexpected(invalid("a worker needs 1 to 32 queues to reserve from, got " +
                                      std::to_string(options.queues.size()),
                                  "queues"));
  }
  for (const auto& q : options.queues) {
    if (!std::regex_match(q, kName)) {
      return tl::unexpected(invalid(
          "queue name \"" + q + "\" is not valid: use 1 to 128 of A-Z a-z 0-9 _ . : -", "queues"));
    }
  }
  if (options.concurrency < 1 || options.concurrency > 1000) {
    return tl::unexpected(invalid(
        "concurrency must be 1..1000, got " + std::to_string(options.concurrency), "concurrency"));
  }
  if (options.prefetch < 0 || options.prefetch > 1000) {
    return tl::unexpected(
        invalid("prefetch must be 0..1000, got " + std::to_string(options.prefetch), "prefetch"));
  }
  if (options.poll_wait < Millis(1) || options.poll_wait > Millis(60'000)) {
    return tl::unexpected(invalid(
        "poll_wait must be 1 ms .. 60 s, got " + std::to_string(options.poll_wait.count()) + " ms",
        "poll_wait"));
  }
  if (options.lease && (*options.lease < Millis(100) || *options.lease > Millis(86'400'000))) {
    return tl::unexpected(invalid(
        "lease must be 100 ms .. 24 h, got " + std::to_string(options.lease->count()) + " ms",
        "lease"));
  }
  if (options.shutdown_grace < Millis(0)) {
    return tl::unexpected(invalid("shutdown_grace must not be negative", "shutdown_grace"));
  }
  if (handlers.empty()) {
    return tl::unexpected(
        invalid("no handlers: call handle(type, handler) before run()", "handlers"));
  }
  return {};
}

void Worker::Impl::request_stop() {
  std::lock_guard lock(mutex);
  stop.request_stop();
}

void Worker::Impl::end_grace_now() {
  {
    std::lock_guard lock(mutex);
    grace_cut = true;
    stop.request_stop();
  }
  slots_cv.notify_all();
}

void Worker::Impl::shut_down() {
  auto now = steady_clock::now();
  auto grace_end = now + options.shutdown_grace;
  deadline_ns->store(grace_end.time_since_epoch().count());

  // Jobs reserved but not started go back at once: another worker can run them now.
  auto unstarted = pool->take_unstarted();
  for (const auto& job : unstarted) {
    release_unstarted(job, "the worker is shutting down; handed back before it started");
  }
  std::size_t still_running;
  {
    std::lock_guard lock(mutex);
    still_running = held.size();
  }
  log(LogLevel::kInfo, "shutting down: handed back " + std::to_string(unstarted.size()) +
                           " jobs not started; waiting up to " +
                           client::describe_duration(options.shutdown_grace) + " for " +
                           std::to_string(still_running) + " running");

  {
    std::unique_lock lock(mutex);
    slots_cv.wait_until(lock, grace_end, [&] { return held.empty() || grace_cut; });
  }

  // The grace is over: hand back what still runs, and ask its handlers to stop.
  std::vector<std::shared_ptr<ActiveJob>> left;
  {
    std::lock_guard lock(mutex);
    for (const auto& [id, job] : held) left.push_back(job);
  }
  int handed_back = 0;
  for (const auto& job : left) {
    if (!job->try_claim()) continue;  // its handler returned just now and settles it
    renewer->remove(job->reserved.id);
    settler->fail(*job, Failure{Failure::Kind::kRelease,
                                "the worker shut down before the handler finished (shutdown "
                                "grace " +
                                    client::describe_duration(options.shutdown_grace) + ")",
                                std::nullopt});
    job->stop.request_stop();
    ++handed_back;
  }
  if (handed_back > 0) {
    log(LogLevel::kWarn, "the shutdown grace ran out: handed back " + std::to_string(handed_back) +
                             " jobs still running and asked their handlers to stop; waiting "
                             "for them to return");
  }
  pool->close_and_join();
  renewer->stop();
  // Outcomes not yet confirmed get a little time even with no grace, not forever.
  settler->finish(std::max(grace_end, steady_clock::now() + std::chrono::seconds(2)));
  pool.reset();
  renewer.reset();
  settler.reset();
  presence.reset();
  deadline_ns->store(kNoDeadline);
  log(LogLevel::kInfo, "stopped");
}

Worker::Worker(Client& client, WorkerOptions options)
    : impl_(std::make_unique<Impl>(client, std::move(options))) {}

Worker::~Worker() = default;

void Worker::add_handler(std::string type, Handler handler) {
  impl_->handlers[std::move(type)] = std::move(handler);
}

Result<void> Worker::run() {
  Impl& w = *impl_;
  if (auto ok = w.check_options(); !ok) return ok;
  std::stop_token stop;
  {
    std::lock_guard lock(w.mutex);
    if (w.in_run) return tl::unexpected(invalid("run() is already running", "run"));
    w.in_run = true;
    w.grace_cut = false;
    stop = w.stop.get_token();
  }
  auto done = [&w] {
    std::lock_guard lock(w.mutex);
    w.in_run = false;
    w.stop = std::stop_source();
  };

  std::unique_ptr<client::SignalWatch> signals;
  if (w.options.handle_signals) {
    signals = client::SignalWatch::start([&w](int signo, int count) {
      const char* name = signo == SIGTERM ? "SIGTERM" : "SIGINT";
      if (count == 1) {
        w.log(LogLevel::kInfo, std::string("got ") + name +
                                   ": shutting down (a second signal hands back running jobs "
                                   "at once)");
        w.request_stop();
      } else {
        w.log(LogLevel::kWarn,
              std::string("got ") + name + " again: handing back the running jobs now");
        w.end_grace_now();
      }
    });
    if (!signals) {
      done();
      return tl::unexpected(invalid(
          "another Worker of this process handles SIGTERM/SIGINT already; set handle_signals "
          "= false on this one and call stop() yourself",
          "handle_signals"));
    }
  }

  w.presence = std::make_unique<client::ServerPresence>(w.display_url, w.options.log);
  w.renewer =
      std::make_unique<client::LeaseRenewer>(w.client, *w.presence, w.options.log, w.options.lease);
  w.settler = std::make_unique<client::Settler>(w.client, *w.presence, w.options.log);
  w.renewer->start();
  w.settler->start();
  w.pool = std::make_unique<client::HandlerPool>(
      w.options.concurrency, [&w](std::shared_ptr<ActiveJob> job) { w.run_job(std::move(job)); });

  std::string types;
  for (const auto& [type, handler] : w.handlers) types += (types.empty() ? "" : ", ") + type;
  w.log(LogLevel::kInfo, "worker " + w.options.name + " working on queues " +
                             join(w.options.queues) + " at " + w.display_url + " (concurrency " +
                             std::to_string(w.options.concurrency) + ", handles " + types + ")");

  w.reserve_loop(stop);
  w.shut_down();
  signals.reset();
  done();
  return {};
}

void Worker::stop() { impl_->request_stop(); }

int Worker::running() const { return impl_->running.load(std::memory_order_relaxed); }

}  // namespace spool
