// The machinery the workloads of `spool bench` share (bench_workloads.hpp): io threads and
// connections (Harness), the progress line, producers that send a fixed request over and over,
// and workers that reserve on one connection and settle on another. producer_workloads.cpp and
// worker_workloads.cpp build the workloads from these; workload_parts.cpp holds the functions.
//
// Ownership: a workload owns its Shared, Harness and Progress for the length of one run.
// Threading: each connection lives on one io thread (Harness); Shared is the only state the
// threads share, through atomics and its mutex; Progress runs its own thread.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "bench/bench_workloads.hpp"

namespace spool::bench::detail {

using namespace std::chrono_literals;

// One io_context per io thread; connections are dealt round-robin so no two threads share one
// and the only cross-thread traffic is a few relaxed atomic counters.
class Harness {
 public:
  Harness(const Options& options, const ServerAddress& server, Shared& shared)
      : target_(server), shared_(shared) {
    const int n = std::max(1, options.threads);
    for (int i = 0; i < n; ++i) {
      ios_.push_back(std::make_unique<asio::io_context>(1));
      shared.contexts.push_back(ios_.back().get());
    }
  }

  // A new connection, connected before the clock starts so setup is not measured.
  Conn& add_conn() { return add_conn(conns_.size()); }
  // `slot` picks the io thread, so the two connections of one worker share a thread.
  Conn& add_conn(std::size_t slot) {
    auto& io = *ios_[slot % ios_.size()];
    conns_.push_back(std::make_unique<Conn>(io, target_));
    if (auto ec = conns_.back()->connect_now()) {
      std::string why = ec == asio::error::connection_refused ? "connection refused" : ec.message();
      throw Fatal("cannot connect to " + target_.url + " (" + why + "). Is `spool serve` running?");
    }
    return *conns_.back();
  }

  template <typename Awaitable>
  void spawn(asio::io_context& io, Awaitable a) {
    asio::co_spawn(io, std::move(a), [shared = &shared_](const std::exception_ptr& e) {
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& x) {
        shared->fail(std::string("internal error in the bench client: ") + x.what());
      }
    });
  }

  // Closes every connection from its own thread: that is how parked long polls end.
  void close_all() {
    for (auto& c : conns_) asio::post(c->io(), [conn = c.get()] { conn->close(); });
  }

  void run() {
    std::vector<std::thread> threads;
    for (std::size_t i = 1; i < ios_.size(); ++i) threads.emplace_back([&, i] { ios_[i]->run(); });
    ios_[0]->run();
    for (auto& thread : threads) thread.join();
  }

  std::vector<std::unique_ptr<Conn>>& conns() { return conns_; }

 private:
  const ServerAddress& target_;
  Shared& shared_;
  std::vector<std::unique_ptr<asio::io_context>> ios_;
  std::vector<std::unique_ptr<Conn>> conns_;
};

// Progress on stderr from its own thread: a bar redrawn in place on a terminal, a plain line every
// two seconds otherwise (CI logs). It also ends a run that has stopped moving.
class Progress {
 public:
  Progress(std::string label, Shared& shared, std::uint64_t target_jobs,
           SteadyClock::duration target_time, SteadyClock::duration stall_after)
      : label_(std::move(label)),
        sh_(shared),
        target_jobs_(target_jobs),
        target_time_(target_time),
        stall_after_(stall_after),
        tty_(::isatty(2) == 1),
        start_(SteadyClock::now()) {
    sh_.last_progress_ns.store(now_ns());
    thread_ = std::thread([this] { loop(); });
  }
  ~Progress() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
    if (tty_) std::fputs("\r\033[K", stderr);
  }

 private:
  void loop() {
    auto next_line = start_ + 2s;
    std::unique_lock lock(mu_);
    while (!cv_.wait_for(lock, tty_ ? 100ms : 250ms, [this] { return stop_; })) {
      const auto now = SteadyClock::now();
      const auto idle = std::chrono::nanoseconds(now_ns() - sh_.last_progress_ns.load());
      if (idle > stall_after_ && !sh_.stopping.load()) {
        sh_.fail(label_ + ": stalled, no job finished for " +
                 std::to_string(std::chrono::duration_cast<std::chrono::seconds>(idle).count()) +
                 " s");
      }
      if (!tty_ && now < next_line) continue;
      next_line = now + 2s;
      print(now);
    }
  }

  void print(SteadyClock::time_point now) {
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    const auto done = sh_.done.load(std::memory_order_relaxed);
    const auto errors = sh_.errors.load(std::memory_order_relaxed);
    double frac = 0;
    if (target_jobs_ > 0) {
      frac = double(done) / double(target_jobs_);
    } else if (target_time_.count() > 0) {
      frac = elapsed / std::chrono::duration<double>(target_time_).count();
    }
    frac = std::clamp(frac, 0.0, 1.0);
    const double rate = elapsed > 0 ? double(done) / elapsed : 0;
    if (tty_) {
      constexpr int kWidth = 24;
      const int filled = int(frac * kWidth);
      std::string bar(filled, '#');
      bar.append(kWidth - filled, '.');
      std::fprintf(stderr, "\r\033[K  %-12s [%s] %3d%%  %llu jobs  %.0f jobs/s  %.1fs  errors %llu",
                   label_.c_str(), bar.c_str(), int(frac * 100), (unsigned long long)done, rate,
                   elapsed, (unsigned long long)errors);
    } else {
      std::fprintf(stderr, "spool bench: %s %.1fs %llu jobs %.0f jobs/s errors %llu\n",
                   label_.c_str(), elapsed, (unsigned long long)done, rate,
                   (unsigned long long)errors);
    }
    std::fflush(stderr);
  }

  std::string label_;
  Shared& sh_;
  std::uint64_t target_jobs_;
  SteadyClock::duration target_time_;
  SteadyClock::duration stall_after_;
  bool tty_;
  SteadyClock::time_point start_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

