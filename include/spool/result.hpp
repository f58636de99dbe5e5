// spool::Error and spool::Result: how every call of the C++ client library reports failure.
//
// No exception crosses the library's API. A call either returns its value or an Error that
// carries the server's `error.code` and message (API.md "Errors") or, when no answer came
// back, one of the client-side codes below. Values only; safe to copy between threads.
#pragma once

#include <string>
#include <tl/expected.hpp>

namespace spool {

// Every name of the installed library lives in the inline namespace v1: code says spool::Client,
// the linker sees spool::v1::Client. That keeps the library's types apart from the server's
// internal ones of the same name (spool::Job, spool::Counts, spool::Backoff in src/core) when
// one program links both, as the `spool` binary does, and lets a v2 live beside v1 one day.
inline namespace v1 {

struct Error {
  // The API's error.code when the server answered: "invalid_request", "unauthorized",
  // "forbidden", "not_found", "conflict", "lease_lost", "timed_out", "too_large", "rate_limited",
  // "unavailable". When it did not:
  //   "connect_failed"  no connection could be made (server down, wrong URL): nothing was sent
  //   "timeout"         no answer within the request timeout
  //   "connection_lost" the connection broke after the request was sent: it may have been applied
  //   "bad_response"    an answer that is not the API's JSON (a proxy's error page, say)
  //   "cancelled"       the caller's stop_token asked the call to give up
  //   "invalid_argument" the call was refused before sending (a bad URL, say)
  std::string code;
  std::string message;  // for a person: what was wrong, and what is allowed
  std::string field;    // the request field the server blamed, when it named one
  int http_status = 0;  // 0 when no answer came back

  // True when the same call may succeed later without changing it: the server was down or
  // busy. Enqueue after "connection_lost" may store the job twice unless it has a dedupe_key.
  bool transient() const {
    return code == "connect_failed" || code == "timeout" || code == "connection_lost" ||
           code == "unavailable" || code == "rate_limited";
  }
};

template <typename T>
using Result = tl::expected<T, Error>;

}  // namespace v1
}  // namespace spool
