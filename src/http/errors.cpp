#include "http/errors.hpp"

#include "core/json_writer.hpp"

namespace spool::http {

HttpError map_status(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return {200, "ok"};
    case StatusCode::kInvalidArgument:
      return {400, "invalid_request"};
    case StatusCode::kUnauthenticated:
      return {401, "unauthorized"};
    case StatusCode::kPermissionDenied:
      return {403, "forbidden"};
    case StatusCode::kNotFound:
      return {404, "not_found"};
    case StatusCode::kConflict:
      return {409, "conflict"};
    case StatusCode::kLeaseLost:
      return {409, "lease_lost"};
    case StatusCode::kTimedOut:
      return {409, "timed_out"};
    case StatusCode::kTooLarge:
      return {413, "too_large"};
    case StatusCode::kRateLimited:
      return {429, "rate_limited"};
    case StatusCode::kUnavailable:
      return {503, "unavailable"};
    case StatusCode::kInternal:
      return {500, "internal"};
  }
  return {500, "internal"};
}

std::string error_body(std::string_view code, std::string_view message, std::string_view field,
                       std::string_view extra_json) {
  JsonWriter w;
  w.str().reserve(64 + message.size());
  w.begin_object().key("error").begin_object();
  w.field("code", code).field("message", message);
  if (!field.empty()) w.field("field", field);
  if (!extra_json.empty()) w.raw(extra_json);
  w.end_object().end_object();
  return w.take();
}

std::string error_body(const Status& status, std::string_view extra_json) {
  return error_body(map_status(status.code()).code, status.message(), status.field(), extra_json);
}

}  // namespace spool::http