double seconds_between(SteadyClock::time_point a, SteadyClock::time_point b);

// Merges per-connection samples (nanoseconds) into p50/p99/max in milliseconds.
void set_percentiles(WorkloadResult& r, std::vector<std::vector<std::uint64_t>>& per_conn);

// Copies the error count and first error into the row; throws Fatal if the run gave up.
void finish(WorkloadResult& r, Shared& shared);

// One job's JSON for POST /v1/jobs, and a batch of `n` for POST /v1/jobs/batch.
std::string job_json(const std::string& queue, std::string_view payload);
std::string batch_json(const std::string& queue, std::size_t n, std::size_t payload_bytes,
                       std::uint64_t seq0);

// What a producer connection sends: `total` requests of `per` jobs each (the last one may carry
// fewer), or as many as fit before `deadline` when total is 0.
struct ProducePlan {
  std::string wire;
  std::size_t per = 1;
  std::uint64_t total = 0;
  std::string last_wire;
  std::size_t last_per = 0;
  SteadyClock::time_point deadline;
  std::atomic<std::uint64_t> issued{0};
};

// Runs `conns` producers on the plan; returns elapsed seconds and fills the latency samples.
double run_producers(const Options& options, const ServerAddress& server, Shared& shared,
                     ProducePlan& plan, int conns, const std::string& label,
                     std::uint64_t target_jobs, std::vector<std::vector<std::uint64_t>>& latencies);

// A pause after an error so a worker that keeps getting 4xx does not spin the CPU.
asio::awaitable<void> pause(std::chrono::milliseconds d);

// The jobs of a reserve answer: ids and lease tokens, found by string search; a JSON parse is the
// fallback when the two lists do not pair up (an unexpected shape).
struct Reserved {
  std::vector<std::string_view> ids, leases;
  std::vector<std::string> owned;
  std::vector<std::int64_t> sent_ns;  // latency probe timestamps, when asked for

  bool parse(std::string_view body, bool want_sent) {
    ids.clear();
    leases.clear();
    owned.clear();
    sent_ns.clear();
    find_string_values(body, "id", ids);
    find_string_values(body, "lease", leases);
    if (ids.size() != leases.size()) {
      if (!parse_json(body)) return false;
    }
    if (want_sent) {
      // Each job's payload carries "sent_ns"; scan them in order.
      std::size_t from = 0;
      for (std::size_t i = 0; i < ids.size(); ++i) {
        auto p = body.find("\"sent_ns\":", from);
        if (p == std::string_view::npos) break;
        auto v = find_int_value(body.substr(p), "sent_ns");
        if (v) sent_ns.push_back(*v);
        from = p + 1;
      }
    }
    return true;
  }

  bool parse_json(std::string_view body) {
    ids.clear();
    leases.clear();
    boost::system::error_code ec;
    auto v = boost::json::parse(body, ec);
    if (ec || !v.is_object()) return false;
    const auto* jobs = v.as_object().if_contains("jobs");
    if (!jobs || !jobs->is_array()) return false;
    for (const auto& j : jobs->as_array()) {
      const auto* id = j.is_object() ? j.as_object().if_contains("id") : nullptr;
      const auto* lease = j.is_object() ? j.as_object().if_contains("lease") : nullptr;
      if (!id || !lease || !id->is_string()) return false;
      owned.emplace_back(id->as_string());
      owned.emplace_back(lease->is_string() ? std::string(lease->as_string())
                                            : boost::json::serialize(*lease));
    }
    for (std::size_t i = 0; i + 1 < owned.size(); i += 2) {
      ids.push_back(owned[i]);
      leases.push_back(owned[i + 1]);
    }
    return true;
  }
};

