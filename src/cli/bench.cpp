// `spool bench`: load against a running server, with results as a table or JSON. The workloads
// are in bench_workloads.cpp and the HTTP client in bench_client.cpp.
#include <CLI/CLI.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <cmath>
#include <cstdio>
#include <random>

#include "bench/bench_workloads.hpp"
#include "cli/commands.hpp"
#include "cli/exit.hpp"

namespace spool::cli {

namespace {

using bench::Options;
using bench::WorkloadResult;

// "10s", "500ms", "2m", or a bare number of seconds.
std::chrono::milliseconds parse_duration(const std::string& s) {
  std::size_t used = 0;
  double v = 0;
  try {
    v = std::stod(s, &used);
  } catch (const std::exception&) {
    throw CLI::ValidationError("--duration", "expected a duration such as 10s, 500ms or 2m");
  }
  const std::string unit = s.substr(used);
  double ms = 0;
  if (unit.empty() || unit == "s") {
    ms = v * 1000;
  } else if (unit == "ms") {
    ms = v;
  } else if (unit == "m") {
    ms = v * 60000;
  } else {
    throw CLI::ValidationError("--duration", "unknown unit '" + unit + "' (use ms, s or m)");
  }
  if (ms < 1) throw CLI::ValidationError("--duration", "must be positive");
  return std::chrono::milliseconds(static_cast<std::int64_t>(ms));
}

std::string random_queue() {
  std::random_device rd;
  std::mt19937_64 rng(rd());
  char buf[32];
  std::snprintf(buf, sizeof buf, "bench-%08llx",
                static_cast<unsigned long long>(rng() & 0xffffffffULL));
  return buf;
}

std::string ms(const std::optional<double>& v) {
  if (!v) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, *v < 10 ? "%.3f" : "%.1f", *v);
  return buf;
}

std::string thousands(std::uint64_t n) {
  // Built front to back rather than with insert(), which trips a GCC 12 -Wrestrict false positive.
  const std::string digits = std::to_string(n);
  std::string s;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) s.push_back(',');
    s.push_back(digits[i]);
  }
  return s;
}

void print_table(const std::vector<WorkloadResult>& rows, const Options& options,
                 const bench::ServerAddress& server, const std::string& queue) {
  std::printf("spool bench against %s (queue %s, %d-byte payloads)\n\n", server.url.c_str(),
              queue.c_str(), options.payload_bytes);
  std::printf("%-12s %12s %9s %12s %9s %9s %9s %8s %12s\n", "workload", "jobs", "seconds", "jobs/s",
              "p50 ms", "p99 ms", "max ms", "errors", "server us/job");
  for (const auto& r : rows) {
    std::printf("%-12s %12s %9.2f %12s %9s %9s %9s %8s %12s\n", r.workload.c_str(),
                thousands(r.jobs).c_str(), r.seconds,
                thousands(static_cast<std::uint64_t>(std::llround(r.jobs_per_s))).c_str(),
                ms(r.p50_ms).c_str(), ms(r.p99_ms).c_str(), ms(r.max_ms).c_str(),
                thousands(r.errors).c_str(), ms(r.server_cpu_us_per_job).c_str());
  }
  std::printf("\n");
  for (const auto& r : rows) std::printf("  %-12s %s\n", r.workload.c_str(), r.note.c_str());
  std::printf(
      "  p50/p99/max: request round trip for enqueue and batch; enqueue send to worker receipt "
      "for latency; due time to worker receipt for delayed.\n");
  for (const auto& r : rows) {
    if (r.errors > 0)
      std::printf("  %s: %s errors, first: %s\n", r.workload.c_str(), thousands(r.errors).c_str(),
                  r.first_error.c_str());
  }
}

