// The per-minute aggregates behind GET /v1/metrics/summary and /readyz's failure rate:
// MinuteRecorder writes them inside the engine's transactions, summarize() and
// failure_rate() read them back.
//
// MinuteRecorder (an engine::TransactionHook): ownership shared with the engine; called on the
// writer thread only, so it needs no lock. It adds one row per (minute, queue, type) the batch
// touched, in the batch's own transaction, so the aggregates match the committed jobs exactly
// and survive a crash with them; it deletes minutes older than kMinuteRetentionMs (whatever the
// jobs' retention) in small chunks about once a minute.
//
// summarize() and failure_rate() are pure functions of an engine::Observation.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "engine/engine.hpp"

namespace spool::metrics {

inline constexpr std::int64_t kMinuteMs = 60'000;
inline constexpr std::int64_t kMinuteRetentionMs = 7LL * 24 * 3'600'000;  // 7 days
inline constexpr int kMinSummaryHours = 1;
inline constexpr int kMaxSummaryHours = 168;  // the retention: every window has its data

class MinuteRecorder final : public engine::TransactionHook {
 public:
  StatusOr<void> before_commit(store::Store& store, TimeMs now,
                               std::span<const engine::JobEvent> events) override;

 private:
  std::vector<ops::MinuteStats> rows_;  // reused between batches
  TimeMs next_prune_at_ = 0;
};

// A failure kept for the summary (the most recent ones, newest first).
struct RecentFailure {
  std::string id;
  std::string type;
  std::string queue;
  std::string kind;  // retry | permanent | lease_expired
  std::string error;
  int attempt = 0;
  TimeMs at = 0;
};

struct SummaryQuery {
  int hours = 24;
  std::optional<std::string> queue;
  std::int64_t overdue_ms = 60'000;  // queued this long past its due time: overdue
};

// The JSON answer of GET /v1/metrics/summary (docs/api.md). `obs` must hold the minutes from
// obs.now - hours (of query.queue when set) and the backlog.
std::string summarize(const engine::Observation& obs, const SummaryQuery& query,
                      std::span<const RecentFailure> failures);

// Percentile (0..1) of run time in ms from bucket counts (ops::kRunMsBuckets), interpolated
// linearly inside the bucket; nullopt when there are no samples.
std::optional<double> run_ms_quantile(std::span<const std::int64_t> buckets, double q);

// Failed attempts / (failed + completed) over the minutes at or after `from`, in 0..1;
// nullopt when nothing ended.
std::optional<double> failure_rate(std::span<const ops::MinuteStats> minutes, TimeMs from);

}  // namespace spool::metrics
