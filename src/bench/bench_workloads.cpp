#include "bench/bench_workloads.hpp"

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
#include <thread>

namespace spool::cli::bench {

namespace {

using namespace std::chrono_literals;

// One io_context per io thread; connections are dealt round-robin so no two threads share one
// and the only cross-thread traffic is a few relaxed atomic counters.
class Harness {
 public:
  Harness(const Options& o, const Target& t, Shared& sh) : target_(t), shared_(sh) {
    const int n = std::max(1, o.threads);
    for (int i = 0; i < n; ++i) {
      ios_.push_back(std::make_unique<asio::io_context>(1));
      sh.contexts.push_back(ios_.back().get());
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
    asio::co_spawn(io, std::move(a), [sh = &shared_](std::exception_ptr e) {
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& x) {
        sh->fail(std::string("internal error in the bench client: ") + x.what());
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
    for (auto& t : threads) t.join();
  }

  std::vector<std::unique_ptr<Conn>>& conns() { return conns_; }

 private:
  const Target& target_;
  Shared& shared_;
  std::vector<std::unique_ptr<asio::io_context>> ios_;
  std::vector<std::unique_ptr<Conn>> conns_;
};

// Progress on stderr from its own thread: a bar redrawn in place on a terminal, a plain line every
// two seconds otherwise (CI logs). It also ends a run that has stopped moving.
class Progress {
 public:
  Progress(std::string label, Shared& sh, std::uint64_t target_jobs, Clock::duration target_time,
           Clock::duration stall_after)
      : label_(std::move(label)),
        sh_(sh),
        target_jobs_(target_jobs),
        target_time_(target_time),
        stall_after_(stall_after),
        tty_(::isatty(2) == 1),
        start_(Clock::now()) {
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
      const auto now = Clock::now();
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

  void print(Clock::time_point now) {
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
  Clock::duration target_time_;
  Clock::duration stall_after_;
  bool tty_;
  Clock::time_point start_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

double seconds_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// Merges per-connection samples (nanoseconds) into p50/p99/max in milliseconds.
void set_percentiles(WorkloadResult& r, std::vector<std::vector<std::uint64_t>>& per_conn) {
  std::vector<std::uint64_t> all;
  std::size_t n = 0;
  for (auto& v : per_conn) n += v.size();
  if (n == 0) return;
  all.reserve(n);
  for (auto& v : per_conn) all.insert(all.end(), v.begin(), v.end());
  auto at = [&](double q) {
    std::size_t k = std::min(all.size() - 1, std::size_t(q * double(all.size())));
    std::nth_element(all.begin(), all.begin() + std::ptrdiff_t(k), all.end());
    return double(all[k]) / 1e6;
  };
  r.p50_ms = at(0.50);
  r.p99_ms = at(0.99);
  r.max_ms = double(*std::max_element(all.begin(), all.end())) / 1e6;
}

void finish(WorkloadResult& r, Shared& sh) {
  r.errors = sh.errors.load();
  std::lock_guard lock(sh.mu);
  r.first_error = sh.first_error;
  if (sh.fatal.load()) throw Fatal(sh.fatal_message);
}

std::string job_json(const std::string& queue, std::string_view payload) {
  std::string s = "{\"type\":\"bench\",\"queue\":\"";
  s.append(queue).append("\",\"payload\":").append(payload).append("}");
  return s;
}

std::string batch_json(const std::string& queue, std::size_t n, std::size_t payload_bytes,
                       std::uint64_t seq0) {
  std::string s = "{\"jobs\":[";
  for (std::size_t i = 0; i < n; ++i) {
    if (i) s.push_back(',');
    s.append(job_json(queue, make_payload(payload_bytes, seq0 + i)));
  }
  s.append("]}");
  return s;
}

// What a producer connection sends: `total` requests of `per` jobs each (the last one may carry
// fewer), or as many as fit before `deadline` when total is 0.
struct ProducePlan {
  std::string wire;
  std::size_t per = 1;
  std::uint64_t total = 0;
  std::string last_wire;
  std::size_t last_per = 0;
  Clock::time_point deadline;
  std::atomic<std::uint64_t> issued{0};
};

asio::awaitable<void> produce(Conn& c, Shared& sh, const Target& t, ProducePlan& plan,
                              std::vector<std::uint64_t>& lat) {
  Reply r;
  while (!sh.stopping.load(std::memory_order_relaxed)) {
    std::string_view wire = plan.wire;
    std::size_t per = plan.per;
    if (plan.total > 0) {
      const auto ticket = plan.issued.fetch_add(1, std::memory_order_relaxed);
      if (ticket >= plan.total) break;
      if (ticket + 1 == plan.total && !plan.last_wire.empty()) {
        wire = plan.last_wire;
        per = plan.last_per;
      }
    } else if (Clock::now() >= plan.deadline) {
      break;
    }
    const auto t0 = Clock::now();
    co_await c.roundtrip(wire, r);
    const auto t1 = Clock::now();
    if (sh.check(r, t)) {
      lat.push_back(std::uint64_t(std::chrono::nanoseconds(t1 - t0).count()));
      sh.progress(per);
    }
  }
}

// Runs `conns` producers on the plan; returns elapsed seconds and fills the latency samples.
double run_producers(const Options& o, const Target& t, Shared& sh, ProducePlan& plan, int conns,
                     const std::string& label, std::uint64_t target_jobs,
                     std::vector<std::vector<std::uint64_t>>& lat) {
  Harness h(o, t, sh);
  lat.assign(std::size_t(conns), {});
  for (int i = 0; i < conns; ++i) h.add_conn();
  const auto start = Clock::now();
  plan.deadline = start + o.duration;
  {
    Progress p(label, sh, target_jobs, target_jobs ? Clock::duration{} : o.duration, 30s);
    for (int i = 0; i < conns; ++i) {
      auto& c = *h.conns()[std::size_t(i)];
      h.spawn(c.io(), produce(c, sh, t, plan, lat[std::size_t(i)]));
    }
    h.run();
  }
  return seconds_between(start, Clock::now());
}

// A pause after an error so a worker that keeps getting 4xx does not spin the CPU.
asio::awaitable<void> pause(std::chrono::milliseconds d) {
  asio::steady_timer timer(co_await asio::this_coro::executor, d);
  boost::system::error_code ec;
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

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
asio::awaitable<void> acker(Conn& c, Shared& sh, const Target& t, AckQueue& q, bool count_done,
                            std::function<void()> after_settle = {}) {
  Reply reply;
  std::string body, wire;
  std::vector<std::string> ids, leases;
  for (;;) {
    if (q.ids.empty()) {
      if (sh.stopping.load()) break;
      // A bounded wait, so shutdown needs no extra signal: the loop sees `stopping` soon enough.
      q.wake.expires_after(50ms);
      boost::system::error_code ec;
      co_await q.wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    const std::size_t n = std::min<std::size_t>(q.ids.size(), 1000);
    ids.assign(std::make_move_iterator(q.ids.begin()), std::make_move_iterator(q.ids.begin() + n));
    leases.assign(std::make_move_iterator(q.leases.begin()),
                  std::make_move_iterator(q.leases.begin() + n));
    q.ids.erase(q.ids.begin(), q.ids.begin() + n);
    q.leases.erase(q.leases.begin(), q.leases.begin() + n);
    body = "{\"ack\":[";
    for (std::size_t i = 0; i < n; ++i) {
      if (i) body.push_back(',');
      body.append("{\"id\":\"").append(ids[i]).append("\",\"lease\":\"");
      body.append(leases[i]).append("\"}");
    }
    body.append("]}");
    wire = build_request(t, "POST", "/v1/settle", body);
    co_await c.roundtrip(wire, reply);
    if (!sh.check(reply, t)) {
      if (sh.stopping.load()) break;
      continue;
    }
    const std::size_t failed = std::min(n, count_occurrences(reply.body, "\"error\""));
    if (failed > 0 && !sh.stopping.load()) {
      sh.error("settle: " + std::to_string(failed) + " of " + std::to_string(n) +
                   " acks refused, e.g. " + reply.body.substr(0, 200),
               failed);
    }
    if (count_done) sh.progress(n - failed);
    if (after_settle) after_settle();
  }
}

std::string reserve_json(const std::string& queue, int max, int wait_ms, int worker) {
  return "{\"queues\":[\"" + queue + "\"],\"max\":" + std::to_string(max) +
         ",\"wait_ms\":" + std::to_string(wait_ms) + ",\"worker\":\"bench-" +
         std::to_string(worker) + "\"}";
}

}  // namespace

std::vector<WorkloadResult> run_enqueue(const Options& o, const Target& t,
                                        const std::string& queue) {
  Shared sh;
  ProducePlan plan;
  plan.wire = build_request(t, "POST", "/v1/jobs",
                            job_json(queue, make_payload(std::size_t(o.payload_bytes), 1)));
  plan.total = o.jobs.value_or(0);
  std::vector<std::vector<std::uint64_t>> lat;
  WorkloadResult r{.workload = "enqueue"};
  r.seconds = run_producers(o, t, sh, plan, o.connections, "enqueue", plan.total, lat);
  r.jobs = sh.done.load();
  r.jobs_per_s = r.seconds > 0 ? double(r.jobs) / r.seconds : 0;
  set_percentiles(r, lat);
  r.note = "single POST /v1/jobs, " + std::to_string(o.connections) + " in flight";
  finish(r, sh);
  return {r};
}

std::vector<WorkloadResult> run_batch(const Options& o, const Target& t, const std::string& queue) {
  Shared sh;
  ProducePlan plan;
  const auto per = std::size_t(o.batch);
  plan.per = per;
  plan.wire = build_request(t, "POST", "/v1/jobs/batch",
                            batch_json(queue, per, std::size_t(o.payload_bytes), 0));
  if (o.jobs) {
    plan.total = (*o.jobs + per - 1) / per;
    if (const auto rest = *o.jobs % per) {
      plan.last_per = rest;
      plan.last_wire = build_request(t, "POST", "/v1/jobs/batch",
                                     batch_json(queue, rest, std::size_t(o.payload_bytes), 0));
    }
  }
  std::vector<std::vector<std::uint64_t>> lat;
  WorkloadResult r{.workload = "batch"};
  r.seconds = run_producers(o, t, sh, plan, o.connections, "batch", o.jobs.value_or(0), lat);
  r.jobs = sh.done.load();
  r.jobs_per_s = r.seconds > 0 ? double(r.jobs) / r.seconds : 0;
  set_percentiles(r, lat);
  r.note = "POST /v1/jobs/batch of " + std::to_string(per) + ", " + std::to_string(o.connections) +
           " in flight";
  finish(r, sh);
  return {r};
}

std::vector<WorkloadResult> run_e2e(const Options& o, const Target& t, const std::string& queue) {
  const std::uint64_t n = o.jobs.value_or(o.e2e_jobs);
  const auto per = std::size_t(o.batch);
  const int workers = o.workers.value_or(8);

  // Phase 1: fill the queue with batches.
  Shared sh1;
  ProducePlan plan;
  plan.per = per;
  plan.wire = build_request(t, "POST", "/v1/jobs/batch",
                            batch_json(queue, per, std::size_t(o.payload_bytes), 0));
  plan.total = (n + per - 1) / per;
  if (const auto rest = n % per) {
    plan.last_per = rest;
    plan.last_wire = build_request(t, "POST", "/v1/jobs/batch",
                                   batch_json(queue, rest, std::size_t(o.payload_bytes), 0));
  }
  std::vector<std::vector<std::uint64_t>> lat;
  const int conns = int(std::min<std::uint64_t>(std::uint64_t(o.connections), plan.total));
  const double enqueue_s = run_producers(o, t, sh1, plan, conns, "e2e enqueue", n, lat);
  WorkloadResult fill{.workload = "e2e-enqueue"};
  fill.seconds = enqueue_s;
  fill.jobs = sh1.done.load();
  fill.jobs_per_s = enqueue_s > 0 ? double(fill.jobs) / enqueue_s : 0;
  finish(fill, sh1);

  // Phase 2: drain with workers that reserve up to 100 at a time, each with an acker that
  // settles what it received in batches on a second connection.
  Shared sh2;
  Harness h(o, t, sh2);
  std::vector<std::unique_ptr<AckQueue>> acks;
  for (int i = 0; i < workers; ++i) {
    h.add_conn(std::size_t(i));
    h.add_conn(std::size_t(i));
    acks.push_back(std::make_unique<AckQueue>(h.conns().back()->io()));
  }
  const std::uint64_t want = fill.jobs;
  const auto start = Clock::now();
  auto worker = [&](Conn& c, int index) -> asio::awaitable<void> {
    const std::string reserve_wire =
        build_request(t, "POST", "/v1/reserve", reserve_json(queue, 100, o.wait_ms, index));
    Reply reply;
    Reserved res;
    auto& q = *acks[std::size_t(index)];
    while (!sh2.stopping.load(std::memory_order_relaxed)) {
      co_await c.roundtrip(reserve_wire, reply);
      if (!sh2.check(reply, t)) {
        co_await pause(10ms);
        continue;
      }
      if (!res.parse(reply.body, false)) {
        if (!sh2.stopping.load())
          sh2.error("reserve: cannot read the answer: " + reply.body.substr(0, 200));
        co_await pause(10ms);
        continue;
      }
      if (!res.ids.empty()) q.add(res);
    }
  };
  auto all_acked = [&] {
    if (sh2.done.load() >= want && !sh2.stopping.exchange(true)) h.close_all();
  };
  {
    Progress p("e2e drain", sh2, want, {}, 30s);
    if (want == 0) sh2.stopping = true;
    for (int i = 0; i < workers; ++i) {
      auto& c = *h.conns()[std::size_t(2 * i)];
      auto& a = *h.conns()[std::size_t(2 * i + 1)];
      h.spawn(c.io(), worker(c, i));
      h.spawn(a.io(), acker(a, sh2, t, *acks[std::size_t(i)], true, all_acked));
    }
    h.run();
  }
  const double drain_s = seconds_between(start, Clock::now());

  WorkloadResult total{.workload = "e2e"};
  total.jobs = std::min(sh2.done.load(), want);
  total.seconds = enqueue_s + drain_s;
  total.jobs_per_s = total.seconds > 0 ? double(total.jobs) / total.seconds : 0;
  total.note = "enqueue " + std::to_string(n) + " in batches of " + std::to_string(per) +
               ", then " + std::to_string(workers) + " workers reserve 100 and ack in batches";
  WorkloadResult drain{.workload = "e2e-drain"};
  drain.jobs = total.jobs;
  drain.seconds = drain_s;
  drain.jobs_per_s = drain_s > 0 ? double(drain.jobs) / drain_s : 0;
  drain.note = "reserve max=100 wait_ms=" + std::to_string(o.wait_ms) +
               ", settle acks on a second connection per worker";
  finish(drain, sh2);
  total.errors = fill.errors + drain.errors;
  total.first_error = fill.first_error.empty() ? drain.first_error : fill.first_error;
  return {total, drain};
}

// Worker connections for the latency and delayed workloads: worker i reserves on connection 2i
// and acks on 2i + 1 through acks[i].
std::vector<std::unique_ptr<AckQueue>> add_worker_conns(Harness& h, int workers) {
  std::vector<std::unique_ptr<AckQueue>> acks;
  for (int i = 0; i < workers; ++i) {
    h.add_conn(std::size_t(i));
    h.add_conn(std::size_t(i));
    acks.push_back(std::make_unique<AckQueue>(h.conns().back()->io()));
  }
  return acks;
}

// Spawns the workers (on the connections add_worker_conns made), the producers (on the ones
// added after them) and a closer that ends the run once every producer is done and every job
// they sent reached a worker, or at `give_up`; then runs the harness to its end.
template <typename Worker, typename Producer>
void run_workers_and_producers(Harness& h, Shared& sh, const Target& t,
                               std::vector<std::unique_ptr<AckQueue>>& acks, int producers,
                               Worker& worker, Producer& producer,
                               const std::atomic<std::uint64_t>& sent,
                               const std::atomic<int>& producers_left, Clock::time_point give_up) {
  const int workers = static_cast<int>(acks.size());
  auto closer = [&]() -> asio::awaitable<void> {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    for (;;) {
      timer.expires_after(10ms);
      boost::system::error_code ec;
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      if (sh.stopping.load()) co_return;
      if (producers_left.load() > 0) continue;
      if (sh.done.load() >= sent.load() || Clock::now() > give_up) break;
    }
    const auto missing = sent.load() - std::min(sent.load(), sh.done.load());
    if (missing > 0) {
      sh.error(std::to_string(missing) + " enqueued jobs never reached a worker within 5 s",
               missing);
    }
    sh.stopping = true;
    h.close_all();
  };
  for (int i = 0; i < workers; ++i) {
    auto& c = *h.conns()[std::size_t(2 * i)];
    auto& a = *h.conns()[std::size_t(2 * i + 1)];
    h.spawn(c.io(), worker(c, i));
    h.spawn(a.io(), acker(a, sh, t, *acks[std::size_t(i)], false));
  }
  for (int i = 0; i < producers; ++i) {
    auto& c = *h.conns()[std::size_t(2 * workers + i)];
    h.spawn(c.io(), producer(c, i));
  }
  h.spawn(h.conns()[0]->io(), closer());
  h.run();
}

std::vector<WorkloadResult> run_latency(const Options& o, const Target& t,
                                        const std::string& queue) {
  Shared sh;
  Harness h(o, t, sh);
  const int workers = o.workers.value_or(8);
  // A few producer connections so one slow answer never delays the schedule of the next job.
  const int producers = std::max(1, std::min(o.connections, 8));
  auto acks = add_worker_conns(h, workers);
  for (int i = 0; i < producers; ++i) h.add_conn();
  const auto interval = std::chrono::nanoseconds(1'000'000'000LL / std::max(1, o.rate));
  // Give the workers time to park their long polls before the first job goes out.
  const auto start = Clock::now() + 300ms;
  const auto end = start + o.duration;
  std::vector<std::vector<std::uint64_t>> lat(static_cast<std::size_t>(workers));
  std::atomic<std::uint64_t> sent{0};
  std::atomic<int> producers_left{producers};

  auto worker = [&](Conn& c, int index) -> asio::awaitable<void> {
    const std::string reserve_wire =
        build_request(t, "POST", "/v1/reserve", reserve_json(queue, 1, 30000, index));
    Reply reply;
    Reserved res;
    auto& samples = lat[std::size_t(index)];
    auto& q = *acks[std::size_t(index)];
    while (!sh.stopping.load(std::memory_order_relaxed)) {
      co_await c.roundtrip(reserve_wire, reply);
      const auto received = now_ns();
      if (!sh.check(reply, t)) {
        co_await pause(10ms);
        continue;
      }
      if (!res.parse(reply.body, true)) {
        if (!sh.stopping.load())
          sh.error("reserve: cannot read the answer: " + reply.body.substr(0, 200));
        continue;
      }
      if (res.ids.empty()) continue;
      for (auto s : res.sent_ns)
        samples.push_back(std::uint64_t(std::max<std::int64_t>(0, received - s)));
      if (res.sent_ns.size() != res.ids.size() && !sh.stopping.load())
        sh.error("reserve: a job without its sent_ns timestamp");
      sh.progress(res.ids.size());
      q.add(res);
    }
  };

  auto producer = [&](Conn& c, int index) -> asio::awaitable<void> {
    asio::steady_timer timer(c.io());
    Reply reply;
    std::string wire;
    for (std::uint64_t i = std::uint64_t(index);; i += std::uint64_t(producers)) {
      const auto due = start + interval * std::int64_t(i);
      if (due >= end || sh.stopping.load()) break;
      timer.expires_at(due);
      boost::system::error_code ec;
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      // The timestamp is taken as late as possible: right before the request is built and sent.
      const std::string prefix = "\"sent_ns\":" + std::to_string(now_ns()) + ",";
      wire = build_request(t, "POST", "/v1/jobs",
                           job_json(queue, make_payload(std::size_t(o.payload_bytes), i, prefix)));
      co_await c.roundtrip(wire, reply);
      if (sh.check(reply, t)) sent.fetch_add(1);
    }
    producers_left.fetch_sub(1);
  };

  {
    Progress p("latency", sh, 0, o.duration + 300ms, 35s);
    run_workers_and_producers(h, sh, t, acks, producers, worker, producer, sent, producers_left,
                              end + 5s);
  }
  WorkloadResult r{.workload = "latency"};
  r.jobs = sh.done.load();
  r.seconds = std::chrono::duration<double>(o.duration).count();
  r.jobs_per_s = double(r.jobs) / r.seconds;
  set_percentiles(r, lat);
  r.note =
      "enqueue at " + std::to_string(o.rate) + "/s, " + std::to_string(workers) +
      " idle workers (reserve max=1 wait_ms=30000, acks on a second connection); enqueue send -> "
      "worker receipt";
  finish(r, sh);
  return {r};
}

// Delayed jobs: `jobs` (default 10,000) enqueued at the start with delays spread evenly over
// --duration (after a 1 s head start, so every job is stored before it is due), workers parked on
// long polls. Each payload carries its due time on this process's monotonic clock (send time +
// delay), so lateness = receipt - due is an upper bound (it includes the enqueue's own latency),
// and a receipt before it proves the server handed a job out early.
std::vector<WorkloadResult> run_delayed(const Options& o, const Target& t,
                                        const std::string& queue) {
  Shared sh;
  Harness h(o, t, sh);
  const int workers = o.workers.value_or(8);
  const int producers = std::max(1, std::min(o.connections, 8));
  const std::uint64_t total = o.jobs.value_or(10'000);
  const std::int64_t spread_ms = std::max<std::int64_t>(1, o.duration.count());
  constexpr std::int64_t kHeadStartMs = 1000;
  auto acks = add_worker_conns(h, workers);
  for (int i = 0; i < producers; ++i) h.add_conn();
  std::vector<std::vector<std::uint64_t>> late(static_cast<std::size_t>(workers));
  std::atomic<std::uint64_t> early{0};
  std::atomic<std::int64_t> earliest_ns{0};
  std::atomic<std::uint64_t> sent{0};
  std::atomic<int> producers_left{producers};

  auto worker = [&](Conn& c, int index) -> asio::awaitable<void> {
    const std::string reserve_wire =
        build_request(t, "POST", "/v1/reserve", reserve_json(queue, 10, 30000, index));
    Reply reply;
    Reserved res;
    auto& samples = late[std::size_t(index)];
    auto& q = *acks[std::size_t(index)];
    std::vector<std::string_view> unused;
    while (!sh.stopping.load(std::memory_order_relaxed)) {
      co_await c.roundtrip(reserve_wire, reply);
      const auto received = now_ns();
      if (!sh.check(reply, t)) {
        co_await pause(10ms);
        continue;
      }
      if (!res.parse(reply.body, false) || res.ids.empty()) continue;
      std::size_t from = 0;
      for (std::size_t i = 0; i < res.ids.size(); ++i) {
        auto p = std::string_view(reply.body).find("\"due_ns\":", from);
        if (p == std::string_view::npos) break;
        from = p + 1;
        auto due = find_int_value(std::string_view(reply.body).substr(p), "due_ns");
        if (!due) continue;
        std::int64_t lateness = received - *due;
        if (lateness < 0) {
          early.fetch_add(1);
          std::int64_t seen = earliest_ns.load();
          while (lateness < seen && !earliest_ns.compare_exchange_weak(seen, lateness)) {
          }
        }
        samples.push_back(std::uint64_t(std::max<std::int64_t>(0, lateness)));
      }
      sh.progress(res.ids.size());
      q.add(res);
    }
  };

  auto producer = [&](Conn& c, int index) -> asio::awaitable<void> {
    Reply reply;
    for (std::uint64_t i = std::uint64_t(index); i < total && !sh.stopping.load();
         i += std::uint64_t(producers)) {
      const std::int64_t delay_ms =
          kHeadStartMs +
          std::int64_t(i) * spread_ms / std::int64_t(std::max<std::uint64_t>(1, total));
      const std::string prefix =
          "\"due_ns\":" + std::to_string(now_ns() + delay_ms * 1'000'000) + ",";
      std::string job = job_json(queue, make_payload(std::size_t(o.payload_bytes), i, prefix));
      job.insert(job.size() - 1, ",\"delay_ms\":" + std::to_string(delay_ms));
      co_await c.roundtrip(build_request(t, "POST", "/v1/jobs", job), reply);
      if (sh.check(reply, t)) sent.fetch_add(1);
    }
    producers_left.fetch_sub(1);
  };

  {
    const auto spread = std::chrono::milliseconds(kHeadStartMs + spread_ms);
    Progress p("delayed", sh, total, {}, spread + 35s);
    run_workers_and_producers(h, sh, t, acks, producers, worker, producer, sent, producers_left,
                              Clock::now() + spread + 5s);
  }
  WorkloadResult r{.workload = "delayed"};
  r.jobs = sh.done.load();
  r.seconds = double(kHeadStartMs + spread_ms) / 1000.0;
  r.jobs_per_s = double(r.jobs) / r.seconds;
  set_percentiles(r, late);
  r.note = std::to_string(total) + " jobs due over " + std::to_string(spread_ms) + " ms, " +
           std::to_string(workers) + " idle workers (reserve max=10 wait_ms=30000); p50/p99/max " +
           "are lateness (due -> worker receipt); early: " + std::to_string(early.load());
  if (early.load() > 0) {
    r.note += " (earliest " + std::to_string(double(-earliest_ns.load()) / 1e6) + " ms early)";
    sh.error(std::to_string(early.load()) + " delayed jobs were handed out before they were due",
             early.load());
  }
  finish(r, sh);
  return {r};
}

}  // namespace spool::cli::bench
