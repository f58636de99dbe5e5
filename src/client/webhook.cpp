// spool::verify_webhook and spool::sign_webhook (include/spool/webhook.hpp): HMAC-SHA256 and
// base64 by OpenSSL's libcrypto, compared with CRYPTO_memcmp so the time taken says nothing
// about how much of a forged signature was right.
#include "spool/webhook.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <initializer_list>
#include <optional>
#include <vector>

namespace spool {
inline namespace v1 {
namespace {

constexpr std::string_view kSecretPrefix = "whsec_";

Error make_error(std::string code, std::string message) {
  Error e;
  e.code = std::move(code);
  e.message = std::move(message);
  return e;
}

// Standard base64 with padding, '=' only at the end: EVP_DecodeBlock alone is lenient.
bool is_padded_base64(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0) return false;
  std::size_t pad = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '=') {
      ++pad;
      continue;
    }
    if (pad > 0) return false;
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '/') return false;
  }
  return pad <= 2;
}

std::optional<std::string> base64_decode(std::string_view text) {
  if (!is_padded_base64(text)) return std::nullopt;
  std::string out(text.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  std::size_t padding = 0;
  if (text.back() == '=') ++padding;
  if (text.size() >= 2 && text[text.size() - 2] == '=') ++padding;
  out.resize(static_cast<std::size_t>(n) - padding);
  return out;
}

std::string base64_encode(const unsigned char* data, std::size_t size) {
  std::string out((size + 2) / 3 * 4, '\0');
  int n =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(size));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

// One HMAC-SHA256 context per thread, its digest fetched once: OpenSSL 3's one-shot HMAC()
// fetches the MAC and the digest by name on every call, which cost Spool's pusher about a sixth
// of its CPU per delivery (docs/benchmarks.md "Push delivery"). Each message re-keys it.
class ThreadHmac {
 public:
  ThreadHmac() {
    EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    if (mac) ctx_ = EVP_MAC_CTX_new(mac);
    EVP_MAC_free(mac);  // the context holds its own reference
    if (ctx_) {
      char digest[] = "SHA256";
      OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", digest, 0),
                             OSSL_PARAM_construct_end()};
      if (EVP_MAC_CTX_set_params(ctx_, params) != 1) {
        EVP_MAC_CTX_free(ctx_);
        ctx_ = nullptr;
      }
    }
  }
  ~ThreadHmac() { EVP_MAC_CTX_free(ctx_); }
  ThreadHmac(const ThreadHmac&) = delete;
  ThreadHmac& operator=(const ThreadHmac&) = delete;

  // HMAC-SHA256(key, parts...) into digest (32 bytes); false if libcrypto refused.
  bool sign(std::string_view key, std::initializer_list<std::string_view> parts,
            unsigned char* digest, std::size_t& length) {
    if (!ctx_ || EVP_MAC_init(ctx_, reinterpret_cast<const unsigned char*>(key.data()), key.size(),
                              nullptr) != 1) {
      return false;
    }
    for (std::string_view p : parts) {
      if (EVP_MAC_update(ctx_, reinterpret_cast<const unsigned char*>(p.data()), p.size()) != 1) {
        return false;
      }
    }
    return EVP_MAC_final(ctx_, digest, &length, EVP_MAX_MD_SIZE) == 1;
  }

 private:
  EVP_MAC_CTX* ctx_ = nullptr;
};

// HMAC-SHA256(key, id "." timestamp "." body), as raw digest bytes.
std::string hmac_sha256(std::string_view key, std::string_view id, std::string_view timestamp,
                        std::string_view body) {
  thread_local ThreadHmac hmac;
  unsigned char digest[EVP_MAX_MD_SIZE];
  std::size_t length = 0;
  if (!hmac.sign(key, {id, ".", timestamp, ".", body}, digest, length)) {
    // The context could not be made or used: the one-shot call, slower but the same bytes.
    std::string message;
    message.reserve(id.size() + timestamp.size() + body.size() + 2);
    message.append(id).append(".").append(timestamp).append(".").append(body);
    unsigned int n = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest, &n);
    length = n;
  }
  return std::string(reinterpret_cast<const char*>(digest), length);
}

const std::string* find_header(const WebhookHeaders& headers, std::string_view name) {
  for (const auto& [k, v] : headers) {
    if (k.size() == name.size() && std::equal(k.begin(), k.end(), name.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) == b;
        })) {
      return &v;
    }
  }
  return nullptr;
}

}  // namespace

