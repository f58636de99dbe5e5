// HMAC and base64 by libcrypto. The receiver side (spool::verify_webhook) is implemented
// separately in src/client/, and both are checked against the spec's vectors and the npm
// `standardwebhooks` package (test/webhooks-js/).
#include "push/signing.hpp"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <cctype>
#include <initializer_list>

#include "core/status.hpp"

namespace spool::push {
namespace {

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

}  // namespace

std::string base64_encode(std::string_view bytes) {
  std::string out((bytes.size() + 2) / 3 * 4, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

StatusOr<std::string> decode_secret(std::string_view secret) {
  if (secret.substr(0, kSecretPrefix.size()) == kSecretPrefix) {
    secret.remove_prefix(kSecretPrefix.size());
  }
  auto bad = [] {
    return tl::unexpected(Status(StatusCode::kInvalidArgument,
                                 "a push secret must be whsec_ followed by padded base64 of at "
                                 "least 16 key bytes (32 random bytes is usual)"));
  };
  if (!is_padded_base64(secret)) return bad();
  std::string out(secret.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(secret.data()),
                          static_cast<int>(secret.size()));
  if (n < 0) return bad();
  std::size_t padding = (secret.back() == '=') + (secret[secret.size() - 2] == '=');
  out.resize(static_cast<std::size_t>(n) - padding);
  if (out.size() < kMinKeyBytes) return bad();
  return out;
}

std::string generate_secret() {
  unsigned char key[32];
  SPOOL_CHECK(RAND_bytes(key, sizeof key) == 1);
  return std::string(kSecretPrefix) +
         base64_encode(std::string_view(reinterpret_cast<const char*>(key), sizeof key));
}

namespace {

// One HMAC-SHA256 context per thread, its digest fetched once: OpenSSL 3's one-shot HMAC()
// fetches the MAC and the digest by name on every call, which cost the pusher about a sixth of
// its CPU per delivery (docs/benchmarks.md "Push delivery"). Each message re-keys the context.
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

}  // namespace

std::string sign_v1(std::string_view key, std::string_view id, std::int64_t timestamp,
                    std::string_view body) {
  thread_local ThreadHmac hmac;
  std::string ts = std::to_string(timestamp);
  unsigned char digest[EVP_MAX_MD_SIZE];
  std::size_t length = 0;
  if (!hmac.sign(key, {id, ".", ts, ".", body}, digest, length)) {
    // The context could not be made or used: the one-shot call, slower but the same bytes.
    std::string message;
    message.reserve(id.size() + ts.size() + body.size() + 2);
    message.append(id).append(".").append(ts).append(".").append(body);
    unsigned int n = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest, &n);
    length = n;
  }
  return "v1," + base64_encode(std::string_view(reinterpret_cast<const char*>(digest), length));
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
