#include "core/job_view.hpp"

namespace spool {
namespace {

void write_optional_json(JsonWriter& w, std::string_view key, const std::optional<std::string>& j) {
  w.key(key);
  if (j) {
    w.raw(*j);
  } else {
    w.null();
  }
}

// callback_url, and callback {state, attempts, next_attempt_at | finished_at, last_error} once
// the job finished with one.
void write_callback(JsonWriter& w, const Job& job) {
  w.key("callback_url");
  if (job.callback_url) {
    w.value(*job.callback_url);
  } else {
    w.null();
  }
  w.key("callback");
  if (!job.callback) {
    w.null();
    return;
  }
  const CallbackStatus& c = *job.callback;
  w.begin_object().field("state", to_string(c.state)).field("attempts", c.attempts);
  if (c.state == CallbackState::kPending) {
    w.key("next_attempt_at").time(c.at);
  } else {
    w.key("finished_at").time(c.at);
  }
  w.key("last_error");
  if (c.last_error.empty()) {
    w.null();
  } else {
    w.value(c.last_error);
  }
  w.end_object();
}

}  // namespace

void write_backoff_view(JsonWriter& w, const Backoff& b) {
  w.begin_object()
      .field("type", to_string(b.type))
      .field("base_ms", b.base_ms)
      .field("max_ms", b.max_ms)
      .field("jitter", b.jitter)
      .end_object();
}

void write_job_view(JsonWriter& w, const Job& job) {
  w.begin_object();
  w.field("id", job.id).field("type", job.type).field("queue", job.queue);
  w.field("state", to_string(job.state));
  w.key("payload").raw(job.payload_json);
  w.field("priority", job.priority).field("attempts", job.attempts);
  w.field("max_attempts", job.max_attempts);
  w.key("backoff");
  write_backoff_view(w, job.backoff);
  w.field("lease_ms", job.lease_ms);
  w.key("timeout_ms");
  if (job.timeout_ms) {
    w.value(*job.timeout_ms);
  } else {
    w.null();
  }
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
  write_callback(w, job);
  w.end_object();
}

std::string encode_job_view(const Job& job) {
  JsonWriter w;
  w.str().reserve(512 + job.payload_json.size());
  write_job_view(w, job);
  return w.take();
}

}  // namespace spool
