// Receiving Spool's push deliveries: verify a request signed per the Standard Webhooks spec
// (docs/push.md). Spool sends three headers with each POST:
//
//   webhook-id:        the job id, the same on every attempt (use it as your idempotency key)
//   webhook-timestamp: this attempt's send time, in Unix seconds
//   webhook-signature: "v1,<base64 HMAC-SHA256 of id.timestamp.body>", several separated by
//                      spaces while a secret is being rotated (any one matching is enough)
//
// The secret is "whsec_" followed by the base64 of the key bytes (the prefix is optional here).
// Pure functions on values; safe from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "spool/result.hpp"

namespace spool {
inline namespace v1 {

// Header names are matched without regard to case ("Webhook-Id" works).
using WebhookHeaders = std::map<std::string, std::string>;

// The spec's default: a timestamp further than this from now (either way) is refused, which
// stops an old, captured request from being replayed.
inline constexpr std::chrono::seconds kDefaultWebhookTolerance{300};

// Ok when one of the request's v1 signatures is the HMAC of the secret over
// "webhook-id.webhook-timestamp.body" and the timestamp is within `tolerance` of now. Errors:
//   "invalid_secret"       the secret is empty or not base64 (after an optional whsec_ prefix)
//   "missing_header"       webhook-id, webhook-timestamp or webhook-signature is absent
//   "invalid_timestamp"    webhook-timestamp is not an integer number of seconds
//   "timestamp_too_old" / "timestamp_too_new"  outside the tolerance
//   "invalid_signature"    no v1 signature matches (compared in constant time)
// The body must be the raw bytes received, before any JSON parsing.
Result<void> verify_webhook(std::string_view secret, const WebhookHeaders& headers,
                            std::string_view body,
                            std::chrono::seconds tolerance = kDefaultWebhookTolerance);
// The same, against a given "now" (tests, replaying a stored request deliberately).
Result<void> verify_webhook(std::string_view secret, const WebhookHeaders& headers,
                            std::string_view body, std::chrono::seconds tolerance,
                            std::chrono::system_clock::time_point now);

// "v1,<base64 signature>" for one message: what a sender puts in webhook-signature. For your own
// tests, or to sign requests to a receiver as Spool would.
Result<std::string> sign_webhook(std::string_view secret, std::string_view id,
                                 std::int64_t timestamp_seconds, std::string_view body);

// For a sender signing many messages with one secret (Spool's own push delivery does): decode
// the secret once, then sign each message with the key bytes. sign_webhook_with_key keeps one
// HMAC context per thread, so a signature costs about a microsecond.
// The key bytes of "whsec_<base64>" (the prefix is optional); "invalid_secret" as above.
Result<std::string> decode_webhook_secret(std::string_view secret);
// "v1,<base64 HMAC-SHA256(key, id.timestamp.body)>" with the decoded key bytes.
std::string sign_webhook_with_key(std::string_view key, std::string_view id,
                                  std::int64_t timestamp_seconds, std::string_view body);
// A new secret: "whsec_" + base64 of 32 random bytes from the OS CSPRNG.
std::string generate_webhook_secret();

}  // namespace v1
}  // namespace spool