// Jobs a worker has received and not yet acked. The worker's reserve loop fills it and goes
// straight back to its long poll; an acker on a second connection empties it with settle calls.
// Keeping the ack off the reserve path is what a real worker does, and it keeps the measured
// figures about the server: with strict durability a settle waits for an fsync, and a worker
// that waited for it before reserving again would cap the delivery rate itself.
struct AckQueue {
  explicit AckQueue(asio::io_context& io) : wake(io) {}
  std::vector<std::string> ids, leases;
  asio::steady_timer wake;

  void add(const Reserved& r) {
    for (std::size_t i = 0; i < r.ids.size(); ++i) {
      ids.emplace_back(r.ids[i]);
      leases.emplace_back(r.leases[i]);
    }
    wake.cancel();
  }
};

// Settles everything queued, up to 1000 acks per call (the API's limit). Counts refused items as
// errors and, when `count_done`, successful acks as progress.
asio::awaitable<void> acker(Conn& c, Shared& shared, const ServerAddress& server, AckQueue& pending,
                            bool count_done, std::function<void()> after_settle = {});

// The body of a POST /v1/settle that acks ids[i] with leases[i].
template <typename Strings>
std::string ack_body(const Strings& ids, const Strings& leases, std::size_t n) {
  std::string body = "{\"ack\":[";
  for (std::size_t i = 0; i < n; ++i) {
    if (i) body.push_back(',');
    body.append("{\"id\":\"").append(ids[i]).append("\",\"lease\":\"");
    body.append(leases[i]).append("\"}");
  }
  body.append("]}");
  return body;
}

// One reserve round trip on `c`: true when the answer's jobs (perhaps none) are in `reserved`;
// false after a refused or unreadable answer, which is counted and paused after.
asio::awaitable<bool> reserve_once(Conn& c, Shared& shared, const ServerAddress& server,
                                   const std::string& wire, Reply& reply, Reserved& reserved);

// Acks every job of `reserved` in one POST /v1/settle on `c`, as a worker loop does before it
// reserves again. Answers how many were acked; refused ones are counted as errors.
asio::awaitable<std::size_t> settle_all(Conn& c, Shared& shared, const ServerAddress& server,
                                        const Reserved& reserved, Reply& reply);

// As settle_all, with the worker's next reserve in the same request (settle's "reserve"):
// `reserved` then holds the jobs of the answer, as views into `reply`. Answers how many of the
// jobs it had were acked.
asio::awaitable<std::size_t> settle_and_reserve(Conn& c, Shared& shared,
                                                const ServerAddress& server, Reserved& reserved,
                                                const std::string& reserve_body, Reply& reply);

// The body of a POST /v1/reserve for worker number `worker`.
std::string reserve_json(const std::string& queue, int max, int wait_ms, int worker);

// Worker connections for the latency and delayed workloads: worker i reserves on connection 2i
// and acks on 2i + 1 through acks[i].
std::vector<std::unique_ptr<AckQueue>> add_worker_conns(Harness& harness, int workers);

// Spawns the workers (on the connections add_worker_conns made), the producers (on the ones
// added after them) and a closer that ends the run once every producer is done and every job
// they sent reached a worker, or at `give_up`; then runs the harness to its end.
template <typename Worker, typename Producer>
void run_workers_and_producers(Harness& harness, Shared& shared, const ServerAddress& server,
                               std::vector<std::unique_ptr<AckQueue>>& acks, int producers,
                               Worker& worker, Producer& producer,
                               const std::atomic<std::uint64_t>& sent,
                               const std::atomic<int>& producers_left,
                               SteadyClock::time_point give_up) {
  const int workers = static_cast<int>(acks.size());
  auto closer = [&]() -> asio::awaitable<void> {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    for (;;) {
      timer.expires_after(10ms);
      boost::system::error_code ec;
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      if (shared.stopping.load()) co_return;
      if (producers_left.load() > 0) continue;
      if (shared.done.load() >= sent.load() || SteadyClock::now() > give_up) break;
    }
    const auto missing = sent.load() - std::min(sent.load(), shared.done.load());
    if (missing > 0) {
      shared.error(std::to_string(missing) + " enqueued jobs never reached a worker within 5 s",
                   missing);
    }
    shared.stopping = true;
    harness.close_all();
  };
  for (int i = 0; i < workers; ++i) {
    auto& c = *harness.conns()[2 * std::size_t(i)];
    auto& a = *harness.conns()[2 * std::size_t(i) + 1];
    harness.spawn(c.io(), worker(c, i));
    harness.spawn(a.io(), acker(a, shared, server, *acks[std::size_t(i)], false));
  }
  for (int i = 0; i < producers; ++i) {
    auto& c = *harness.conns()[2 * std::size_t(workers) + std::size_t(i)];
    harness.spawn(c.io(), producer(c, i));
  }
  harness.spawn(harness.conns()[0]->io(), closer());
  harness.run();
}

}  // namespace spool::bench::detail
