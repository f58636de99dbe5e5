// The one table that maps a Status to an HTTP status and an `error.code`, and the error body
// every endpoint answers with: {"error":{"code","message","field"?}}. Values only; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "core/status.hpp"

namespace spool::http {

struct HttpError {
  int status;             // HTTP status code
  std::string_view code;  // error.code in the body
};

// Change a row => update docs/api.md and docs/openapi.yaml ("Errors"), which clients rely on.
HttpError map_status(StatusCode code);

// {"error":{"code":...,"message":...,"field":...}}; `field` is left out when empty. `extra_json`
// (already valid JSON members, e.g. "\"state\":\"active\"") is spliced inside "error".
std::string error_body(std::string_view code, std::string_view message, std::string_view field = {},
                       std::string_view extra_json = {});
std::string error_body(const Status& status, std::string_view extra_json = {});

// The Retry-After header (seconds) of every 503: store unavailable, shutting down, overloaded.
// A client that honours it backs off instead of retrying at once. Change it => docs/api.md
// "Errors".
inline constexpr std::string_view kRetryAfterSeconds = "1";

}  // namespace spool::http
