// spool::Worker: runs your handlers for the jobs of some queues, and does the bookkeeping that
// makes a worker correct: leases renewed while a handler runs, outcomes settled, jobs handed back
// on shutdown, reconnection while the server is away.
//
//   spool::Client client = spool::Client::create(spool::ClientOptions::from_env()).value();
//   spool::Worker worker(client, {.queues = {"emails"}, .concurrency = 5});
//   worker.handle("send_release_email", [](spool::Job& job) {
//     send_email(job.payload().at("to").as_string());       // return normally: ack
//   });
//   worker.handle("render_pdf", [](spool::Job& job) -> spool::Outcome {
//     if (!ready()) return spool::Snooze{std::chrono::seconds(30)};
//     return boost::json::value{{"pages", 12}};              // ack with a result
//   });
//   worker.run();  // until SIGTERM/SIGINT or stop()
//
// Outcomes: a handler that returns normally acks (with its result, if it returns one). It may
// return or throw spool::Retry (spend the attempt, back off; `after` overrides the backoff),
// spool::Permanent (straight to dead) or spool::Snooze (wait, no attempt spent). Any other
// exception retries with its what() as the error. A job whose type has no handler (and no "*"
// handler) is retried with a message saying so (another worker, or this one after a deploy, may
// know it).
//
// Leases: each job's lease is renewed at half its length while the handler runs, so a handler may
// run far longer than the lease. If a renewal is refused (the job was cancelled, or the lease was
// lost while the server was unreachable) the job's stop_token is requested; the handler should
// return soon, and whatever it returns is not settled.
//
// Shutdown (stop(), or SIGTERM/SIGINT while run() handles signals): stop reserving; jobs that
// were reserved but not started go back to the queue at once (fail kind "release": no attempt
// spent); running handlers get `shutdown_grace` to finish and settle normally. When the grace
// runs out, each job still running is handed back with "release" and its stop_token is
// requested; run() then waits for those handlers to return (C++ cannot kill a thread) and
// returns.
//
// Reserving and settling: the worker long-polls POST /v1/reserve for as many jobs as it has free
// slots (concurrency + prefetch - jobs held, at most 100 per request). Outcomes go to a settler
// thread that sends POST /v1/settle with everything that piled up while its previous request was
// in flight, so under load one round trip settles many jobs.
//
// Reconnecting: while the server cannot be reached, reserving is retried with a backoff (100 ms
// doubling to 5 s, jittered); the log says once that the server went away and once that it is
// back ("reconnected to http://... after 4.2 s"). Outcomes that could not be sent are retried
// until the job's lease would have run out (after that the server has taken the job back). Lease
// renewals go on being retried, and a lease the server no longer knows is treated as lost.
//
// Hooks: on_start runs just before the handler, on_success or on_failure just after the outcome
// was handed to the settler (not when the server confirmed it). A job whose type has no handler
// gets on_failure only. A job whose lease was lost or that was handed back at shutdown gets
// neither of the two after its handler returns (its outcome is not settled).
//
// Threading: handle() before run(); run() from one thread; stop() from any thread. Handlers run
// on the worker's own threads, up to `concurrency` at once; hooks run on the thread of the job
// they describe. The worker's own threads: one long-polls (the thread of run()), one renews
// leases, one settles, one watches signals while run() handles them, and `concurrency` handler
// threads.
#pragma once

#include <boost/json/value.hpp>
#include <chrono>
#include <concepts>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "spool/client.hpp"
#include "spool/job.hpp"
#include "spool/result.hpp"

