#include "client/codec.hpp"

#include <cstdio>

namespace spool::client {

namespace json = boost::json;

std::string format_rfc3339(WallTime t) {
  using namespace std::chrono;
  sys_days day = floor<days>(t);
  year_month_day ymd{day};
  hh_mm_ss<milliseconds> hms{t - day};
  char text[64];
  std::snprintf(text, sizeof text, "%04d-%02u-%02uT%02ld:%02ld:%02ld.%03ldZ",
                static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()), static_cast<long>(hms.hours().count()),
                static_cast<long>(hms.minutes().count()), static_cast<long>(hms.seconds().count()),
                static_cast<long>(hms.subseconds().count()));
  return text;
}

json::object encode_new_job(const NewJob& job) {
  json::object o;
  o["type"] = job.type;
  o["payload"] = job.payload;
  if (job.queue) o["queue"] = *job.queue;
  if (job.priority) o["priority"] = *job.priority;
  if (job.delay) o["delay_ms"] = job.delay->count();
  if (job.run_at) o["run_at"] = format_rfc3339(*job.run_at);
  if (job.dedupe_key) o["dedupe_key"] = *job.dedupe_key;
  if (job.dedupe_window) o["dedupe_window_ms"] = job.dedupe_window->count();
  if (job.max_attempts) o["max_attempts"] = *job.max_attempts;
  if (job.backoff) {
    const Backoff& b = *job.backoff;
    o["backoff"] = {{"type", b.type == Backoff::Type::kFixed ? "fixed" : "exponential"},
                    {"base_ms", b.base.count()},
                    {"max_ms", b.max.count()},
                    {"jitter", b.jitter}};
  }
  if (job.lease) o["lease_ms"] = job.lease->count();
  if (job.timeout) o["timeout_ms"] = job.timeout->count();
  if (!job.tags.empty()) {
    json::array tags;
    for (const auto& t : job.tags) tags.emplace_back(t);
    o["tags"] = std::move(tags);
  }
  return o;
}

json::object encode_reserve(const ReserveRequest& request) {
  json::object o;
  json::array queues;
  for (const auto& q : request.queues) queues.emplace_back(q);
  o["queues"] = std::move(queues);
  o["max"] = request.max;
  o["wait_ms"] = request.wait.count();
  if (request.lease) o["lease_ms"] = request.lease->count();
  if (!request.worker.empty()) o["worker"] = request.worker;
  return o;
}

std::string_view failure_kind_name(Failure::Kind kind) {
  switch (kind) {
    case Failure::Kind::kRetry:
      return "retry";
    case Failure::Kind::kPermanent:
      return "permanent";
    case Failure::Kind::kSnooze:
      return "snooze";
    case Failure::Kind::kRelease:
      return "release";
  }
  return "retry";
}

json::object encode_failure(const Failure& failure) {
  json::object e;
  e["message"] = failure.message;
  e["kind"] = failure_kind_name(failure.kind);
  if (failure.retry_after) e["retry_after_ms"] = failure.retry_after->count();
  return e;
}

Error bad_response(std::string what) {
  return Error{"bad_response", "unexpected answer from the server: " + std::move(what), "", 0};
}

namespace {

std::string text(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (v && v->is_string()) return std::string(v->get_string());
  return {};
}

std::int64_t integer(const json::object& o, std::string_view key, std::int64_t fallback = 0) {
  const json::value* v = o.if_contains(key);
  if (v && v->is_int64()) return v->get_int64();
  if (v && v->is_uint64()) return static_cast<std::int64_t>(v->get_uint64());
  return fallback;
}

json::value any(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v ? *v : json::value(nullptr);
}

std::vector<std::string> strings(const json::object& o, std::string_view key) {
  std::vector<std::string> out;
  const json::value* v = o.if_contains(key);
  if (!v || !v->is_array()) return out;
  for (const auto& item : v->get_array()) {
    if (item.is_string()) out.emplace_back(item.get_string());
  }
  return out;
}

Result<const json::object*> object_with_id(const json::value& v, std::string_view what) {
  if (!v.is_object()) return tl::unexpected(bad_response(std::string(what) + " is not an object"));
  const json::object& o = v.get_object();
  if (text(o, "id").empty()) {
    return tl::unexpected(bad_response(std::string(what) + " has no id"));
  }
  return &o;
}

JobError decode_job_error(const json::value& v) {
  JobError e;
  if (!v.is_object()) return e;
  e.message = text(v.get_object(), "message");
  e.kind = text(v.get_object(), "kind");
  e.at = text(v.get_object(), "at");
  return e;
}

}  // namespace

Result<Enqueued> decode_enqueued(const json::value& v) {
  auto o = object_with_id(v, "the enqueue answer");
  if (!o) return tl::unexpected(o.error());
  const json::value* dedup = (*o)->if_contains("deduplicated");
  return Enqueued{text(**o, "id"), text(**o, "state"),
                  dedup && dedup->is_bool() && dedup->get_bool()};
}

