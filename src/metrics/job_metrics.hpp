// JobMetrics: the counters and histograms behind GET /metrics that the engine's events feed
// (jobs enqueued, completed, failed, dead, cancelled, lease expiries, wait and run times, store
// commit time and batch size), plus the HTTP request histogram the server feeds.
//
// Ownership: shared (std::shared_ptr) by the engine (as a JobObserver), the HTTP server (which
// times requests and renders the scrape) and serve.cpp.
//
// Threading: on_commit() runs on the engine's writer thread and takes the lock once per commit,
// never per event; observe_request() runs on io threads; render() on the scraping io thread.
// Everything is behind one mutex held only for in-memory updates (no I/O, no allocation on the
// hot path once a label set has been seen), so the writer is never held up by a scrape for
// longer than it takes to copy a few hundred numbers.
//
// Labels stay bounded: queue and type names, a fail kind from a fixed set, a route pattern (never
// a raw path) and a status code. Never a job id. Queue and type names come from clients, so the
// first kMaxLabelSets (queue, type) pairs (and queues) seen get series of their own and every
// later one counts under queue="_other",type="_other": a client enqueueing a million distinct
// types cannot grow the scrape or this object's memory without bound, and no count is lost.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/job_events.hpp"
#include "metrics/exposition.hpp"
#include "metrics/summary.hpp"

namespace spool::metrics {

// Bucket bounds, in base units. Change them and dashboards' quantiles move: say so in the
// release notes.
inline constexpr std::array<double, 14> kJobSecondsBuckets = {
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 60, 300};
inline constexpr std::array<double, 12> kStoreSecondsBuckets = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1};
inline constexpr std::array<double, 11> kHttpSecondsBuckets = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 10};
inline constexpr std::array<double, 10> kBatchSizeBuckets = {1,  2,  4,   8,   16,
                                                             32, 64, 128, 512, 4096};

// The most (queue, type) pairs, and the most queues, with series of their own (see above). Change
// it => docs/metrics.md.
inline constexpr std::size_t kMaxLabelSets = 1000;
// The queue and type label of everything past kMaxLabelSets. A real queue or type of this name
// shares those series.
inline constexpr std::string_view kOtherLabel = "_other";

// Gauges read at scrape time from the engine (the caller fetches them; see render()).
struct Gauges {
  struct QueueCounts {
    std::string queue;
    Counts counts;
  };
  std::vector<QueueCounts> jobs;                             // spool_jobs{queue,state}
  std::vector<std::pair<std::string, std::size_t>> waiters;  // spool_waiters{queue}
  std::vector<std::pair<std::string, bool>> breakers;        // spool_breaker_open{target}
};

class JobMetrics final : public engine::JobObserver {
 public:
  void on_commit(const engine::CommitInfo& commit,
                 std::span<const engine::JobEvent> events) override;

  // One answered HTTP request. `route` is the matched route's pattern ("/v1/jobs/{}"), or a
  // fixed word for requests no route matched; it must outlive this object (route tables are
  // static).
  void observe_request(std::string_view route, int status, double seconds);

  // The whole scrape: the gauges given plus every counter and histogram. Gauges past the first
  // kMaxLabelSets queues are summed under kOtherLabel, as the counters are.
  std::string render(const Gauges& gauges) const;

  // The last kRecentFailures failed attempts since the server started, newest first.
  static constexpr std::size_t kRecentFailures = 20;
  std::vector<RecentFailure> recent_failures() const;

 private:
  // Failure kinds that spend an attempt (retry, permanent, lease_expired, timeout); snooze and
  // release are not failures.
  static constexpr int kFailKinds = 4;  // retry, permanent, lease_expired, timeout
  struct TypeCounters {
    std::uint64_t enqueued = 0, completed = 0, dead = 0, cancelled = 0;
    std::array<std::uint64_t, kFailKinds> failed{};
  };
  struct QueueSeries {
    std::uint64_t lease_expiries = 0;
    Histogram wait{kJobSecondsBuckets};
    Histogram run{kJobSecondsBuckets};
  };

  // The series of `queue` (of the pair): its own while fewer than kMaxLabelSets queues (pairs)
  // have one, else kOtherLabel's.
  QueueSeries& queue_locked(const std::string& queue);
  TypeCounters& type_locked(const std::string& queue, const std::string& type);

  mutable std::mutex mu_;
  // All below GUARDED_BY(mu_). std::map: stable, sorted output; at most kMaxLabelSets + 1 keys
  // (the +1 is kOtherLabel's).
  std::map<std::pair<std::string, std::string>, TypeCounters> by_type_;
  std::map<std::string, QueueSeries> by_queue_;
  std::map<std::pair<std::string_view, int>, Histogram> http_;
  Histogram commit_seconds_{kStoreSecondsBuckets};
  Histogram batch_seconds_{kStoreSecondsBuckets};
  Histogram batch_commands_{kBatchSizeBuckets};
  std::deque<RecentFailure> failures_;  // newest first
};

}  // namespace spool::metrics
