// The producer workloads of `spool bench`: enqueue (one job per request) and batch, each a set of
// connections sending one prepared request over and over (workload_parts.hpp).
#include "bench/bench_workloads.hpp"
#include "bench/workload_parts.hpp"

namespace spool::bench {

using namespace detail;

std::vector<WorkloadResult> run_enqueue(const Options& options, const ServerAddress& server,
                                        const std::string& queue) {
  Shared shared;
  ProducePlan plan;
  plan.wire = build_request(server, "POST", "/v1/jobs",
                            job_json(queue, make_payload(std::size_t(options.payload_bytes), 1)));
  plan.total = options.jobs.value_or(0);
  std::vector<std::vector<std::uint64_t>> latencies;
  WorkloadResult r{.workload = "enqueue"};
  r.seconds = run_producers(options, server, shared, plan, options.connections, "enqueue",
                            plan.total, latencies);
  r.jobs = shared.done.load();
  r.jobs_per_s = r.seconds > 0 ? double(r.jobs) / r.seconds : 0;
  set_percentiles(r, latencies);
  r.note = "single POST /v1/jobs, " + std::to_string(options.connections) + " in flight";
  finish(r, shared);
  return {r};
}

std::vector<WorkloadResult> run_batch(const Options& options, const ServerAddress& server,
                                      const std::string& queue) {
  Shared shared;
  ProducePlan plan;
  const auto per = std::size_t(options.batch);
  plan.per = per;
  plan.wire = build_request(server, "POST", "/v1/jobs/batch",
                            batch_json(queue, per, std::size_t(options.payload_bytes), 0));
  if (options.jobs) {
    plan.total = (*options.jobs + per - 1) / per;
    if (const auto rest = *options.jobs % per) {
      plan.last_per = rest;
      plan.last_wire =
          build_request(server, "POST", "/v1/jobs/batch",
                        batch_json(queue, rest, std::size_t(options.payload_bytes), 0));
    }
  }
  std::vector<std::vector<std::uint64_t>> latencies;
  WorkloadResult r{.workload = "batch"};
  r.seconds = run_producers(options, server, shared, plan, options.connections, "batch",
                            options.jobs.value_or(0), latencies);
  r.jobs = shared.done.load();
  r.jobs_per_s = r.seconds > 0 ? double(r.jobs) / r.seconds : 0;
  set_percentiles(r, latencies);
  r.note = "POST /v1/jobs/batch of " + std::to_string(per) + ", " +
           std::to_string(options.connections) + " in flight";
  finish(r, shared);
  return {r};
}

}  // namespace spool::bench
