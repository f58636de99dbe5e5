// Decoding PATCH /v1/queues/{name}, retry-dead and purge (see requests.hpp).
#include <boost/json/value.hpp>
#include <boost/url/parse.hpp>

#include "core/names.hpp"
#include "http/json_input.hpp"
#include "http/request_fields.hpp"
#include "http/requests.hpp"

namespace spool::http {
namespace {

constexpr std::int64_t kMaxConcurrency = 1'000'000;
constexpr std::int64_t kMaxRateLimit = 1'000'000'000;
constexpr std::int64_t kMaxPushTimeoutMs = 300'000;
constexpr std::int64_t kMaxPushConcurrency = 10'000;
constexpr std::size_t kMaxUrlBytes = 2048;
constexpr std::size_t kMaxSecretBytes = 1024;

bool read_rate_limit(FieldReader& r, std::optional<RateLimit>& out) {
  const boost::json::object* o = nullptr;
  if (!r.opt_object("rate_limit", o)) return false;
  if (!o) return true;
  FieldReader rl(*o, "rate_limit.");
  std::optional<std::int64_t> limit, per_ms;
  if (!rl.opt_int("limit", 1, kMaxRateLimit, limit) || !rl.opt_int("per_ms", 1, kDayMs, per_ms) ||
      !rl.refuse_unknown()) {
    return r.fail_with(rl.take_status());
  }
  if (!limit) return r.fail("rate_limit.limit", "rate_limit.limit is required (jobs per window)");
  if (!per_ms) return r.fail("rate_limit.per_ms", "rate_limit.per_ms is required (the window)");
  out = RateLimit{*limit, *per_ms};
  return true;
}

// push {url (http or https), secret, timeout_ms, concurrency}: checked here, stored as given.
// "push": null removes the queue's push config: out = "null", which QueueConfig::merge reads as
// a removal.
bool read_push(FieldReader& r, std::optional<std::string>& out) {
  if (const auto* v = r.find("push"); v && v->is_null()) {
    out = "null";
    return true;
  }
  const boost::json::object* o = nullptr;
  if (!r.opt_object("push", o)) return false;
  if (!o) return true;
  FieldReader p(*o, "push.");
  // Checked in full when the pusher reads the config (push/push_config.cpp, docs/push.md).
  p.also_known({"headers", "ca_file", "previous_secret", "previous_secret_expires_at",
                "connect_timeout_ms"});
  std::string url;
  std::optional<std::string> secret;
  std::optional<std::int64_t> timeout_ms, concurrency;
  if (!p.req_string("url", kMaxUrlBytes, url) || !p.opt_string("secret", kMaxSecretBytes, secret) ||
      !p.opt_int("timeout_ms", 1, kMaxPushTimeoutMs, timeout_ms) ||
      !p.opt_int("concurrency", 1, kMaxPushConcurrency, concurrency) || !p.refuse_unknown()) {
    return r.fail_with(p.take_status());
  }
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed || (parsed->scheme() != "http" && parsed->scheme() != "https") ||
      parsed->host().empty()) {
    return r.fail("push.url",
                  "push.url must be an absolute http or https URL, got " + quote_for_message(url));
  }
  out = to_json_text(boost::json::value(*o));
  return true;
}

}  // namespace

Status check_queue_name(std::string_view name) {
  if (is_valid_name(name)) return {};
  return Status(
      StatusCode::kInvalidArgument,
      "the queue name must be " + std::string(kNameRule) + ", got " + quote_for_message(name),
      "name");
}

StatusOr<QueueConfig> parse_queue_patch(std::string_view body) {
  JsonDocument doc;
  if (Status s = doc.parse_object(body); !s.ok()) return tl::unexpected(std::move(s));
  FieldReader r(doc.root());
  QueueConfig c;
  std::optional<std::int64_t> max_attempts, concurrency;
  if (!r.opt_int("max_attempts", kMinAttempts, kMaxAttempts, max_attempts) ||
      !read_backoff(r, "backoff", c.backoff) ||
      !r.opt_int("lease_ms", kMinLeaseMs, kMaxLeaseMs, c.lease_ms) ||
      !r.opt_int("timeout_ms", kMinTimeoutMs, kMaxTimeoutMs, c.timeout_ms) ||
      !r.opt_int("concurrency", 0, kMaxConcurrency, concurrency) ||
      !read_rate_limit(r, c.rate_limit) ||
      !r.opt_int("retain_completed_ms", 0, kMaxRetainMs, c.retain_completed_ms) ||
      !r.opt_int("retain_dead_ms", 0, kMaxRetainMs, c.retain_dead_ms) ||
      !r.opt_int("retain_cancelled_ms", 0, kMaxRetainMs, c.retain_cancelled_ms) ||
      !read_push(r, c.push_json) || !r.refuse_unknown()) {
    return tl::unexpected(r.take_status());
  }
  if (max_attempts) c.max_attempts = static_cast<int>(*max_attempts);
  if (concurrency) c.concurrency = static_cast<int>(*concurrency);
  return c;
}

StatusOr<std::optional<std::string>> parse_retry_dead(std::string_view body) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return std::optional<std::string>();
  }
  JsonDocument doc;
  if (Status s = doc.parse_object(body); !s.ok()) return tl::unexpected(std::move(s));
  FieldReader r(doc.root());
  std::optional<std::string> type;
  if (!r.opt_name("type", type) || !r.refuse_unknown()) return tl::unexpected(r.take_status());
  return type;
}

StatusOr<JobState> parse_purge(const QueryParams& query) {
  static constexpr std::string_view kKnown[] = {"state"};
  if (Status s = check_query(query, kKnown); !s.ok()) return tl::unexpected(std::move(s));
  const std::string* state = nullptr;
  for (const auto& [k, v] : query) {
    if (k == "state") state = &v;
  }
  constexpr std::string_view kAllowed = "completed, dead or cancelled";
  if (!state) {
    return invalid("state", "state is required in the query: " + std::string(kAllowed));
  }
  auto s = parse_job_state(*state);
  if (!s || !is_finished(*s)) {
    return invalid("state",
                   "state must be " + std::string(kAllowed) + ", got " + quote_for_message(*state));
  }
  return *s;
}

}  // namespace spool::http