namespace spool {
inline namespace v1 {  // see result.hpp

// Spend this attempt and run again after the backoff (or after `after`, when given).
struct Retry : std::runtime_error {
  explicit Retry(std::string message, std::optional<Millis> after = std::nullopt)
      : std::runtime_error(std::move(message)), after(after) {}
  std::optional<Millis> after;
};

// Give up: the job goes to dead with this message, whatever attempts are left.
struct Permanent : std::runtime_error {
  explicit Permanent(std::string message) : std::runtime_error(std::move(message)) {}
};

// Not now: run again after `after` without spending an attempt (waiting on a partner, say).
struct Snooze : std::runtime_error {
  explicit Snooze(Millis after, std::string message = "snoozed")
      : std::runtime_error(std::move(message)), after(after) {}
  Millis after;
};

// What a handler returns: nothing (ack), a result (ack with it), or one of the failures above.
class Outcome {
 public:
  Outcome() = default;  // ack, no result
  Outcome(boost::json::value result) : value_(std::move(result)) {}
  Outcome(Retry retry) : value_(std::move(retry)) {}
  Outcome(Permanent permanent) : value_(std::move(permanent)) {}
  Outcome(Snooze snooze) : value_(std::move(snooze)) {}

  using Variant = std::variant<std::monostate, boost::json::value, Retry, Permanent, Snooze>;
  const Variant& get() const { return value_; }

 private:
  Variant value_;
};

// The handler's view of one job.
class Job {
 public:
  const std::string& id() const { return reserved_.id; }
  const std::string& type() const { return reserved_.type; }
  const std::string& queue() const { return reserved_.queue; }
  int attempt() const { return reserved_.attempt; }  // 1 on the first run
  int max_attempts() const { return reserved_.max_attempts; }
  const boost::json::value& payload() const { return reserved_.payload; }
  const std::vector<std::string>& tags() const { return reserved_.tags; }
  const ReservedJob& reserved() const { return reserved_; }

  // Records progress (any JSON, e.g. {"done": 40, "of": 100}); sent to the server with the next
  // lease renewal, at most a second from now. Only the latest value is kept.
  void progress(boost::json::value value);

  // Requested when this job should stop: its lease was lost (cancelled, or taken back after the
  // server was unreachable too long), or the worker's shutdown grace ran out.
  std::stop_token stop_token() const { return stop_.get_token(); }
  bool stop_requested() const { return stop_.stop_requested(); }

  // When the worker will give up on this job: the end of the shutdown grace once stop() was
  // called, time_point::max() otherwise.
  std::chrono::steady_clock::time_point deadline() const;

  // Internal: the worker creates and drives Jobs.
  struct Shared;
  Job(ReservedJob reserved, std::shared_ptr<Shared> shared, std::stop_source stop);

 private:
  ReservedJob reserved_;
  std::shared_ptr<Shared> shared_;
  std::stop_source stop_;
};

enum class LogLevel { kDebug, kInfo, kWarn, kError };
// "DEBUG", "INFO", "WARN", "ERROR": the word the default log line shows, for a log of your own.
std::string_view log_level_name(LogLevel level);

struct WorkerOptions {
  std::vector<std::string> queues;  // required, 1..32
  int concurrency = 10;             // handlers running at once, 1..1000
  // Jobs reserved ahead of free handlers, 0..1000, so a fast handler finds its next job waiting
  // instead of waiting a round trip for it. Prefetched jobs hold a lease (renewed like the
  // others) that another worker cannot take, and are released at once on shutdown.
  int prefetch = 0;
  std::string name;               // shown on active jobs; default "<hostname>:<pid>"
  std::optional<Millis> lease;    // lease asked for at reserve; default: each job's own
  Millis poll_wait{30'000};       // long poll length when idle (1 ms .. 60 s)
  Millis shutdown_grace{30'000};  // how long running handlers may finish after stop()
  bool handle_signals = true;     // run() stops on SIGTERM and SIGINT

  // One line per event ("reconnected to http://... after 4.2 s"); called from any of the
  // worker's threads, must not throw. Default: "<UTC time> <LEVEL> spool worker: <text>" on
  // stderr, info and above.
  std::function<void(LogLevel, std::string_view)> log;

  // Hooks for metrics; each runs on the job's handler thread and must not throw.
  std::function<void(const Job&)> on_start;
  std::function<void(const Job&, std::chrono::nanoseconds took)> on_success;
  std::function<void(const Job&, const Failure&, std::chrono::nanoseconds took)> on_failure;
};

class Worker {
 public:
  using Handler = std::function<Outcome(Job&)>;

  // `client` must outlive the worker.
  Worker(Client& client, WorkerOptions options);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Registers the handler for one job type; a later call for the same type replaces it.
  // The type "*" (never a real type name) registers the handler for every type that has no
  // handler of its own, as `spool work` does.
  // F is callable as F(Job&) and returns void, boost::json::value or Outcome.
  template <typename F>
  requires std::invocable<F&, Job&>
  void handle(std::string type, F handler) {
    using R = std::invoke_result_t<F&, Job&>;
    if constexpr (std::is_void_v<R>) {
      add_handler(std::move(type), [h = std::move(handler)](Job& job) mutable -> Outcome {
        h(job);
        return Outcome{};
      });
    } else {
      static_assert(std::is_convertible_v<R, Outcome>,
                    "a handler returns void, boost::json::value or spool::Outcome");
      add_handler(std::move(type), [h = std::move(handler)](Job& job) mutable -> Outcome {
        return Outcome(h(job));
      });
    }
  }

  // Works until stopped, then shuts down as described above. Returns an Error
  // ("invalid_argument", naming the option in `field`) only when it could not start: no queues,
  // no handlers, options out of range, or another Worker of this process already handling
  // signals. A server that is down is waited for. May be called again after it returned.
  Result<void> run();

  // Asks run() to shut down; returns at once. Safe from any thread (not from a signal handler:
  // run() handles SIGTERM/SIGINT itself when handle_signals is set; a second signal ends the
  // shutdown grace at once). Called before run(), run() starts and shuts down straight away.
  void stop();

  // How many handlers are running right now.
  int running() const;

 private:
  void add_handler(std::string type, Handler handler);
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace v1
}  // namespace spool
