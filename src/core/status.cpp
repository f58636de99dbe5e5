#include "core/status.hpp"

#include <cstdio>
#include <cstdlib>

namespace spool {

std::string_view to_string(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return "ok";
    case StatusCode::kInvalidArgument:
      return "invalid_request";
    case StatusCode::kNotFound:
      return "not_found";
    case StatusCode::kConflict:
      return "conflict";
    case StatusCode::kLeaseLost:
      return "lease_lost";
    case StatusCode::kTimedOut:
      return "timed_out";
    case StatusCode::kTooLarge:
      return "too_large";
    case StatusCode::kRateLimited:
      return "rate_limited";
    case StatusCode::kUnauthenticated:
      return "unauthorized";
    case StatusCode::kPermissionDenied:
      return "forbidden";
    case StatusCode::kUnavailable:
      return "unavailable";
    case StatusCode::kInternal:
      return "internal";
  }
  return "internal";
}

namespace detail {
void check_failed(const char* cond, const char* file, int line) {
  std::fprintf(stderr, "spool: internal check failed: %s at %s:%d\n", cond, file, line);
  std::abort();
}
}  // namespace detail

}  // namespace spool