Result<std::string> decode_webhook_secret(std::string_view secret) {
  if (secret.substr(0, kSecretPrefix.size()) == kSecretPrefix) {
    secret.remove_prefix(kSecretPrefix.size());
  }
  auto key = base64_decode(secret);
  if (!key || key->empty()) {
    return tl::unexpected(make_error(
        "invalid_secret", "the webhook secret must be whsec_ followed by base64 (padded), got " +
                              std::to_string(secret.size()) + " characters that are not"));
  }
  return *key;
}

std::string sign_webhook_with_key(std::string_view key, std::string_view id,
                                  std::int64_t timestamp_seconds, std::string_view body) {
  std::string digest = hmac_sha256(key, id, std::to_string(timestamp_seconds), body);
  return "v1," +
         base64_encode(reinterpret_cast<const unsigned char*>(digest.data()), digest.size());
}

Result<std::string> sign_webhook(std::string_view secret, std::string_view id,
                                 std::int64_t timestamp_seconds, std::string_view body) {
  auto key = decode_webhook_secret(secret);
  if (!key) return tl::unexpected(key.error());
  return sign_webhook_with_key(*key, id, timestamp_seconds, body);
}

std::string generate_webhook_secret() {
  unsigned char key[32];
  if (RAND_bytes(key, sizeof key) != 1) std::abort();  // no CSPRNG: no secret worth the name
  return std::string(kSecretPrefix) + base64_encode(key, sizeof key);
}

Result<void> verify_webhook(std::string_view secret, const WebhookHeaders& headers,
                            std::string_view body, std::chrono::seconds tolerance) {
  return verify_webhook(secret, headers, body, tolerance, std::chrono::system_clock::now());
}

Result<void> verify_webhook(std::string_view secret, const WebhookHeaders& headers,
                            std::string_view body, std::chrono::seconds tolerance,
                            std::chrono::system_clock::time_point now) {
  auto key = decode_webhook_secret(secret);
  if (!key) return tl::unexpected(key.error());
  const std::string* id = find_header(headers, "webhook-id");
  const std::string* timestamp = find_header(headers, "webhook-timestamp");
  const std::string* signatures = find_header(headers, "webhook-signature");
  for (auto [value, name] : {std::pair{id, "webhook-id"}, std::pair{timestamp, "webhook-timestamp"},
                             std::pair{signatures, "webhook-signature"}}) {
    if (!value) {
      return tl::unexpected(
          make_error("missing_header", std::string("the request has no ") + name + " header"));
    }
  }
  std::int64_t sent = 0;
  auto [end, ec] = std::from_chars(timestamp->data(), timestamp->data() + timestamp->size(), sent);
  if (ec != std::errc() || end != timestamp->data() + timestamp->size() || timestamp->empty()) {
    return tl::unexpected(make_error(
        "invalid_timestamp", "webhook-timestamp must be an integer number of Unix seconds, got \"" +
                                 timestamp->substr(0, 64) + "\""));
  }
  const std::int64_t now_s =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  // Distances as unsigned: exact for any two int64 values in that order, so neither a timestamp
  // of -9223372036854775808 nor a tolerance of seconds::max() overflows. A negative tolerance
  // is none.
  const std::uint64_t window =
      static_cast<std::uint64_t>(std::max<std::int64_t>(tolerance.count(), 0));
  if (sent < now_s) {
    const std::uint64_t age = static_cast<std::uint64_t>(now_s) - static_cast<std::uint64_t>(sent);
    if (age > window) {
      return tl::unexpected(make_error("timestamp_too_old", "webhook-timestamp " + *timestamp +
                                                                " is " + std::to_string(age) +
                                                                " s old, past the tolerance of " +
                                                                std::to_string(window) + " s"));
    }
  } else {
    const std::uint64_t ahead =
        static_cast<std::uint64_t>(sent) - static_cast<std::uint64_t>(now_s);
    if (ahead > window) {
      return tl::unexpected(make_error(
          "timestamp_too_new", "webhook-timestamp " + *timestamp + " is " + std::to_string(ahead) +
                                   " s in the future, past the tolerance of " +
                                   std::to_string(window) + " s"));
    }
  }
  const std::string expected = hmac_sha256(*key, *id, *timestamp, body);
  std::string_view rest = *signatures;
  while (!rest.empty()) {
    std::size_t space = rest.find(' ');
    std::string_view one = rest.substr(0, space);
    rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
    std::size_t comma = one.find(',');
    if (comma == std::string_view::npos || one.substr(0, comma) != "v1") continue;
    auto given = base64_decode(one.substr(comma + 1));
    if (given && given->size() == expected.size() &&
        CRYPTO_memcmp(given->data(), expected.data(), expected.size()) == 0) {
      return {};
    }
  }
  return tl::unexpected(make_error(
      "invalid_signature", "no v1 signature in webhook-signature matches this secret and body"));
}

}  // namespace v1
}  // namespace spool
