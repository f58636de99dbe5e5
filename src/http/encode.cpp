#include "http/encode.hpp"

#include "http/errors.hpp"

namespace spool::http {
namespace {

void write_optional_json(JsonWriter& w, std::string_view key, const std::optional<std::string>& j) {
  w.key(key);
  if (j) {
    w.raw(*j);
  } else {
    w.null();
  }
}

}  // namespace

void write_backoff(JsonWriter& w, const Backoff& b) {
  w.begin_object()
      .field("type", to_string(b.type))
      .field("base_ms", b.base_ms)
      .field("max_ms", b.max_ms)
      .field("jitter", b.jitter)
      .end_object();
}

void write_job(JsonWriter& w, const Job& job) {
  w.begin_object();
  w.field("id", job.id).field("type", job.type).field("queue", job.queue);
  w.field("state", to_string(job.state));
  w.key("payload").raw(job.payload_json);
  w.field("priority", job.priority).field("attempts", job.attempts);
  w.field("max_attempts", job.max_attempts);
  w.key("backoff");
  write_backoff(w, job.backoff);
  w.field("lease_ms", job.lease_ms);
  w.key("created_at").time(job.created_at);
  w.key("run_at").time(job.run_at);
  w.key("started_at").time(job.started_at);
  w.key("finished_at").time(job.finished_at);
  w.key("lease_expires_at").time(job.lease_expires_at);
  w.key("worker");
  if (job.worker.empty()) {
    w.null();
  } else {
    w.value(job.worker);
  }
  w.key("last_error");
  if (job.errors.empty()) {
    w.null();
  } else {
    const auto& e = job.errors.back();
    w.begin_object().field("message", e.message).field("kind", to_string(e.kind));
    w.key("at").time(e.at);
    w.end_object();
  }
  w.key("errors").begin_array();
  for (const auto& e : job.errors) {
    w.begin_object().field("message", e.message).field("kind", to_string(e.kind));
    w.key("at").time(e.at);
    w.field("attempt", e.attempt).end_object();
  }
  w.end_array();
  write_optional_json(w, "result", job.result_json);
  write_optional_json(w, "progress", job.progress_json);
  w.key("dedupe_key");
  if (job.dedupe_key) {
    w.value(*job.dedupe_key);
  } else {
    w.null();
  }
  w.key("tags").begin_array();
  for (const auto& t : job.tags) w.value(t);
  w.end_array();
  w.key("processing_ms");
  if (job.state == JobState::kCompleted && job.started_at && job.finished_at) {
    w.value(*job.finished_at - *job.started_at);
  } else {
    w.null();
  }
  w.end_object();
}

std::string encode_job(const Job& job) {
  JsonWriter w;
  w.str().reserve(512 + job.payload_json.size());
  write_job(w, job);
  return w.take();
}

std::string encode_job_page(const store::JobPage& page) {
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

std::string encode_enqueue_result(const store::EnqueueResult& r) {
  JsonWriter w;
  w.str().reserve(80);
  w.begin_object()
      .field("id", r.id)
      .field("state", to_string(r.state))
      .field("deduplicated", r.deduplicated)
      .end_object();
  return w.take();
}

std::string encode_enqueue_batch(const std::vector<store::EnqueueResult>& results) {
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

std::string encode_settle_result(const store::SettleResult& r, bool with_next_run_at) {
  JsonWriter w;
  w.begin_object().field("id", r.id).field("state", to_string(r.state));
  if (with_next_run_at) w.key("next_run_at").time(r.next_run_at);
  w.end_object();
  return w.take();
}

std::string encode_settle_batch(const std::vector<std::string>& ids,
                                const std::vector<Result<store::SettleResult>>& results) {
  JsonWriter w;
  w.str().reserve(16 + results.size() * 64);
  w.begin_object().key("results").begin_array();
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
  w.end_array().end_object();
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
  write_optional_json(w, "push", c.push_json);
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

std::string encode_stats(const store::Stats& stats) {
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