// Written by hand rather than through boost::json::serialize, which prints every double in
// exponent form (2E0); scripts and people both read "2.000" more easily.
void print_json(const std::vector<WorkloadResult>& rows, const Options& options,
                const bench::ServerAddress& server, const std::string& queue) {
  auto str = [](const std::string& v) { return boost::json::serialize(boost::json::value(v)); };
  auto num = [](double v, const char* fmt) {
    char buf[64];
    std::snprintf(buf, sizeof buf, fmt, v);
    return std::string(buf);
  };
  auto opt = [&](const std::optional<double>& v) { return v ? num(*v, "%.4f") : "null"; };
  std::string out = "{\"url\":" + str(server.url) + ",\"queue\":" + str(queue) +
                    ",\"payload_bytes\":" + std::to_string(options.payload_bytes) +
                    ",\"connections\":" + std::to_string(options.connections) +
                    ",\"batch\":" + std::to_string(options.batch) + ",\"results\":[";
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& r = rows[i];
    if (i) out += ",";
    out += "{\"workload\":" + str(r.workload) + ",\"jobs\":" + std::to_string(r.jobs) +
           ",\"seconds\":" + num(r.seconds, "%.4f") +
           ",\"jobs_per_s\":" + num(r.jobs_per_s, "%.1f") + ",\"p50_ms\":" + opt(r.p50_ms) +
           ",\"p99_ms\":" + opt(r.p99_ms) + ",\"max_ms\":" + opt(r.max_ms) +
           ",\"server_cpu_us_per_job\":" + opt(r.server_cpu_us_per_job) +
           ",\"errors\":" + std::to_string(r.errors);
    if (!r.first_error.empty()) out += ",\"first_error\":" + str(r.first_error);
    out += ",\"note\":" + str(r.note) + "}";
  }
  out += "]}";
  std::printf("%s\n", out.c_str());
}

int run(const Options& options) {
  bench::ServerAddress target;
  try {
    target = bench::parse_server_address(options.url, options.token);
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "spool bench: %s\n", e.what());
    return kExitUsage;
  }
  if (auto msg = bench::preflight(target); !msg.empty()) {
    std::fprintf(stderr, "spool bench: %s\n", msg.c_str());
    return kExitUnreachable;
  }
  const bool own_queue = options.queue.empty();
  const std::string base = own_queue ? random_queue() : options.queue;
  const std::vector<std::string> all = {"enqueue", "batch", "e2e", "latency"};
  std::vector<std::string> todo = options.workload == "all" ? all : std::vector{options.workload};

  std::vector<WorkloadResult> rows;
  try {
    for (const auto& w : todo) {
      // Each workload gets its own queue when several run, so jobs left queued by enqueue and
      // batch never reach the e2e and latency workers.
      const std::string queue = todo.size() > 1 ? base + "-" + w : base;
      std::vector<WorkloadResult> got;
      const auto cpu_before =
          options.server_pid ? bench::process_cpu_seconds(*options.server_pid) : std::nullopt;
      if (w == "enqueue") got = bench::run_enqueue(options, target, queue);
      if (w == "batch") got = bench::run_batch(options, target, queue);
      if (w == "e2e") got = bench::run_e2e(options, target, queue);
      if (w == "latency") got = bench::run_latency(options, target, queue);
      if (w == "delayed") got = bench::run_delayed(options, target, queue);
      if (w == "drain") got = bench::run_drain(options, target, queue);
      // A workload of one row: the server's CPU over the whole run, per job. Workloads of
      // several phases (e2e, drain) measure each phase themselves.
      if (got.size() == 1 && !got[0].server_cpu_us_per_job && cpu_before && got[0].jobs > 0) {
        if (auto after = bench::process_cpu_seconds(*options.server_pid)) {
          got[0].server_cpu_us_per_job = (*after - *cpu_before) * 1e6 / double(got[0].jobs);
        }
      }
      rows.insert(rows.end(), got.begin(), got.end());
    }
  } catch (const bench::Fatal& e) {
    std::fprintf(stderr, "spool bench: %s\n", e.what());
    if (!rows.empty() && !options.json) print_table(rows, options, target, base);
    return std::string_view(e.what()).starts_with("cannot connect") ? kExitUnreachable
                                                                    : kExitRefused;
  }
  if (options.json) {
    print_json(rows, options, target, base);
  } else {
    print_table(rows, options, target, base);
  }
  for (const auto& r : rows)
    if (r.errors > 0) return kExitRefused;
  return 0;
}

}  // namespace

