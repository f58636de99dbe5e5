// What the watching endpoints (GET /metrics, /readyz, /v1/metrics/summary) are configured with:
// whether /metrics needs a token, and the thresholds behind /readyz's warnings and the
// summary's "overdue". Plain values, set once at start from the config ([watch],
// docs/configuration.md); read-only afterwards, so any thread may read them.
#pragma once

#include <cstdint>

#include "metrics/readiness.hpp"

namespace spool::http {

struct WatchOptions {
  bool metrics_public = false;         // GET /metrics without a token (else the reader role)
  metrics::ReadinessThresholds ready;  // what /readyz warns above
  std::int64_t overdue_ms = 60'000;    // a ready job not started this long after due: overdue
};

}  // namespace spool::http
