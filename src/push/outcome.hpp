// What an endpoint's answer (or the lack of one) means for the job: the classification table of
// docs/push.md, as pure functions so every row has a unit test.
//
//   2xx                                   ack; a JSON body up to 64 KiB becomes the result
//   408, 425, 429, 5xx                    retry with the queue's backoff, Retry-After overriding
//   timeouts, connection and TLS errors   retry (the same)
//   410 Gone                              dead, and the queue is paused (the endpoint is gone)
//   other 1xx, 3xx, 4xx                   dead (redirects are never followed)
//
// Only 408, 429, 5xx and transport errors count against the target's circuit breaker: a 4xx
// says the request was wrong, not that the target is unwell.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.hpp"

namespace spool::push {

inline constexpr std::size_t kMaxResultBytes = 64 * 1024;
inline constexpr std::size_t kErrorBodyBytes = 512;
// A Retry-After further out than this is capped to it (a broken header must not park a job
// for years).
inline constexpr std::int64_t kMaxRetryAfterMs = 7LL * 24 * 3'600'000;

enum class Verdict { kAck, kRetry, kPermanent, kGone };

struct Outcome {
  Verdict verdict = Verdict::kRetry;
  bool breaker_failure = false;  // counts against the target's breaker
  std::optional<std::int64_t> retry_after_ms;
  std::optional<std::string> result_json;  // kAck only
  std::string message;                     // recorded as the job's error (not kAck)
};

struct Answer {
  int status = 0;
  std::string retry_after;  // the header, empty when absent
  std::string body;         // at most what was read (kMaxResultBytes)
  bool body_truncated = false;
};

// Retry-After as delay-seconds ("120") or an HTTP-date ("Wed, 21 Oct 2015 07:28:00 GMT", also
// the obsolete RFC 850 and asctime forms), relative to `now_wall_ms`; a date in the past is 0.
// nullopt when it is neither.
std::optional<std::int64_t> parse_retry_after(std::string_view value, TimeMs now_wall_ms);

// "1.2 s", "35 ms".
std::string format_elapsed(std::int64_t elapsed_ms);

Outcome classify_answer(const Answer& answer, std::string_view host, std::int64_t elapsed_ms,
                        TimeMs now_wall_ms);

// A transport failure: `what` says which step failed and why ("connect failed: Connection
// refused", "timed out waiting for the answer").
Outcome classify_transport_error(std::string_view what, std::string_view host,
                                 std::int64_t elapsed_ms);

}  // namespace spool::push
