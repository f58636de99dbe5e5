// spool_worker_bench: how fast a spool::Worker with a no-op handler drains a queue, to set
// beside `spool bench --workload e2e` (raw HTTP: 8 connections reserving 100 at a time and
// settling in batches). Fill the queue with the same producer as the raw figure, then drain:
//
//   spool bench --url URL --workload batch --jobs 200000 --queue wb --json   # the fill
//   spool_worker_bench --url URL --queue wb --jobs 200000 --concurrency 10   # the drain
//
// It runs one Worker (the library's defaults apart from the options below) until its handler
// has seen --jobs jobs, stops it (which flushes the settler), checks with GET /v1/stats that
// every job is completed, and prints one JSON line: drain seconds and jobs/s.
// bench/worker-vs-raw.sh runs the whole comparison on fresh servers.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#include "spool/client.hpp"
#include "spool/worker.hpp"

namespace {

[[noreturn]] void usage() {
  std::fprintf(stderr,
               "usage: spool_worker_bench --url URL --queue Q --jobs N [--concurrency C] "
               "[--prefetch P] [--type bench]\n");
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  std::string url = "http://127.0.0.1:7070", queue, type = "bench";
  long jobs = 0, concurrency = 10, prefetch = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--url")
      url = v;
    else if (k == "--queue")
      queue = v;
    else if (k == "--type")
      type = v;
    else if (k == "--jobs")
      jobs = std::strtol(v.c_str(), nullptr, 10);
    else if (k == "--concurrency")
      concurrency = std::strtol(v.c_str(), nullptr, 10);
    else if (k == "--prefetch")
      prefetch = std::strtol(v.c_str(), nullptr, 10);
    else
      usage();
  }
  if (queue.empty() || jobs <= 0 || argc % 2 == 0) usage();

  auto client = spool::Client::create({.url = url, .max_idle_connections = 64});
  if (!client) {
    std::fprintf(stderr, "spool_worker_bench: %s\n", client.error().message.c_str());
    return 2;
  }
  spool::WorkerOptions options;
  options.queues = {queue};
  options.concurrency = static_cast<int>(concurrency);
  options.prefetch = static_cast<int>(prefetch);
  options.handle_signals = false;
  options.poll_wait = std::chrono::milliseconds(1000);  // as the raw e2e's wait_ms
  options.log = [](spool::LogLevel level, std::string_view line) {
    if (level >= spool::LogLevel::kWarn)
      std::fprintf(stderr, "%.*s\n", int(line.size()), line.data());
  };
  spool::Worker worker(*client, options);
  std::atomic<long> seen{0};
  worker.handle(type, [&](spool::Job&) {
    if (seen.fetch_add(1, std::memory_order_relaxed) + 1 == jobs) worker.stop();
  });
  auto start = std::chrono::steady_clock::now();
  auto ran = worker.run();
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!ran) {
    std::fprintf(stderr, "spool_worker_bench: %s\n", ran.error().message.c_str());
    return 2;
  }
  auto stats = client->stats();
  long completed = -1;
  if (stats) completed = static_cast<long>(stats->queues[queue].by_state["completed"]);
  std::printf(
      "{\"workload\":\"worker-drain\",\"concurrency\":%ld,\"prefetch\":%ld,\"jobs\":%ld,"
      "\"completed\":%ld,\"seconds\":%.4f,\"jobs_per_s\":%.1f}\n",
      concurrency, prefetch, jobs, completed, seconds, double(jobs) / seconds);
  return completed == jobs ? 0 : 1;
}
