#include "bench/workload_parts.hpp"

#include <fstream>
#include <sstream>

namespace spool::bench::detail {

double seconds_between(SteadyClock::time_point a, SteadyClock::time_point b) {
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
  auto at = [&](double quantile) {
    std::size_t k = std::min(all.size() - 1, std::size_t(quantile * double(all.size())));
    std::nth_element(all.begin(), all.begin() + std::ptrdiff_t(k), all.end());
    return double(all[k]) / 1e6;
  };
  r.p50_ms = at(0.50);
  r.p99_ms = at(0.99);
  r.max_ms = double(*std::max_element(all.begin(), all.end())) / 1e6;
}

void finish(WorkloadResult& r, Shared& shared) {
  r.errors = shared.errors.load();
  std::lock_guard lock(shared.mu);
  r.first_error = shared.first_error;
  if (shared.fatal.load()) throw Fatal(shared.fatal_message);
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

namespace {

asio::awaitable<void> produce(Conn& c, Shared& shared, const ServerAddress& server,
                              ProducePlan& plan, std::vector<std::uint64_t>& latencies) {
  Reply r;
  while (!shared.stopping.load(std::memory_order_relaxed)) {
    std::string_view wire = plan.wire;
    std::size_t per = plan.per;
    if (plan.total > 0) {
      const auto ticket = plan.issued.fetch_add(1, std::memory_order_relaxed);
      if (ticket >= plan.total) break;
      if (ticket + 1 == plan.total && !plan.last_wire.empty()) {
        wire = plan.last_wire;
        per = plan.last_per;
      }
    } else if (SteadyClock::now() >= plan.deadline) {
      break;
    }
    const auto t0 = SteadyClock::now();
    co_await c.roundtrip(wire, r);
    const auto t1 = SteadyClock::now();
    if (shared.check(r, server)) {
      latencies.push_back(std::uint64_t(std::chrono::nanoseconds(t1 - t0).count()));
      shared.progress(per);
    }
  }
}

}  // namespace

// Runs `conns` producers on the plan; returns elapsed seconds and fills the latency samples.
double run_producers(const Options& options, const ServerAddress& server, Shared& shared,
                     ProducePlan& plan, int conns, const std::string& label,
                     std::uint64_t target_jobs,
                     std::vector<std::vector<std::uint64_t>>& latencies) {
  Harness harness(options, server, shared);
  latencies.assign(std::size_t(conns), {});
  for (int i = 0; i < conns; ++i) harness.add_conn();
  const auto start = SteadyClock::now();
  plan.deadline = start + options.duration;
  {
    Progress p(label, shared, target_jobs, target_jobs ? SteadyClock::duration{} : options.duration,
               30s);
    for (int i = 0; i < conns; ++i) {
      auto& c = *harness.conns()[std::size_t(i)];
      harness.spawn(c.io(), produce(c, shared, server, plan, latencies[std::size_t(i)]));
    }
    harness.run();
  }
  return seconds_between(start, SteadyClock::now());
}

// A pause after an error so a worker that keeps getting 4xx does not spin the CPU.
asio::awaitable<void> pause(std::chrono::milliseconds d) {
  asio::steady_timer timer(co_await asio::this_coro::executor, d);
  boost::system::error_code ec;
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

namespace {

// The acks of a settle answer's `results` that were refused, counted as errors with `body` as
// the example.
std::size_t count_refused_acks(Shared& shared, std::string_view results, std::size_t n,
                               const std::string& body) {
  const std::size_t failed = std::min(n, count_occurrences(results, "\"error\""));
  if (failed > 0 && !shared.stopping.load()) {
    shared.error("settle: " + std::to_string(failed) + " of " + std::to_string(n) +
                     " acks refused, e.g. " + body.substr(0, 200),
                 failed);
  }
  return failed;
}

}  // namespace

// Settles everything queued, up to 1000 acks per call (the API's limit). Counts refused items as
// errors and, when `count_done`, successful acks as progress.
asio::awaitable<void> acker(Conn& c, Shared& shared, const ServerAddress& server, AckQueue& pending,
                            bool count_done, std::function<void()> after_settle) {
  Reply reply;
  std::string body, wire;
  std::vector<std::string> ids, leases;
  for (;;) {
    if (pending.ids.empty()) {
      if (shared.stopping.load()) break;
      // A bounded wait, so shutdown needs no extra signal: the loop sees `stopping` soon enough.
      pending.wake.expires_after(50ms);
      boost::system::error_code ec;
      co_await pending.wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    const std::size_t n = std::min<std::size_t>(pending.ids.size(), 1000);
    ids.assign(std::make_move_iterator(pending.ids.begin()),
               std::make_move_iterator(pending.ids.begin() + n));
    leases.assign(std::make_move_iterator(pending.leases.begin()),
                  std::make_move_iterator(pending.leases.begin() + n));
    pending.ids.erase(pending.ids.begin(), pending.ids.begin() + n);
    pending.leases.erase(pending.leases.begin(), pending.leases.begin() + n);
    body = ack_body(ids, leases, n);
    wire = build_request(server, "POST", "/v1/settle", body);
    co_await c.roundtrip(wire, reply);
    if (!shared.check(reply, server)) {
      if (shared.stopping.load()) break;
      continue;
    }
    const std::size_t failed = count_refused_acks(shared, reply.body, n, reply.body);
    if (count_done) shared.progress(n - failed);
    if (after_settle) after_settle();
  }
}

asio::awaitable<bool> reserve_once(Conn& c, Shared& shared, const ServerAddress& server,
                                   const std::string& wire, Reply& reply, Reserved& reserved) {
  co_await c.roundtrip(wire, reply);
  if (!shared.check(reply, server)) {
    co_await pause(10ms);
    co_return false;
  }
  if (!reserved.parse(reply.body, false)) {
    if (!shared.stopping.load())
      shared.error("reserve: cannot read the answer: " + reply.body.substr(0, 200));
    co_await pause(10ms);
    co_return false;
  }
  co_return true;
}

asio::awaitable<std::size_t> settle_all(Conn& c, Shared& shared, const ServerAddress& server,
                                        const Reserved& reserved, Reply& reply) {
  const std::size_t n = reserved.ids.size();
  co_await c.roundtrip(
      build_request(server, "POST", "/v1/settle", ack_body(reserved.ids, reserved.leases, n)),
      reply);
  if (!shared.check(reply, server)) co_return 0;
  co_return n - count_refused_acks(shared, reply.body, n, reply.body);
}

asio::awaitable<std::size_t> settle_and_reserve(Conn& c, Shared& shared,
                                                const ServerAddress& server, Reserved& reserved,
                                                const std::string& reserve_body, Reply& reply) {
  const std::size_t n = reserved.ids.size();
  // Built while `reserved` still points into the caller's previous reply.
  std::string body = ack_body(reserved.ids, reserved.leases, n);
  body.pop_back();
  body.append(",\"reserve\":").append(reserve_body).append("}");
  co_await c.roundtrip(build_request(server, "POST", "/v1/settle", body), reply);
  reserved.ids.clear();
  reserved.leases.clear();
  if (!shared.check(reply, server)) {
    co_await pause(10ms);
    co_return 0;
  }
  const std::string_view answer = reply.body;
  const std::size_t jobs_at = answer.find("\"jobs\":");
  const std::size_t failed = count_refused_acks(shared, answer.substr(0, jobs_at), n, reply.body);
  if (jobs_at == std::string_view::npos || !reserved.parse(answer.substr(jobs_at), false)) {
    if (!shared.stopping.load())
      shared.error("settle: no next jobs in the answer: " + reply.body.substr(0, 200));
  }
  co_return n - failed;
}

std::string reserve_json(const std::string& queue, int max, int wait_ms, int worker) {
  return "{\"queues\":[\"" + queue + "\"],\"max\":" + std::to_string(max) +
         ",\"wait_ms\":" + std::to_string(wait_ms) + ",\"worker\":\"bench-" +
         std::to_string(worker) + "\"}";
}

// Worker connections for the latency and delayed workloads: worker i reserves on connection 2i
// and acks on 2i + 1 through acks[i].
std::vector<std::unique_ptr<AckQueue>> add_worker_conns(Harness& harness, int workers) {
  std::vector<std::unique_ptr<AckQueue>> acks;
  for (int i = 0; i < workers; ++i) {
    harness.add_conn(std::size_t(i));
    harness.add_conn(std::size_t(i));
    acks.push_back(std::make_unique<AckQueue>(harness.conns().back()->io()));
  }
  return acks;
}

}  // namespace spool::bench::detail

namespace spool::bench {

std::optional<double> process_cpu_seconds(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!std::getline(in, stat)) return std::nullopt;
  // The command name (field 2) may hold spaces; the fields after its closing paren do not.
  auto close = stat.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(stat.substr(close + 2));
  std::string field;
  double ticks = 0;
  // Fields 3..15 of proc(5): utime is the 14th and stime the 15th.
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14 || i == 15) ticks += std::stod(field);
  }
  return ticks / double(::sysconf(_SC_CLK_TCK));
}

}  // namespace spool::bench
