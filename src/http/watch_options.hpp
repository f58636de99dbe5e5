// What the watching endpoints (GET /metrics, /readyz, /v1/metrics/summary) are configured with:
// whether /metrics needs a token, and the thresholds behind /readyz's warnings and the
// summary's "overdue". Plain values, set once at start from the config ([watch],
// docs/configuration.md); read-only afterwards, so any thread may read them.
#pragma once

#include <cstdint>

namespace spool::http {

struct ReadinessThresholds {
  std::int64_t backlog = 10'000;            // queued jobs in one queue
  std::int64_t failure_rate_percent = 25;   // failed attempts / ended attempts, last 5 min
  std::int64_t oldest_queued_ms = 300'000;  // age of a queue's oldest ready job
  std::int64_t store_latency_ms = 250;      // the probe's round trip through the engine
};

struct WatchOptions {
  bool metrics_public = false;  // GET /metrics without a token (else the reader role)
  ReadinessThresholds ready;
  std::int64_t overdue_ms = 60'000;  // a ready job not started this long after due: overdue
};

}  // namespace spool::http
