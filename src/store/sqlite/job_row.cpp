#include "store/sqlite/job_row.hpp"

#include <boost/json.hpp>

#include "core/json_writer.hpp"

namespace spool::store::sqlite {
namespace {

enum Col {
  kId,
  kType,
  kQueue,
  kState,
  kPriority,
  kAttempts,
  kMaxAttempts,
  kBackoffType,
  kBackoffBase,
  kBackoffMax,
  kBackoffJitter,
  kLeaseMs,
  kCreatedAt,
  kRunAt,
  kStartedAt,
  kFinishedAt,
  kLeaseExpiresAt,
  kExpiresAt,
  kLeaseToken,
  kWorker,
  kDedupeKey,
  kTags,
  kErrors,
  kResult,
  kProgress,
  kPayload,
  kCallback,
  kTimeoutMs,
  kCount
};
static_assert(kCount == kJobColumnCount);

FailKind parse_stored_kind(std::string_view text) {
  if (text == to_string(FailKind::kLeaseExpired)) return FailKind::kLeaseExpired;
  if (text == to_string(FailKind::kTimeout)) return FailKind::kTimeout;
  return parse_fail_kind(text).value_or(FailKind::kRetry);
}

void append_error_json(std::string& out, const ErrorRecord& e) {
  out += "{\"message\":";
  append_json_string(out, e.message);
  out += ",\"kind\":\"";
  out += to_string(e.kind);
  out += "\",\"at\":";
  out += std::to_string(e.at);
  out += ",\"attempt\":";
  out += std::to_string(e.attempt);
  out += '}';
}

// The `callback` column (schema.cpp, migration 5). Like the other decoders, a damaged value
// leaves the job readable.
void decode_callback(std::string_view json, Job& job) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(json, ec);
  const auto* o = ec ? nullptr : v.if_object();
  if (o == nullptr) return;
  if (const auto* url = o->if_contains("url"); url && url->is_string()) {
    job.callback_url = std::string(url->get_string());
  }
  const auto* state = o->if_contains("state");
  if (state == nullptr || !state->is_string()) return;
  CallbackStatus c;
  for (CallbackState s :
       {CallbackState::kPending, CallbackState::kDelivered, CallbackState::kFailed}) {
    if (state->get_string() == to_string(s)) c.state = s;
  }
  if (const auto* n = o->if_contains("attempts"); n && n->is_int64()) {
    c.attempts = static_cast<int>(n->get_int64());
  }
  if (const auto* at = o->if_contains("at"); at && at->is_int64()) c.at = at->get_int64();
  if (const auto* e = o->if_contains("error"); e && e->is_string()) {
    c.last_error = std::string(e->get_string());
  }
  job.callback = std::move(c);
}

}  // namespace

std::optional<std::string> encode_callback_url(const std::optional<std::string>& url) {
  if (!url) return std::nullopt;
  std::string out = "{\"url\":";
  append_json_string(out, *url);
  out += '}';
  return out;
}

JobRowNames read_job_row(const Use& row, int first, Job& job) {
  auto col = [first](Col c) { return first + static_cast<int>(c); };
  job.id = row.text(col(kId));
  job.state = static_cast<JobState>(row.int32(col(kState)));
  job.priority = row.int32(col(kPriority));
  job.attempts = row.int32(col(kAttempts));
  job.max_attempts = row.int32(col(kMaxAttempts));
  job.backoff.type = static_cast<BackoffType>(row.int32(col(kBackoffType)));
  job.backoff.base_ms = row.int64(col(kBackoffBase));
  job.backoff.max_ms = row.int64(col(kBackoffMax));
  job.backoff.jitter = row.int64(col(kBackoffJitter)) != 0;
  job.lease_ms = row.int64(col(kLeaseMs));
  job.created_at = row.int64(col(kCreatedAt));
  job.run_at = row.int64(col(kRunAt));
  job.started_at = row.opt_int64(col(kStartedAt));
  job.finished_at = row.opt_int64(col(kFinishedAt));
  job.lease_expires_at = row.opt_int64(col(kLeaseExpiresAt));
  job.expires_at = row.opt_int64(col(kExpiresAt));
  job.lease_token = row.text(col(kLeaseToken));
  job.worker = row.text(col(kWorker));
  job.dedupe_key = row.opt_text(col(kDedupeKey));
  job.tags =
      row.is_null(col(kTags)) ? std::vector<std::string>{} : decode_tags(row.text_view(col(kTags)));
  job.errors = row.is_null(col(kErrors)) ? std::vector<ErrorRecord>{}
                                         : decode_errors(row.text_view(col(kErrors)));
  job.result_json = row.opt_text(col(kResult));
  job.progress_json = row.opt_text(col(kProgress));
  job.payload_json = row.text(col(kPayload));
  if (!row.is_null(col(kCallback))) decode_callback(row.text_view(col(kCallback)), job);
  job.timeout_ms = row.opt_int64(col(kTimeoutMs));
  return JobRowNames{row.int64(col(kType)), row.int64(col(kQueue))};
}

std::optional<std::string> encode_tags(const std::vector<std::string>& tags) {
  if (tags.empty()) return std::nullopt;
  std::string out = "[";
  for (std::size_t i = 0; i < tags.size(); ++i) {
    if (i > 0) out += ',';
    append_json_string(out, tags[i]);
  }
  out += ']';
  return out;
}

// The decoders read JSON this store wrote itself; anything malformed is skipped rather than
// failing the read, so one damaged row never hides a job from an operator.
std::vector<std::string> decode_tags(std::string_view json) {
  std::vector<std::string> tags;
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(json, ec);
  if (ec || !v.is_array()) return tags;
  for (const auto& item : v.get_array()) {
    if (item.is_string()) tags.emplace_back(item.get_string());
  }
  return tags;
}

std::vector<ErrorRecord> decode_errors(std::string_view json) {
  std::vector<ErrorRecord> errors;
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(json, ec);
  if (ec || !v.is_array()) return errors;
  for (const auto& item : v.get_array()) {
    const auto* obj = item.if_object();
    if (obj == nullptr) continue;
    ErrorRecord e;
    if (const auto* m = obj->if_contains("message"); m && m->is_string()) {
      e.message = std::string(m->get_string());
    }
    if (const auto* k = obj->if_contains("kind"); k && k->is_string()) {
      e.kind = parse_stored_kind(k->get_string());
    }
    if (const auto* a = obj->if_contains("at"); a && a->is_int64()) e.at = a->get_int64();
    if (const auto* n = obj->if_contains("attempt"); n && n->is_int64()) {
      e.attempt = static_cast<int>(n->get_int64());
    }
    errors.push_back(std::move(e));
  }
  return errors;
}

std::string append_error(std::string_view json, const ErrorRecord& record) {
  // Failures are far rarer than enqueues and acks, so decoding the short list here is fine.
  std::vector<ErrorRecord> errors = json.empty() ? std::vector<ErrorRecord>{} : decode_errors(json);
  errors.push_back(record);
  std::size_t skip = errors.size() > kMaxErrorsKept ? errors.size() - kMaxErrorsKept : 0;
  std::string out = "[";
  for (std::size_t i = skip; i < errors.size(); ++i) {
    if (i > skip) out += ',';
    append_error_json(out, errors[i]);
  }
  out += ']';
  return out;
}

}  // namespace spool::store::sqlite
