// The worker workloads of `spool bench`: e2e (fill a queue, then drain it), latency (enqueue at a
// steady rate to parked workers) and delayed (how late delayed jobs reach a worker). Each worker
// reserves on one connection and acks on a second one (AckQueue, workload_parts.hpp).
#include <boost/asio/steady_timer.hpp>

#include "bench/bench_workloads.hpp"
#include "bench/workload_parts.hpp"

namespace spool::bench {

using namespace detail;

namespace {

// Fills `queue` with n jobs in batches of --batch over --connections; the row is named `name`.
WorkloadResult fill_queue(const Options& options, const ServerAddress& server,
                          const std::string& queue, std::uint64_t n, const std::string& name) {
  const auto per = std::size_t(options.batch);
  Shared fill_shared;
  ProducePlan plan;
  plan.per = per;
  plan.wire = build_request(server, "POST", "/v1/jobs/batch",
                            batch_json(queue, per, std::size_t(options.payload_bytes), 0));
  plan.total = (n + per - 1) / per;
  if (const auto rest = n % per) {
    plan.last_per = rest;
    plan.last_wire = build_request(server, "POST", "/v1/jobs/batch",
                                   batch_json(queue, rest, std::size_t(options.payload_bytes), 0));
  }
  std::vector<std::vector<std::uint64_t>> latencies;
  const int conns = int(std::min<std::uint64_t>(std::uint64_t(options.connections), plan.total));
  const double enqueue_s =
      run_producers(options, server, fill_shared, plan, conns, name, n, latencies);
  WorkloadResult fill{.workload = name};
  fill.seconds = enqueue_s;
  fill.jobs = fill_shared.done.load();
  fill.jobs_per_s = enqueue_s > 0 ? double(fill.jobs) / enqueue_s : 0;
  finish(fill, fill_shared);
  return fill;
}

// The server's CPU over one phase, with --server-pid; started when constructed.
class ServerCpu {
 public:
  explicit ServerCpu(const Options& options)
      : pid_(options.server_pid), start_(pid_ ? process_cpu_seconds(*pid_) : std::nullopt) {}
  void set(WorkloadResult& r) const {
    if (!start_ || r.jobs == 0) return;
    if (auto now = process_cpu_seconds(*pid_)) {
      r.server_cpu_us_per_job = (*now - *start_) * 1e6 / double(r.jobs);
    }
  }

