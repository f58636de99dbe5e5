#include "metrics/summary.hpp"

#include <algorithm>
#include <map>

#include "core/json_writer.hpp"

namespace spool::metrics {
namespace {

constexpr int kPruneChunk = 60;  // minutes deleted per transaction at most

int run_bucket(std::int64_t ms) {
  int i = 0;
  while (i < static_cast<int>(ops::kRunMsBuckets.size()) && ms > ops::kRunMsBuckets[i]) ++i;
  return i;
}

bool spends_attempt(const engine::JobEvent& e) {
  return e.fail_kind &&
         (*e.fail_kind == FailKind::kRetry || *e.fail_kind == FailKind::kPermanent ||
          *e.fail_kind == FailKind::kLeaseExpired || *e.fail_kind == FailKind::kTimeout);
}

struct Totals {
  std::int64_t enqueued = 0, completed = 0, failed = 0, dead = 0;
  void add(const ops::MinuteStats& m) {
    enqueued += m.enqueued;
    completed += m.completed;
    failed += m.failed;
    dead += m.dead;
  }
  void write(JsonWriter& w) const {
    w.field("enqueued", enqueued)
        .field("completed", completed)
        .field("failed", failed)
        .field("dead", dead);
  }
};

void write_counts(JsonWriter& w, const Counts& c) {
  w.begin_object();
  for (JobState s : kAllJobStates) w.field(to_string(s), c[s]);
  w.end_object();
}

void optional_number(JsonWriter& w, std::string_view key, std::optional<double> v) {
  w.key(key);
  if (v) {
    w.value(*v);
  } else {
    w.null();
  }
}

}  // namespace

StatusOr<void> MinuteRecorder::before_commit(store::Store& store, TimeMs now,
                                             std::span<const engine::JobEvent> events) {
  rows_.clear();
  for (const engine::JobEvent& e : events) {
    bool counts = e.kind == engine::JobEventKind::kEnqueued ||
                  e.kind == engine::JobEventKind::kCompleted || spends_attempt(e);
    if (!counts) continue;
    TimeMs minute = e.at - e.at % kMinuteMs;
    auto it = std::find_if(rows_.begin(), rows_.end(), [&](const ops::MinuteStats& r) {
      return r.minute == minute && r.queue == e.queue && r.type == e.type;
    });
    if (it == rows_.end()) {
      it = rows_.insert(rows_.end(), ops::MinuteStats{});
      it->minute = minute;
      it->queue = e.queue;
      it->type = e.type;
    }
    if (e.kind == engine::JobEventKind::kEnqueued) {
      ++it->enqueued;
      continue;
    }
    if (e.kind == engine::JobEventKind::kCompleted) {
      ++it->completed;
    } else {
      ++it->failed;
      if (e.kind == engine::JobEventKind::kDead) ++it->dead;
    }
    if (e.run_ms) {
      ++it->run_count;
      it->run_ms_sum += *e.run_ms;
      ++it->run_buckets[run_bucket(*e.run_ms)];
    }
  }
  if (!rows_.empty()) {
    if (auto ok = store.add_minute_stats(rows_); !ok) return ok;
  }
  if (now >= next_prune_at_) {
    auto pruned = store.prune_minute_stats(now - kMinuteRetentionMs - kMinuteMs, kPruneChunk);
    if (!pruned) return tl::unexpected(pruned.error());
    // A full chunk: more is due, come back on the next batch; else in a minute.
    next_prune_at_ = *pruned > 0 ? now : now + kMinuteMs;
  }
  return {};
}

std::optional<double> run_ms_quantile(std::span<const std::int64_t> buckets, double q) {
  std::int64_t total = 0;
  for (auto n : buckets) total += n;
  if (total == 0) return std::nullopt;
  double rank = q * static_cast<double>(total);
  double seen = 0;
  for (std::size_t i = 0; i < buckets.size(); ++i) {
    if (buckets[i] == 0) continue;
    double lower = i == 0 ? 0 : static_cast<double>(ops::kRunMsBuckets[i - 1]);
    if (i >= ops::kRunMsBuckets.size()) return lower;  // past the last bound: its floor
    double upper = static_cast<double>(ops::kRunMsBuckets[i]);
    double n = static_cast<double>(buckets[i]);
    if (seen + n >= rank) return lower + (upper - lower) * std::clamp((rank - seen) / n, 0.0, 1.0);
    seen += n;
  }
  return static_cast<double>(ops::kRunMsBuckets.back());
}

std::optional<double> failure_rate(std::span<const ops::MinuteStats> minutes, TimeMs from) {
  std::int64_t failed = 0, completed = 0;
  for (const auto& m : minutes) {
    if (m.minute < from) continue;
    failed += m.failed;
    completed += m.completed;
  }
  if (failed + completed == 0) return std::nullopt;
  return static_cast<double>(failed) / static_cast<double>(failed + completed);
}

std::string summarize(const engine::Observation& obs, const SummaryQuery& query,
                      std::span<const RecentFailure> failures) {
  TimeMs to = obs.now;
  TimeMs from = to - static_cast<TimeMs>(query.hours) * 3'600'000;
  TimeMs first_minute = from - from % kMinuteMs;

  Totals totals;
  std::map<std::string, Totals> by_type;
  std::map<TimeMs, Totals> series;
  std::array<std::int64_t, ops::kRunMsBuckets.size() + 1> buckets{};
  std::int64_t run_count = 0, run_ms_sum = 0;
  for (const ops::MinuteStats& m : obs.minutes) {
    if (m.minute < first_minute) continue;
    if (query.queue && m.queue != *query.queue) continue;
    totals.add(m);
    by_type[m.type].add(m);
    series[m.minute].add(m);
    run_count += m.run_count;
    run_ms_sum += m.run_ms_sum;
    for (std::size_t i = 0; i < buckets.size(); ++i) buckets[i] += m.run_buckets[i];
  }

  Counts by_state;
  for (const QueueInfo& q : obs.stats.queues) {
    if (!query.queue || q.name == *query.queue) by_state.add(q.counts);
  }
  std::int64_t overdue = 0;
  std::optional<TimeMs> oldest;
  for (const ops::QueueBacklog& b : obs.backlog) {
    if (query.queue && b.queue != *query.queue) continue;
    overdue += b.overdue;
    if (b.oldest_run_at) oldest = oldest ? std::min(*oldest, *b.oldest_run_at) : *b.oldest_run_at;
  }

  JsonWriter w;
  w.begin_object();
  w.field("hours", query.hours);
  w.key("queue");
  if (query.queue) {
    w.value(*query.queue);
  } else {
    w.null();
  }
  w.key("from").time(from).key("to").time(to);
  w.field("total", totals.enqueued);
  totals.write(w);
  std::int64_t finished = totals.completed + totals.dead;
  optional_number(w, "success_rate",
                  finished ? std::optional<double>(static_cast<double>(totals.completed) /
                                                   static_cast<double>(finished))
                           : std::nullopt);
  w.key("processing_ms").begin_object();
  optional_number(w, "avg",
                  run_count ? std::optional<double>(static_cast<double>(run_ms_sum) /
                                                    static_cast<double>(run_count))
                            : std::nullopt);
  optional_number(w, "p50", run_ms_quantile(buckets, 0.50));
  optional_number(w, "p95", run_ms_quantile(buckets, 0.95));
  optional_number(w, "p99", run_ms_quantile(buckets, 0.99));
  w.field("count", run_count);
  w.end_object();
  w.field("overdue", overdue).field("overdue_threshold_ms", query.overdue_ms);
  w.key("oldest_queued_at").time(oldest);
  w.key("by_state");
  write_counts(w, by_state);
  w.key("by_type").begin_object();
  for (const auto& [type, t] : by_type) {
    w.key(type).begin_object();
    t.write(w);
    w.end_object();
  }
  w.end_object();
  w.key("recent_failures").begin_array();
  for (const RecentFailure& f : failures) {
    if (query.queue && f.queue != *query.queue) continue;
    if (f.at < from) continue;
    w.begin_object()
        .field("id", f.id)
        .field("type", f.type)
        .field("queue", f.queue)
        .field("kind", f.kind)
        .field("error", f.error)
        .field("attempt", f.attempt);
    w.key("at").time(f.at);
    w.end_object();
  }
  w.end_array();
  w.key("series").begin_array();
  for (const auto& [minute, t] : series) {
    w.begin_object();
    w.key("minute").time(minute);
    w.field("enqueued", t.enqueued).field("completed", t.completed).field("failed", t.failed);
    w.end_object();
  }
  w.end_array();
  w.end_object();
  return w.take();
}

}  // namespace spool::metrics
