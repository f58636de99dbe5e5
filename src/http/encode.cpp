#include "http/encode.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "core/job_view.hpp"
#include "http/errors.hpp"

namespace spool::http {
namespace {

// A queue's push config as stored, but its secrets shown only as "whsec_...(redacted)": a
// reader token must not learn the key that signs deliveries (docs/push.md).
void write_push_config(JsonWriter& w, const std::optional<std::string>& push_json) {
  w.key("push");
  if (!push_json) {
    w.null();
    return;
  }
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(*push_json, ec);
  if (ec || !v.is_object()) {
    w.null();
    return;
  }
  for (const char* k : {"secret", "previous_secret"}) {
    if (auto* s = v.as_object().if_contains(k)) *s = "whsec_...(redacted)";
  }
  w.raw(boost::json::serialize(v));
}

}  // namespace

void write_backoff(JsonWriter& w, const Backoff& b) { write_backoff_view(w, b); }

void write_job(JsonWriter& w, const Job& job) { write_job_view(w, job); }

std::string encode_job(const Job& job) { return encode_job_view(job); }

std::string encode_job_page(const ops::JobPage& page) {
  JsonWriter w;
  std::size_t size = 64;
  for (const auto& j : page.jobs) size += 512 + j.payload_json.size();
  w.str().reserve(size);
  w.begin_object().key("jobs").begin_array();
  for (const auto& j : page.jobs) write_job(w, j);
  w.end_array();
  w.key("next_cursor");
  if (page.next_cursor) {
    w.value(*page.next_cursor);
  } else {
    w.null();
  }
  w.end_object();
  return w.take();
}

void write_reserved_job(JsonWriter& w, const Job& job) {
  w.begin_object();
  w.field("id", job.id).field("type", job.type).field("queue", job.queue);
  w.key("payload").raw(job.payload_json);
  w.field("attempt", job.attempts).field("max_attempts", job.max_attempts);
  w.field("lease", job.lease_token);
  w.key("lease_expires_at").time(job.lease_expires_at);
  // The lease length granted, so a worker can renew at half of it without reading clocks.
  if (job.lease_expires_at && job.started_at) {
    w.field("lease_ms", *job.lease_expires_at - *job.started_at);
  }
  // The attempt ends at started_at + timeout_ms whatever the extends (timed_out after it).
  if (job.timeout_ms) w.field("timeout_ms", *job.timeout_ms);
  w.key("created_at").time(job.created_at);
  w.key("tags").begin_array();
  for (const auto& t : job.tags) w.value(t);
  w.end_array();
  w.end_object();
}

std::string encode_reserved(const std::vector<Job>& jobs) {
  JsonWriter w;
  std::size_t size = 16;
  for (const auto& j : jobs) size += 256 + j.payload_json.size();
  w.str().reserve(size);
  w.begin_object().key("jobs").begin_array();
  for (const auto& j : jobs) write_reserved_job(w, j);
  w.end_array().end_object();
  return w.take();
}

std::string encode_enqueue_result(const ops::EnqueueResult& r) {
  JsonWriter w;
  w.str().reserve(80);
  w.begin_object()
      .field("id", r.id)
      .field("state", to_string(r.state))
      .field("deduplicated", r.deduplicated)
      .end_object();
  return w.take();
}

std::string encode_enqueue_batch(const std::vector<ops::EnqueueResult>& results) {
  JsonWriter w;
  w.str().reserve(16 + results.size() * 80);
  w.begin_object().key("jobs").begin_array();
  for (const auto& r : results) {
    w.begin_object()
        .field("id", r.id)
        .field("state", to_string(r.state))
        .field("deduplicated", r.deduplicated)
        .end_object();
  }
  w.end_array().end_object();
  return w.take();
}

std::string encode_settle_result(const ops::SettleResult& r, bool with_next_run_at) {
  JsonWriter w;
  w.begin_object().field("id", r.id).field("state", to_string(r.state));
  if (with_next_run_at) w.key("next_run_at").time(r.next_run_at);
  w.end_object();
  return w.take();
}

namespace {

void write_settle_results(JsonWriter& w, const std::vector<std::string>& ids,
                          const std::vector<StatusOr<ops::SettleResult>>& results) {
  w.key("results").begin_array();
  for (std::size_t i = 0; i < results.size(); ++i) {
    const auto& r = results[i];
    if (r) {
      w.begin_object().field("id", r->id).field("state", to_string(r->state));
      if (r->next_run_at) w.key("next_run_at").time(r->next_run_at);
      w.end_object();
    } else {
      w.begin_object();
      if (i < ids.size()) w.field("id", ids[i]);
      w.key("error").begin_object();
      w.field("code", map_status(r.error().code()).code).field("message", r.error().message());
      w.end_object().end_object();
    }
  }
  w.end_array();
}

}  // namespace

std::string encode_settle_batch(const std::vector<std::string>& ids,
                                const std::vector<StatusOr<ops::SettleResult>>& results) {
  JsonWriter w;
  w.str().reserve(16 + results.size() * 64);
  w.begin_object();
  write_settle_results(w, ids, results);
  w.end_object();
  return w.take();
}

std::string encode_settle_then_reserve(const std::vector<std::string>& ids,
                                       const std::vector<StatusOr<ops::SettleResult>>& results,
                                       const std::vector<Job>& jobs, const Status* reserve_error) {
  JsonWriter w;
  std::size_t size = 32 + results.size() * 64;
  for (const auto& j : jobs) size += 256 + j.payload_json.size();
  w.str().reserve(size);
  w.begin_object();
  write_settle_results(w, ids, results);
  w.key("jobs").begin_array();
  for (const auto& j : jobs) write_reserved_job(w, j);
  w.end_array();
  if (reserve_error) {
    w.key("reserve_error").begin_object();
    w.field("code", map_status(reserve_error->code()).code)
        .field("message", reserve_error->message());
    w.end_object();
  }
  w.end_object();
  return w.take();
}

std::string encode_extend(const std::string& id, TimeMs lease_expires_at) {
  JsonWriter w;
  w.begin_object().field("id", id);
  w.key("lease_expires_at").time(lease_expires_at);
  w.end_object();
  return w.take();
}

void write_counts(JsonWriter& w, const Counts& counts) {
  w.begin_object();
  for (JobState s : kAllJobStates) w.field(to_string(s), counts[s]);
  w.end_object();
}

void write_queue_config(JsonWriter& w, const QueueConfig& c) {
  auto opt_int = [&](std::string_view key, auto v) {
    w.key(key);
    if (v) {
      w.value(static_cast<std::int64_t>(*v));
    } else {
      w.null();
    }
  };
  w.begin_object();
  opt_int("max_attempts", c.max_attempts);
  w.key("backoff");
  if (c.backoff) {
    write_backoff(w, *c.backoff);
  } else {
    w.null();
  }
  opt_int("lease_ms", c.lease_ms);
  opt_int("timeout_ms", c.timeout_ms);
  opt_int("concurrency", c.concurrency);
  w.key("rate_limit");
  if (c.rate_limit) {
    w.begin_object()
        .field("limit", c.rate_limit->limit)
        .field("per_ms", c.rate_limit->per_ms)
        .end_object();
  } else {
    w.null();
  }
  opt_int("retain_completed_ms", c.retain_completed_ms);
  opt_int("retain_dead_ms", c.retain_dead_ms);
  opt_int("retain_cancelled_ms", c.retain_cancelled_ms);
  write_push_config(w, c.push_json);
  w.end_object();
}

namespace {
void write_queue(JsonWriter& w, const QueueInfo& q) {
  w.begin_object().field("name", q.name).field("paused", q.paused);
  w.key("counts");
  write_counts(w, q.counts);
  w.key("config");
  write_queue_config(w, q.config);
  w.end_object();
}
}  // namespace

std::string encode_queue(const QueueInfo& q) {
  JsonWriter w;
  w.str().reserve(512);
  write_queue(w, q);
  return w.take();
}

std::string encode_queues(const std::vector<QueueInfo>& queues) {
  JsonWriter w;
  w.str().reserve(16 + queues.size() * 512);
  w.begin_object().key("queues").begin_array();
  for (const auto& q : queues) write_queue(w, q);
  w.end_array().end_object();
  return w.take();
}

std::string encode_stats(const ops::Stats& stats) {
  JsonWriter w;
  w.str().reserve(128 + stats.queues.size() * 192);
  w.begin_object().key("queues").begin_object();
  for (const auto& q : stats.queues) {
    w.key(q.name).begin_object().key("counts");
    write_counts(w, q.counts);
    w.end_object();
  }
  w.end_object();
  w.key("totals").begin_object().key("counts");
  write_counts(w, stats.totals);
  w.end_object().end_object();
  return w.take();
}

std::string encode_count(std::string_view key, std::int64_t n) {
  JsonWriter w;
  w.begin_object().field(key, n).end_object();
  return w.take();
}

}  // namespace spool::http