 private:
  std::optional<int> pid_;
  std::optional<double> start_;
};

}  // namespace

std::vector<WorkloadResult> run_e2e(const Options& options, const ServerAddress& server,
                                    const std::string& queue) {
  const std::uint64_t n = options.jobs.value_or(options.e2e_jobs);
  const auto per = std::size_t(options.batch);
  const int workers = options.workers.value_or(8);

  // Phase 1: fill the queue with batches.
  ServerCpu fill_cpu(options);
  WorkloadResult fill = fill_queue(options, server, queue, n, "e2e-enqueue");
  fill_cpu.set(fill);
  const double enqueue_s = fill.seconds;

  // Phase 2: drain with workers that reserve up to 100 at a time, each with an acker that
  // settles what it received in batches on a second connection.
  Shared drain_shared;
  Harness harness(options, server, drain_shared);
  std::vector<std::unique_ptr<AckQueue>> acks;
  for (int i = 0; i < workers; ++i) {
    harness.add_conn(std::size_t(i));
    harness.add_conn(std::size_t(i));
    acks.push_back(std::make_unique<AckQueue>(harness.conns().back()->io()));
  }
  const std::uint64_t want = fill.jobs;
  ServerCpu drain_cpu(options);
  const auto start = SteadyClock::now();
  auto worker = [&](Conn& c, int index) -> asio::awaitable<void> {
    const std::string reserve_wire = build_request(
        server, "POST", "/v1/reserve", reserve_json(queue, 100, options.wait_ms, index));
    Reply reply;
    Reserved reserved;
    auto& pending = *acks[std::size_t(index)];
    while (!drain_shared.stopping.load(std::memory_order_relaxed)) {
      if (!co_await reserve_once(c, drain_shared, server, reserve_wire, reply, reserved)) continue;
      if (!reserved.ids.empty()) pending.add(reserved);
    }
  };
  auto all_acked = [&] {
    if (drain_shared.done.load() >= want && !drain_shared.stopping.exchange(true))
      harness.close_all();
  };
  {
    Progress p("e2e drain", drain_shared, want, {}, 30s);
    if (want == 0) drain_shared.stopping = true;
    for (int i = 0; i < workers; ++i) {
      auto& c = *harness.conns()[2 * std::size_t(i)];
      auto& a = *harness.conns()[2 * std::size_t(i) + 1];
      harness.spawn(c.io(), worker(c, i));
      harness.spawn(a.io(), acker(a, drain_shared, server, *acks[std::size_t(i)], true, all_acked));
    }
    harness.run();
  }
  const double drain_s = seconds_between(start, SteadyClock::now());

  WorkloadResult total{.workload = "e2e"};
  total.jobs = std::min(drain_shared.done.load(), want);
  total.seconds = enqueue_s + drain_s;
  total.jobs_per_s = total.seconds > 0 ? double(total.jobs) / total.seconds : 0;
  total.note = "enqueue " + std::to_string(n) + " in batches of " + std::to_string(per) +
               ", then " + std::to_string(workers) + " workers reserve 100 and ack in batches";
  WorkloadResult drain{.workload = "e2e-drain"};
  drain.jobs = total.jobs;
  drain.seconds = drain_s;
  drain.jobs_per_s = drain_s > 0 ? double(drain.jobs) / drain_s : 0;
  drain.note = "reserve max=100 wait_ms=" + std::to_string(options.wait_ms) +
               ", settle acks on a second connection per worker";
  drain_cpu.set(drain);
  finish(drain, drain_shared);
  total.errors = fill.errors + drain.errors;
  total.first_error = fill.first_error.empty() ? drain.first_error : fill.first_error;
  return {total, drain};
}

std::vector<WorkloadResult> run_drain(const Options& options, const ServerAddress& server,
                                      const std::string& queue) {
  const std::uint64_t n = options.jobs.value_or(100'000);
  const int per = std::max(1, options.reserve_max);
  const int loops = std::max(1, (options.concurrency + per - 1) / per);
  ServerCpu fill_cpu(options);
  WorkloadResult fill = fill_queue(options, server, queue, n, "drain-fill");
  fill_cpu.set(fill);

  Shared shared;
  Harness harness(options, server, shared);
  for (int i = 0; i < loops; ++i) harness.add_conn();
  const std::uint64_t want = fill.jobs;
  auto all_settled = [&] {
    if (shared.done.load() >= want && !shared.stopping.exchange(true)) harness.close_all();
  };
  // One worker loop: reserve, settle what came back in one call on the same connection, again.
  auto loop = [&](Conn& c, int index) -> asio::awaitable<void> {
    const std::string reserve_wire = build_request(
        server, "POST", "/v1/reserve", reserve_json(queue, per, options.wait_ms, index));
    Reply reply, settled;
    Reserved reserved;
    if (options.settle_and_reserve) {
      // The jobs of one answer are views into it, so the next call goes into the other reply.
      const std::string reserve_body = reserve_json(queue, per, options.wait_ms, index);
      Reply replies[2];
      int current = 0;
      while (!shared.stopping.load(std::memory_order_relaxed)) {
        if (reserved.ids.empty()) {
          if (!co_await reserve_once(c, shared, server, reserve_wire, replies[current], reserved))
            continue;
          if (reserved.ids.empty()) continue;
        }
        current ^= 1;
        shared.progress(co_await settle_and_reserve(c, shared, server, reserved, reserve_body,
                                                    replies[current]));
        all_settled();
      }
      co_return;
    }
    while (!shared.stopping.load(std::memory_order_relaxed)) {
      if (!co_await reserve_once(c, shared, server, reserve_wire, reply, reserved)) continue;
      if (reserved.ids.empty()) continue;
      shared.progress(co_await settle_all(c, shared, server, reserved, settled));
      all_settled();
    }
  };
  ServerCpu drain_cpu(options);
  const auto start = SteadyClock::now();
  {
    Progress p("drain", shared, want, {}, 30s);
    if (want == 0) shared.stopping = true;
    for (int i = 0; i < loops; ++i) {
      auto& c = *harness.conns()[std::size_t(i)];
      harness.spawn(c.io(), loop(c, i));
    }
    harness.run();
  }
  WorkloadResult drain{.workload = "drain"};
  drain.seconds = seconds_between(start, SteadyClock::now());
  drain.jobs = std::min(shared.done.load(), want);
  drain.jobs_per_s = drain.seconds > 0 ? double(drain.jobs) / drain.seconds : 0;
  drain_cpu.set(drain);
  drain.note =
      std::to_string(loops) + " worker loops x reserve max=" + std::to_string(per) +
      " wait_ms=" + std::to_string(options.wait_ms) + " (concurrency " +
      std::to_string(loops * per) + "), each settling its jobs in one POST /v1/settle " +
      (options.settle_and_reserve ? "that also reserves the next ones" : "before reserving again");
  fill.note = std::to_string(n) + " jobs in batches of " + std::to_string(options.batch);
  finish(drain, shared);
  return {fill, drain};
}

std::vector<WorkloadResult> run_latency(const Options& options, const ServerAddress& server,
                                        const std::string& queue) {
  Shared shared;
  Harness harness(options, server, shared);
  const int workers = options.workers.value_or(8);
  // A few producer connections so one slow answer never delays the schedule of the next job.
  const int producers = std::max(1, std::min(options.connections, 8));
  auto acks = add_worker_conns(harness, workers);
  for (int i = 0; i < producers; ++i) harness.add_conn();
  const auto interval = std::chrono::nanoseconds(1'000'000'000LL / std::max(1, options.rate));
  // Give the workers time to park their long polls before the first job goes out.
  const auto start = SteadyClock::now() + 300ms;
  const auto end = start + options.duration;
  std::vector<std::vector<std::uint64_t>> latencies(static_cast<std::size_t>(workers));
  std::atomic<std::uint64_t> sent{0};
  std::atomic<int> producers_left{producers};

  auto worker = [&](Conn& c, int index) -> asio::awaitable<void> {
    const std::string reserve_wire =
        build_request(server, "POST", "/v1/reserve", reserve_json(queue, 1, 30000, index));
    Reply reply;
    Reserved reserved;
    auto& samples = latencies[std::size_t(index)];
    auto& pending = *acks[std::size_t(index)];
    Reply settled;
    while (!shared.stopping.load(std::memory_order_relaxed)) {
      co_await c.roundtrip(reserve_wire, reply);
      const auto received = now_ns();
      if (!shared.check(reply, server)) {
        co_await pause(10ms);
        continue;
      }
      if (!reserved.parse(reply.body, true)) {
        if (!shared.stopping.load())
          shared.error("reserve: cannot read the answer: " + reply.body.substr(0, 200));
        continue;
      }
      if (reserved.ids.empty()) continue;
      for (auto s : reserved.sent_ns)
        samples.push_back(std::uint64_t(std::max<std::int64_t>(0, received - s)));
      if (reserved.sent_ns.size() != reserved.ids.size() && !shared.stopping.load())
        shared.error("reserve: a job without its sent_ns timestamp");
      if (!options.settle_inline) {
        shared.progress(reserved.ids.size());
        pending.add(reserved);
        continue;
      }
      // As a BullMQ or Sidekiq worker loop does: settle, and only then reserve again. The job
      // counts as done once settled, so the run never ends with a settle still in flight.
      co_await settle_all(c, shared, server, reserved, settled);
      shared.progress(reserved.ids.size());
    }
  };

  auto producer = [&](Conn& c, int index) -> asio::awaitable<void> {
    asio::steady_timer timer(c.io());
    Reply reply;
    std::string wire;
    for (std::uint64_t i = std::uint64_t(index);; i += std::uint64_t(producers)) {
      const auto due = start + interval * std::int64_t(i);
      if (due >= end || shared.stopping.load()) break;
      timer.expires_at(due);
      boost::system::error_code ec;
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      // The timestamp is taken as late as possible: right before the request is built and sent.
      const std::string prefix = "\"sent_ns\":" + std::to_string(now_ns()) + ",";
      wire = build_request(
          server, "POST", "/v1/jobs",
          job_json(queue, make_payload(std::size_t(options.payload_bytes), i, prefix)));
      co_await c.roundtrip(wire, reply);
      if (shared.check(reply, server)) sent.fetch_add(1);
    }
    producers_left.fetch_sub(1);
  };

  {
    Progress p("latency", shared, 0, options.duration + 300ms, 35s);
    run_workers_and_producers(harness, shared, server, acks, producers, worker, producer, sent,
                              producers_left, end + 5s);
  }
  WorkloadResult r{.workload = "latency"};
  r.jobs = shared.done.load();
  r.seconds = std::chrono::duration<double>(options.duration).count();
  r.jobs_per_s = double(r.jobs) / r.seconds;
  set_percentiles(r, latencies);
  r.note = "enqueue at " + std::to_string(options.rate) + "/s, " + std::to_string(workers) +
           " idle workers (reserve max=1 wait_ms=30000, " +
           (options.settle_inline ? "each settling before it reserves again"
                                  : "acks on a second connection") +
           "); enqueue send -> worker receipt";
  finish(r, shared);
  return {r};
}

// Delayed jobs: `jobs` (default 10,000) enqueued at the start with delays spread evenly over
// --duration (after a 1 s head start, so every job is stored before it is due), workers parked on
// long polls. Each payload carries its due time on this process's monotonic clock (send time +
// delay), so lateness = receipt - due is an upper bound (it includes the enqueue's own latency),
// and a receipt before it proves the server handed a job out early.
std::vector<WorkloadResult> run_delayed(const Options& options, const ServerAddress& server,
                                        const std::string& queue) {
  Shared shared;
  Harness harness(options, server, shared);
  const int workers = options.workers.value_or(8);
  const int producers = std::max(1, std::min(options.connections, 8));
  const std::uint64_t total = options.jobs.value_or(10'000);
  const std::int64_t spread_ms = std::max<std::int64_t>(1, options.duration.count());
  constexpr std::int64_t kHeadStartMs = 1000;
  auto acks = add_worker_conns(harness, workers);
  for (int i = 0; i < producers; ++i) harness.add_conn();
  std::vector<std::vector<std::uint64_t>> lateness(static_cast<std::size_t>(workers));
  std::atomic<std::uint64_t> early{0};
  std::atomic<std::int64_t> earliest_ns{0};
  std::atomic<std::uint64_t> sent{0};
  std::atomic<int> producers_left{producers};

  auto worker = [&](Conn& c, int index) -> asio::awaitable<void> {
    const std::string reserve_wire =
        build_request(server, "POST", "/v1/reserve", reserve_json(queue, 10, 30000, index));
    Reply reply;
    Reserved reserved;
    auto& samples = lateness[std::size_t(index)];
    auto& pending = *acks[std::size_t(index)];
    std::vector<std::string_view> unused;
    while (!shared.stopping.load(std::memory_order_relaxed)) {
      co_await c.roundtrip(reserve_wire, reply);
      const auto received = now_ns();
      if (!shared.check(reply, server)) {
        co_await pause(10ms);
        continue;
      }
      if (!reserved.parse(reply.body, false) || reserved.ids.empty()) continue;
      std::size_t from = 0;
      for (std::size_t i = 0; i < reserved.ids.size(); ++i) {
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
      shared.progress(reserved.ids.size());
      pending.add(reserved);
    }
  };

  auto producer = [&](Conn& c, int index) -> asio::awaitable<void> {
    Reply reply;
    for (std::uint64_t i = std::uint64_t(index); i < total && !shared.stopping.load();
         i += std::uint64_t(producers)) {
      const std::int64_t delay_ms =
          kHeadStartMs +
          std::int64_t(i) * spread_ms / std::int64_t(std::max<std::uint64_t>(1, total));
      const std::string prefix =
          "\"due_ns\":" + std::to_string(now_ns() + delay_ms * 1'000'000) + ",";
      std::string job =
          job_json(queue, make_payload(std::size_t(options.payload_bytes), i, prefix));
      job.insert(job.size() - 1, ",\"delay_ms\":" + std::to_string(delay_ms));
      co_await c.roundtrip(build_request(server, "POST", "/v1/jobs", job), reply);
      if (shared.check(reply, server)) sent.fetch_add(1);
    }
    producers_left.fetch_sub(1);
  };

  {
    const auto spread = std::chrono::milliseconds(kHeadStartMs + spread_ms);
    Progress p("delayed", shared, total, {}, spread + 35s);
    run_workers_and_producers(harness, shared, server, acks, producers, worker, producer, sent,
                              producers_left, SteadyClock::now() + spread + 5s);
  }
  WorkloadResult r{.workload = "delayed"};
  r.jobs = shared.done.load();
  r.seconds = double(kHeadStartMs + spread_ms) / 1000.0;
  r.jobs_per_s = double(r.jobs) / r.seconds;
  set_percentiles(r, lateness);
  r.note = std::to_string(total) + " jobs due over " + std::to_string(spread_ms) + " ms, " +
           std::to_string(workers) + " idle workers (reserve max=10 wait_ms=30000); p50/p99/max " +
           "are lateness (due -> worker receipt); early: " + std::to_string(early.load());
  if (early.load() > 0) {
    r.note += " (earliest " + std::to_string(double(-earliest_ns.load()) / 1e6) + " ms early)";
    shared.error(
        std::to_string(early.load()) + " delayed jobs were handed out before they were due",
        early.load());
  }
  finish(r, shared);
  return {r};
}

}  // namespace spool::bench
