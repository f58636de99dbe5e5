// Push signing is the installed client library's (include/spool/webhook.hpp): one
// implementation of Standard Webhooks for sending and verifying, checked against the spec's
// vectors and the npm `standardwebhooks` package (test/webhooks-js/). What push adds is its own
// rule for secrets (at least kMinKeyBytes key bytes) and the header for several keys.
#include "push/signing.hpp"

#include <spool/webhook.hpp>

namespace spool::push {

StatusOr<std::string> decode_secret(std::string_view secret) {
  auto key = spool::decode_webhook_secret(secret);
  if (!key || key->size() < kMinKeyBytes) {
    return tl::unexpected(Status(StatusCode::kInvalidArgument,
                                 "a push secret must be whsec_ followed by padded base64 of at "
                                 "least 16 key bytes (32 random bytes is usual)"));
  }
  return std::move(*key);
}

std::string generate_secret() { return spool::generate_webhook_secret(); }

std::string sign_v1(std::string_view key, std::string_view id, std::int64_t timestamp,
                    std::string_view body) {
  return spool::sign_webhook_with_key(key, id, timestamp, body);
}

std::string signature_header(const std::vector<std::string>& keys, std::string_view id,
                             std::int64_t timestamp, std::string_view body) {
  std::string out;
  for (const auto& key : keys) {
    if (!out.empty()) out += ' ';
    out += sign_v1(key, id, timestamp, body);
  }
  return out;
}

}  // namespace spool::push