void add_bench_command(CLI::App& app) {
  auto opts = std::make_shared<Options>();
  auto duration = std::make_shared<std::string>("10s");
  auto jobs = std::make_shared<std::uint64_t>(0);
  auto workers = std::make_shared<int>(0);
  auto server_pid = std::make_shared<int>(0);
  auto* cmd = app.add_subcommand(
      "bench",
      "Measure a running server: enqueue, batch, end-to-end and latency workloads (all), and "
      "delayed (lateness of jobs due over --duration; not part of all), and drain (a worker at "
      "--concurrency reserving --reserve-max at a time and settling before it reserves again; "
      "not part of all). Jobs left by the enqueue and batch workloads stay queued in their "
      "bench-* queues.");
  cmd->add_option("--url", opts->url, "Server URL")->envname("SPOOL_URL")->capture_default_str();
  cmd->add_option("--token", opts->token, "Bearer token (producer and worker roles)")
      ->envname("SPOOL_TOKEN");
  cmd->add_option("--workload", opts->workload, "Which workload to run")
      ->check(CLI::IsMember({"enqueue", "batch", "e2e", "latency", "delayed", "drain", "all"}))
      ->capture_default_str();
  cmd->add_option("--jobs", *jobs,
                  "Jobs to send (enqueue and batch: instead of --duration; e2e: default 200000; "
                  "delayed: default 10000)");
  cmd->add_option("--connections", opts->connections, "Connections, one request in flight each")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  cmd->add_option("--batch", opts->batch, "Jobs per batch request")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  cmd->add_option("--payload-bytes", opts->payload_bytes, "Size of each job's payload JSON")
      ->check(CLI::Range(64, 1000000))
      ->capture_default_str();
  cmd->add_option("--rate", opts->rate, "Latency workload: jobs enqueued per second")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  cmd->add_option("--duration", *duration,
                  "Enqueue and batch (without --jobs), latency: how long; delayed: the spread of "
                  "due times")
      ->capture_default_str();
  cmd->add_option("--workers", *workers, "Worker connections for e2e and latency (default 8)")
      ->check(CLI::Range(1, 10000));
  cmd->add_option("--wait-ms", opts->wait_ms, "e2e: reserve long-poll wait")
      ->check(CLI::Range(0, 60000))
      ->capture_default_str();
  cmd->add_option("--concurrency", opts->concurrency,
                  "drain: jobs the worker holds at once, in loops of --reserve-max each")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  cmd->add_option("--reserve-max", opts->reserve_max, "drain: jobs one reserve asks for")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  cmd->add_flag("--settle-inline", opts->settle_inline,
                "latency: each worker settles its job on its own connection before it reserves "
                "again, as a BullMQ or Sidekiq worker loop does (default: on a second connection)");
  cmd->add_flag("--settle-and-reserve", opts->settle_and_reserve,
                "drain: each settle also reserves the loop's next jobs (settle's \"reserve\"), one "
                "request per round instead of two");
  cmd->add_option("--server-pid", *server_pid,
                  "The server's process id, when it runs on this machine: report its CPU time "
                  "per job (from /proc) beside every rate")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--threads", opts->threads,
                  "Client io threads (the bench usually shares the machine with the server)")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  cmd->add_option("--queue", opts->queue,
                  "Queue name (default: a fresh bench-<random> per run, suffixed per workload "
                  "with --workload all)");
  cmd->add_flag("--json", opts->json, "Print results as JSON");
  cmd->callback([cmd, opts, duration, jobs, workers, server_pid] {
    Options options = *opts;
    options.duration = parse_duration(*duration);
    if (cmd->count("--jobs") > 0) {
      if (*jobs == 0) throw CLI::ValidationError("--jobs", "must be at least 1");
      options.jobs = *jobs;
    }
    if (cmd->count("--workers") > 0) options.workers = *workers;
    if (cmd->count("--server-pid") > 0) {
      if (!bench::process_cpu_seconds(*server_pid)) {
        throw CLI::ValidationError("--server-pid", "no process " + std::to_string(*server_pid) +
                                                       " to read the CPU time of in /proc");
      }
      options.server_pid = *server_pid;
    }
    const int code = run(options);
    if (code != 0) throw CLI::RuntimeError(code);
  });
}

}  // namespace spool::cli
