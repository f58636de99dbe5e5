// The workloads of `spool bench`. Each runs against a live server and returns one or more rows of
// results; none of them keeps state between runs.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bench/bench_client.hpp"

namespace spool::bench {

struct Options {
  std::string url = "http://127.0.0.1:7070";
  std::string token;
  std::string workload = "all";
  std::string queue;                  // empty: a fresh bench-<random> per run
  std::optional<std::uint64_t> jobs;  // enqueue/batch: stop after N jobs instead of --duration
  std::uint64_t e2e_jobs = 200000;    // e2e when --jobs is not given
  int connections = 50;
  int batch = 100;
  int payload_bytes = 200;
  int rate = 1000;
  std::optional<int> workers;  // e2e default 8, latency default 8
  int threads = 1;
  std::chrono::milliseconds duration{10000};
  int wait_ms = 1000;          // e2e reserve long poll
  int concurrency = 10;        // drain: jobs the workers hold at once (loops of reserve_max each)
  int reserve_max = 5;         // drain: jobs one reserve asks for
  bool settle_inline = false;  // latency: each worker settles before it reserves again
  bool settle_and_reserve = false;  // drain: the settle asks for the next jobs in the same call
  std::optional<int> server_pid;    // a local server's pid: its CPU per job is reported too
  bool json = false;
};

struct WorkloadResult {
  std::string workload;
  std::uint64_t jobs = 0;
  double seconds = 0;
  double jobs_per_s = 0;
  // Request round trip for enqueue and batch; enqueue-send to worker receipt for latency.
  std::optional<double> p50_ms, p99_ms, max_ms;
  // The server's CPU time (user + system, from /proc) per job over the row, with --server-pid.
  std::optional<double> server_cpu_us_per_job;
  std::uint64_t errors = 0;
  std::string first_error;
  std::string note;
};

// CPU seconds (user + system) process `pid` has used so far, from /proc/PID/stat; nullopt when
// it cannot be read (no such process, not Linux).
std::optional<double> process_cpu_seconds(int pid);

// Thrown when a workload cannot go on (no server, stalled); the message is for a person.
struct Fatal : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::vector<WorkloadResult> run_enqueue(const Options& options, const ServerAddress& server,
                                        const std::string& queue);
std::vector<WorkloadResult> run_batch(const Options& options, const ServerAddress& server,
                                      const std::string& queue);
std::vector<WorkloadResult> run_e2e(const Options& options, const ServerAddress& server,
                                    const std::string& queue);
std::vector<WorkloadResult> run_latency(const Options& options, const ServerAddress& server,
                                        const std::string& queue);
// A worker at `concurrency`: a queue filled with batches, then concurrency / reserve_max loops,
// each reserving reserve_max jobs, settling them in one POST /v1/settle on the same connection
// and only then reserving again, as a BullMQ or Sidekiq worker does.
std::vector<WorkloadResult> run_drain(const Options& options, const ServerAddress& server,
                                      const std::string& queue);
std::vector<WorkloadResult> run_delayed(const Options& options, const ServerAddress& server,
                                        const std::string& queue);

}  // namespace spool::bench
