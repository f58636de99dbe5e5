// Decoding POST /v1/jobs, POST /v1/jobs/batch and GET /v1/jobs (see requests.hpp).
#include <algorithm>
#include <boost/json/value.hpp>
#include <charconv>
#include <limits>

#include "core/callback_url.hpp"
#include "core/names.hpp"
#include "core/time_format.hpp"
#include "http/json_input.hpp"
#include "http/raw_json.hpp"
#include "http/request_fields.hpp"
#include "http/requests.hpp"

namespace spool::http {
namespace {

constexpr std::int64_t kInt32Min = std::numeric_limits<std::int32_t>::min();
constexpr std::int64_t kInt32Max = std::numeric_limits<std::int32_t>::max();

bool read_tags(FieldReader& r, std::vector<std::string>& out) {
  const boost::json::array* tags = nullptr;
  if (!r.opt_array("tags", tags)) return false;
  if (!tags) return true;
  if (tags->size() > kMaxTags) {
    return r.fail("tags", r.field_name("tags") + " may hold at most " + std::to_string(kMaxTags) +
                              " tags, got " + std::to_string(tags->size()));
  }
  out.reserve(tags->size());
  for (std::size_t i = 0; i < tags->size(); ++i) {
    std::string tag;
    std::string key = "tags[" + std::to_string(i) + "]";
    Status s = check_name((*tags)[i], r.field_name(key), tag);
    if (!s.ok()) return r.fail_with(std::move(s));
    out.push_back(std::move(tag));
  }
  return true;
}

// One job object, as in POST /v1/jobs or an element of a batch.
// `raw` is the job object's text in the body, so the payload is kept as the client wrote it.
StatusOr<engine::EnqueueRequest> decode_job(const boost::json::object& o, std::string prefix,
                                            std::string_view raw) {
  FieldReader r(o, std::move(prefix), raw);
  if (o.contains("id")) {
    // Said plainly, as a silently dropped id would make the client's own id point nowhere.
    return invalid(r.field_name("id"),
                   r.field_name("id") +
                       " cannot be chosen: the server assigns every job's id and answers it. To "
                       "make an enqueue safe to retry, give a dedupe_key");
  }
  engine::EnqueueRequest job;
  const boost::json::value* payload = nullptr;
  if (!r.req_name("type", job.type)) return tl::unexpected(r.take_status());
  if (!r.opt_name("queue", job.queue)) return tl::unexpected(r.take_status());
  if (!r.required("payload", payload)) {
    return invalid(r.field_name("payload"),
                   r.field_name("payload") + " is required (any JSON value, e.g. {} or null)");
  }
  std::optional<std::string> payload_text;
  if (!r.opt_json("payload", payload_text)) return tl::unexpected(r.take_status());
  job.payload_json = std::move(*payload_text);

  std::optional<std::int64_t> n;
  if (!r.opt_int("priority", kInt32Min, kInt32Max, n)) return tl::unexpected(r.take_status());
  if (n) job.priority = static_cast<int>(*n);

  if (!r.opt_int("delay_ms", 0, kMaxDelayMs, job.delay_ms)) return tl::unexpected(r.take_status());
  if (const auto* run_at = r.find("run_at")) {
    if (job.delay_ms) {
      return invalid(r.field_name("run_at"), "give either delay_ms or run_at, not both (" +
                                                 r.field_name("run_at") +
                                                 " is an absolute time, delay_ms a relative one)");
    }
    if (!run_at->is_string()) {
      return invalid(r.field_name("run_at"), r.field_name("run_at") +
                                                 " must be an RFC 3339 time string, got " +
                                                 std::string(describe_kind(*run_at)));
    }
    auto t = parse_rfc3339(run_at->get_string());
    if (!t) {
      return invalid(r.field_name("run_at"),
                     r.field_name("run_at") +
                         " must be an RFC 3339 time such as 2026-11-25T02:34:49.123Z, got " +
                         quote_for_message(run_at->get_string()));
    }
    job.run_at = *t;
  }

  if (!r.opt_string("dedupe_key", kMaxDedupeKeyBytes, job.dedupe_key)) {
    return tl::unexpected(r.take_status());
  }
  if (!r.opt_int("dedupe_window_ms", 1, kMaxDedupeWindowMs, job.dedupe_window_ms)) {
    return tl::unexpected(r.take_status());
  }
  n.reset();
  if (!r.opt_int("max_attempts", kMinAttempts, kMaxAttempts, n)) {
    return tl::unexpected(r.take_status());
  }
  if (n) job.max_attempts = static_cast<int>(*n);
  if (!read_backoff(r, "backoff", job.backoff)) return tl::unexpected(r.take_status());
  if (!r.opt_int("lease_ms", kMinLeaseMs, kMaxLeaseMs, job.lease_ms)) {
    return tl::unexpected(r.take_status());
  }
  if (!r.opt_int("timeout_ms", kMinTimeoutMs, kMaxTimeoutMs, job.timeout_ms)) {
    return tl::unexpected(r.take_status());
  }
  if (!read_tags(r, job.tags)) return tl::unexpected(r.take_status());
  // Only its length and type here: the allow list is the server's (handlers/jobs.cpp).
  if (!r.opt_string("callback_url", kMaxCallbackUrlBytes, job.callback_url)) {
    return tl::unexpected(r.take_status());
  }
  if (!r.refuse_unknown()) return tl::unexpected(r.take_status());
  return job;
}

}  // namespace

StatusOr<JobTemplate> decode_job_template(const boost::json::object& o, const std::string& prefix,
                                          std::string_view raw) {
  // The schedule decides when its jobs run and keys each fire: refuse what would contradict it.
  for (std::string_view key : {"delay_ms", "run_at", "dedupe_key", "dedupe_window_ms"}) {
    if (o.contains(key)) {
      return invalid(prefix + std::string(key),
                     prefix + std::string(key) +
                         " is not allowed in a schedule's job: the schedule sets when each job "
                         "runs, and each fire is deduplicated by schedule and fire time");
    }
  }
  auto job = decode_job(o, prefix, raw);
  if (!job) return tl::unexpected(std::move(job.error()));
  if (job->callback_url) {
    return invalid(prefix + "callback_url",
                   prefix + "callback_url is not supported in a schedule's job (yet)");
  }
  if (job->timeout_ms) {
    return invalid(prefix + "timeout_ms",
                   prefix +
                       "timeout_ms is not supported in a schedule's job (yet); set it on the "
                       "job's queue (PATCH /v1/queues/{name} {\"timeout_ms\": ...})");
  }
  JobTemplate t;
  t.type = std::move(job->type);
  t.queue = std::move(job->queue);
  t.payload_json = std::move(job->payload_json);
  t.priority = job->priority;
  t.max_attempts = job->max_attempts;
  t.backoff = job->backoff;
  t.lease_ms = job->lease_ms;
  t.tags = std::move(job->tags);
  return t;
}

namespace {

std::string_view states_list() {
  return "scheduled, queued, active, retrying, completed, dead, cancelled";
}

}  // namespace

bool read_backoff(FieldReader& r, std::string_view key, std::optional<Backoff>& out) {
  const boost::json::object* o = nullptr;
  if (!r.opt_object(key, o)) return false;
  if (!o) return true;
  std::string prefix = r.field_name(key) + ".";
  FieldReader b(*o, prefix);
  Backoff backoff;
  std::optional<std::string> type;
  if (const auto* t = b.find("type")) {
    if (!t->is_string() || !parse_backoff_type(t->get_string())) {
      std::string got =
          t->is_string() ? quote_for_message(t->get_string()) : std::string(describe_kind(*t));
      return r.fail(std::string(key) + ".type",
                    prefix + "type must be exponential or fixed, got " + got);
    }
    backoff.type = *parse_backoff_type(t->get_string());
  }
  std::optional<std::int64_t> base, max;
  std::optional<bool> jitter;
  if (!b.opt_int("base_ms", 1, kMaxBackoffBaseMs, base) ||
      !b.opt_int("max_ms", 1, kMaxBackoffMaxMs, max) || !b.opt_bool("jitter", jitter) ||
      !b.refuse_unknown()) {
    return r.fail_with(b.take_status());
  }
  if (base) backoff.base_ms = *base;
  if (max) {
    if (*max < backoff.base_ms) {
      return r.fail(std::string(key) + ".max_ms",
                    prefix + "max_ms must be at least base_ms (" + std::to_string(backoff.base_ms) +
                        ") and at most " + std::to_string(kMaxBackoffMaxMs) + ", got " +
                        std::to_string(*max));
    }
    backoff.max_ms = *max;
  } else {
    backoff.max_ms = std::max(backoff.max_ms, backoff.base_ms);
  }
  if (jitter) backoff.jitter = *jitter;
  out = backoff;
  return true;
}

StatusOr<engine::EnqueueRequest> parse_enqueue(std::string_view body) {
  JsonDocument doc;
  if (Status s = doc.parse_object(body); !s.ok()) return tl::unexpected(std::move(s));
  return decode_job(doc.root(), {}, doc.text());
}

StatusOr<std::vector<engine::EnqueueRequest>> parse_enqueue_batch(std::string_view body) {
  JsonDocument doc;
  if (Status s = doc.parse_object(body); !s.ok()) return tl::unexpected(std::move(s));
  FieldReader r(doc.root());
  const boost::json::value* jobs_value = nullptr;
  if (!r.required("jobs", jobs_value)) {
    return invalid("jobs",
                   "jobs is required: an array of 1 to " + std::to_string(kMaxBatchJobs) + " jobs");
  }
  if (!jobs_value->is_array()) {
    return invalid("jobs", "jobs must be an array of 1 to " + std::to_string(kMaxBatchJobs) +
                               " jobs, got " + std::string(describe_kind(*jobs_value)));
  }
  if (!r.refuse_unknown()) return tl::unexpected(r.take_status());
  const auto& jobs = jobs_value->get_array();
  if (jobs.empty() || jobs.size() > kMaxBatchJobs) {
    return invalid("jobs", "jobs must hold 1 to " + std::to_string(kMaxBatchJobs) + " jobs, got " +
                               std::to_string(jobs.size()));
  }
  std::vector<std::string_view> raw_jobs =
      raw_elements(raw_member(doc.text(), "jobs").value_or(""));
  // Never fewer than the parsed jobs; if the scan disagrees, payloads are re-serialized.
  raw_jobs.resize(jobs.size());
  std::vector<engine::EnqueueRequest> out;
  out.reserve(jobs.size());
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    std::string prefix = "jobs[" + std::to_string(i) + "]";
    if (!jobs[i].is_object()) {
      return invalid(prefix,
                     prefix + " must be an object, got " + std::string(describe_kind(jobs[i])));
    }
    auto job = decode_job(jobs[i].get_object(), prefix + ".", raw_jobs[i]);
    if (!job) return tl::unexpected(std::move(job.error()));
    out.push_back(std::move(*job));
  }
  return out;
}

