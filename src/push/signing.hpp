// Standard Webhooks signatures for push deliveries: the secret format (whsec_ + base64 of the
// key), HMAC-SHA256 over "id.timestamp.body", the webhook-signature header value. Implemented
// by the installed client library (include/spool/webhook.hpp), so sender and verifier are one.
// Pure functions (OpenSSL's libcrypto underneath); safe from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.hpp"

namespace spool::push {

inline constexpr std::string_view kSecretPrefix = "whsec_";
inline constexpr std::size_t kMinKeyBytes = 16;  // Spool makes 32; the spec suggests 24 to 64

// The key bytes of "whsec_<base64>" (the prefix is optional). kInvalidArgument when the rest is
// not padded base64 of at least kMinKeyBytes bytes; the message never quotes the secret.
StatusOr<std::string> decode_secret(std::string_view secret);
// "whsec_" + base64 of 32 random bytes from the OS (RAND_bytes).
std::string generate_secret();
// "v1,<base64 HMAC-SHA256(key, id.timestamp.body)>".
std::string sign_v1(std::string_view key, std::string_view id, std::int64_t timestamp,
                    std::string_view body);
// webhook-signature: one v1 signature per key, space-separated (secret rotation).
std::string signature_header(const std::vector<std::string>& keys, std::string_view id,
                             std::int64_t timestamp, std::string_view body);

}  // namespace spool::push
