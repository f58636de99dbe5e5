// Encoding schedules (API.md "Schedules"): the stored schedule, its job template with the
// payload spliced as given, and on a single GET the next fire times.
#include "http/encode.hpp"

namespace spool::http {

void write_schedule(JsonWriter& w, const Schedule& s, const std::vector<TimeMs>* next_runs) {
  w.begin_object().field("id", s.id).field("name", s.name);
  w.key("cron");
  if (s.cron) {
    w.value(*s.cron);
  } else {
    w.null();
  }
  w.key("every_ms");
  if (s.every_ms) {
    w.value(*s.every_ms);
  } else {
    w.null();
  }
  w.field("timezone", s.timezone);

  const JobTemplate& job = s.job;
  w.key("job").begin_object().field("type", job.type);
  w.field("queue", job.queue.value_or(job.type));
  w.key("payload").raw(job.payload_json);
  w.field("priority", job.priority);
  if (job.max_attempts) w.field("max_attempts", *job.max_attempts);
  if (job.backoff) {
    w.key("backoff");
    write_backoff(w, *job.backoff);
  }
  if (job.lease_ms) w.field("lease_ms", *job.lease_ms);
  w.key("tags").begin_array();
  for (const auto& t : job.tags) w.value(t);
  w.end_array().end_object();

  w.field("misfire", to_string(s.misfire)).field("overlap", to_string(s.overlap));
  w.field("paused", s.paused);
  w.key("next_run_at").time(s.paused ? std::nullopt : s.next_run_at);
  w.key("last_run_at").time(s.last_run_at);
  w.key("last_job_id");
  if (s.last_job_id) {
    w.value(*s.last_job_id);
  } else {
    w.null();
  }
  w.key("created_at").time(s.created_at);
  w.key("updated_at").time(s.updated_at);
  if (next_runs) {
    w.key("next_runs").begin_array();
    for (TimeMs t : *next_runs) w.time(t);
    w.end_array();
  }
  w.end_object();
}

std::string encode_schedule(const Schedule& s, const std::vector<TimeMs>* next_runs) {
  JsonWriter w;
  write_schedule(w, s, next_runs);
  return w.take();
}

std::string encode_schedules(const std::vector<Schedule>& schedules) {
  JsonWriter w;
  w.begin_object().key("schedules").begin_array();
  for (const Schedule& s : schedules) write_schedule(w, s, nullptr);
  w.end_array().end_object();
  return w.take();
}

}  // namespace spool::http