Result<JobInfo> decode_job(const json::value& v) {
  auto found = object_with_id(v, "the job");
  if (!found) return tl::unexpected(found.error());
  const json::object& o = **found;
  JobInfo job;
  job.id = text(o, "id");
  job.type = text(o, "type");
  job.queue = text(o, "queue");
  job.state = text(o, "state");
  job.payload = any(o, "payload");
  job.priority = static_cast<int>(integer(o, "priority"));
  job.attempts = static_cast<int>(integer(o, "attempts"));
  job.max_attempts = static_cast<int>(integer(o, "max_attempts"));
  job.created_at = text(o, "created_at");
  job.run_at = text(o, "run_at");
  job.started_at = text(o, "started_at");
  job.finished_at = text(o, "finished_at");
  job.lease_expires_at = text(o, "lease_expires_at");
  job.worker = text(o, "worker");
  if (const json::value* last = o.if_contains("last_error"); last && last->is_object()) {
    job.last_error = decode_job_error(*last);
  }
  if (const json::value* errors = o.if_contains("errors"); errors && errors->is_array()) {
    for (const auto& e : errors->get_array()) job.errors.push_back(decode_job_error(e));
  }
  job.result = any(o, "result");
  job.progress = any(o, "progress");
  job.dedupe_key = text(o, "dedupe_key");
  job.tags = strings(o, "tags");
  if (const json::value* ms = o.if_contains("processing_ms"); ms && ms->is_number()) {
    job.processing_ms = integer(o, "processing_ms");
  }
  job.raw = o;
  return job;
}

Result<JobPage> decode_page(const json::value& v) {
  const json::value* jobs = v.is_object() ? v.get_object().if_contains("jobs") : nullptr;
  if (!jobs || !jobs->is_array()) return tl::unexpected(bad_response("the job list has no jobs"));
  JobPage page;
  for (const auto& item : jobs->get_array()) {
    auto job = decode_job(item);
    if (!job) return tl::unexpected(job.error());
    page.jobs.push_back(std::move(*job));
  }
  page.next_cursor = text(v.get_object(), "next_cursor");
  return page;
}

Result<ReservedJob> decode_reserved(const json::value& v) {
  auto found = object_with_id(v, "a reserved job");
  if (!found) return tl::unexpected(found.error());
  const json::object& o = **found;
  ReservedJob job;
  job.id = text(o, "id");
  job.type = text(o, "type");
  job.queue = text(o, "queue");
  job.payload = any(o, "payload");
  job.attempt = static_cast<int>(integer(o, "attempt"));
  job.max_attempts = static_cast<int>(integer(o, "max_attempts"));
  job.lease = text(o, "lease");
  job.lease_expires_at = text(o, "lease_expires_at");
  job.lease_length = Millis(integer(o, "lease_ms"));
  job.created_at = text(o, "created_at");
  job.tags = strings(o, "tags");
  if (job.lease.empty())
    return tl::unexpected(bad_response("reserved job " + job.id + " has no lease"));
  return job;
}

Result<Settled> decode_settled(const json::value& v) {
  auto found = object_with_id(v, "the settle answer");
  if (!found) return tl::unexpected(found.error());
  return Settled{text(**found, "id"), text(**found, "state"), text(**found, "next_run_at")};
}

namespace {

Counts decode_counts(const json::value& v) {
  Counts counts;
  const json::value* c = v.is_object() ? v.get_object().if_contains("counts") : nullptr;
  if (!c || !c->is_object()) return counts;
  for (const auto& [state, n] : c->get_object()) {
    if (n.is_int64()) counts.by_state[std::string(state)] = n.get_int64();
  }
  return counts;
}

}  // namespace

Result<Stats> decode_stats(const json::value& v) {
  if (!v.is_object()) return tl::unexpected(bad_response("the stats answer is not an object"));
  Stats stats;
  if (const json::value* queues = v.get_object().if_contains("queues");
      queues && queues->is_object()) {
    for (const auto& [name, q] : queues->get_object()) {
      stats.queues[std::string(name)] = decode_counts(q);
    }
  }
  if (const json::value* totals = v.get_object().if_contains("totals")) {
    stats.totals = decode_counts(*totals);
  }
  return stats;
}

Error decode_error(int http_status, std::string_view body) {
  json::error_code ec;
  json::value v = json::parse(body, ec);
  const json::value* e = (!ec && v.is_object()) ? v.get_object().if_contains("error") : nullptr;
  if (e && e->is_object()) {
    const json::object& o = e->get_object();
    Error error{text(o, "code"), text(o, "message"), text(o, "field"), http_status};
    if (error.code.empty()) error.code = "bad_response";
    if (error.message.empty()) error.message = "HTTP " + std::to_string(http_status);
    return error;
  }
  std::string excerpt(body.substr(0, 200));
  Error error =
      bad_response("HTTP " + std::to_string(http_status) + (excerpt.empty() ? "" : ": " + excerpt));
  error.http_status = http_status;
  return error;
}

}  // namespace spool::client