// A query names each parameter from `known`, once unless it is `repeatable`: an unknown one (a
// typo, or `status` for state) would list every job, and a repeated one would keep only its last
// value.
Status check_query(const QueryParams& query, std::span<const std::string_view> known,
                   std::span<const std::string_view> repeatable) {
  for (std::size_t i = 0; i < query.size(); ++i) {
    const std::string& key = query[i].first;
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      return unknown_field(key, known, {}, "query parameter");
    }
    if (std::find(repeatable.begin(), repeatable.end(), key) != repeatable.end()) continue;
    for (std::size_t j = 0; j < i; ++j) {
      if (query[j].first == key) {
        return Status(StatusCode::kInvalidArgument,
                      key +
                          " is given more than once in the query; give it once (listing by "
                          "several values of one parameter is not supported)",
                      key);
      }
    }
  }
  return {};
}

StatusOr<ops::JobFilter> parse_list_jobs(const QueryParams& query) {
  static constexpr std::string_view kKnown[] = {"state",      "type",  "queue", "tag",
                                                "dedupe_key", "limit", "order", "cursor"};
  static constexpr std::string_view kRepeatable[] = {"tag"};  // all must match
  if (Status s = check_query(query, kKnown, kRepeatable); !s.ok()) {
    return tl::unexpected(std::move(s));
  }
  ops::JobFilter f;
  f.limit = kDefaultListLimit;
  for (const auto& [key, value] : query) {
    if (key == "state") {
      auto s = parse_job_state(value);
      if (!s) {
        return invalid("state", "state must be one of " + std::string(states_list()) + ", got " +
                                    quote_for_message(value));
      }
      f.state = *s;
    } else if (key == "type" || key == "queue" || key == "tag") {
      if (!is_valid_name(value)) {
        return invalid(
            key, key + " must be " + std::string(kNameRule) + ", got " + quote_for_message(value));
      }
      if (key == "tag") {
        if (f.tags.size() == ops::kMaxTagFilters) {
          return invalid("tag", "tag may be given at most " + std::to_string(ops::kMaxTagFilters) +
                                    " times (jobs carrying all of them are listed)");
        }
        f.tags.push_back(value);
      } else {
        (key == "type" ? f.type : f.queue) = value;
      }
    } else if (key == "dedupe_key") {
      if (value.empty() || value.size() > kMaxDedupeKeyBytes) {
        return invalid(key, "dedupe_key must be 1 to " + std::to_string(kMaxDedupeKeyBytes) +
                                " bytes long, got " + std::to_string(value.size()));
      }
      f.dedupe_key = value;
    } else if (key == "limit") {
      int n = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (ec != std::errc() || end != value.data() + value.size() || n < 1 || n > kMaxListLimit) {
        return invalid("limit", "limit must be an integer between 1 and " +
                                    std::to_string(kMaxListLimit) + ", got " +
                                    quote_for_message(value));
      }
      f.limit = n;
    } else if (key == "order") {
      if (value != "asc" && value != "desc") {
        return invalid("order", "order must be asc or desc, got " + quote_for_message(value));
      }
      f.ascending = value == "asc";
    } else if (key == "cursor") {
      if (value.empty() || value.size() > kMaxIdBytes) {
        return invalid("cursor", "cursor must be the next_cursor of an earlier page, got " +
                                     quote_for_message(value));
      }
      f.after_id = value;
    }
  }
  return f;
}

}  // namespace spool::http
