// spool::verify_webhook and spool::sign_webhook against the Standard Webhooks spec's published
// test vector (secret, message id, timestamp, body and the expected signature), plus every way
// a request can fail verification.
#include "spool/webhook.hpp"

#include <gtest/gtest.h>

namespace spool {
namespace {

using std::chrono::seconds;

// The spec's published vector (the reference libraries test their sign() with it).
constexpr std::string_view kSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
constexpr std::string_view kId = "msg_p5jXN8AQM9LWM0D4loKWxJek";
constexpr std::int64_t kTimestamp = 1614265330;
constexpr std::string_view kBody = R"({"test": 2432232314})";
constexpr std::string_view kSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

std::chrono::system_clock::time_point at(std::int64_t unix_seconds) {
  return std::chrono::system_clock::time_point(seconds(unix_seconds));
}

WebhookHeaders vector_headers() {
  return {{"webhook-id", std::string(kId)},
          {"webhook-timestamp", std::to_string(kTimestamp)},
          {"webhook-signature", std::string(kSignature)}};
}

TEST(WebhookTest, SignMatchesTheSpecsPublishedVector) {
  auto sig = sign_webhook(kSecret, kId, kTimestamp, kBody);
  ASSERT_TRUE(sig) << sig.error().message;
  EXPECT_EQ(*sig, kSignature);
}

TEST(WebhookTest, SecretPrefixIsOptional) {
  auto sig = sign_webhook(kSecret.substr(6), kId, kTimestamp, kBody);
  ASSERT_TRUE(sig);
  EXPECT_EQ(*sig, kSignature);
  EXPECT_TRUE(
      verify_webhook(kSecret.substr(6), vector_headers(), kBody, seconds(300), at(kTimestamp)));
}

TEST(WebhookTest, VerifyAcceptsThePublishedVectorWithinTolerance) {
  EXPECT_TRUE(verify_webhook(kSecret, vector_headers(), kBody, seconds(300), at(kTimestamp)));
  EXPECT_TRUE(verify_webhook(kSecret, vector_headers(), kBody, seconds(300), at(kTimestamp + 300)));
  EXPECT_TRUE(verify_webhook(kSecret, vector_headers(), kBody, seconds(300), at(kTimestamp - 300)));
}

TEST(WebhookTest, HeaderNamesMatchWithoutCase) {
  WebhookHeaders h = {{"Webhook-Id", std::string(kId)},
                      {"WEBHOOK-TIMESTAMP", std::to_string(kTimestamp)},
                      {"Webhook-Signature", std::string(kSignature)}};
  EXPECT_TRUE(verify_webhook(kSecret, h, kBody, seconds(300), at(kTimestamp)));
}

TEST(WebhookTest, TimestampOutsideToleranceIsRefusedBothWays) {
  auto old = verify_webhook(kSecret, vector_headers(), kBody, seconds(300), at(kTimestamp + 301));
  ASSERT_FALSE(old);
  EXPECT_EQ(old.error().code, "timestamp_too_old");
  auto future =
      verify_webhook(kSecret, vector_headers(), kBody, seconds(300), at(kTimestamp - 301));
  ASSERT_FALSE(future);
  EXPECT_EQ(future.error().code, "timestamp_too_new");
}

TEST(WebhookTest, TamperedBodyIdOrTimestampIsRefused) {
  auto body = verify_webhook(kSecret, vector_headers(), R"({"test": 2432232315})", seconds(300),
                             at(kTimestamp));
  ASSERT_FALSE(body);
  EXPECT_EQ(body.error().code, "invalid_signature");
  auto h = vector_headers();
  h["webhook-id"] = "msg_other";
  EXPECT_EQ(verify_webhook(kSecret, h, kBody, seconds(300), at(kTimestamp)).error().code,
            "invalid_signature");
  h = vector_headers();
  h["webhook-timestamp"] = std::to_string(kTimestamp + 1);
  EXPECT_EQ(verify_webhook(kSecret, h, kBody, seconds(300), at(kTimestamp)).error().code,
            "invalid_signature");
}

TEST(WebhookTest, AnotherSecretIsRefused) {
  auto r = verify_webhook("whsec_" + std::string(43, 'A') + "=", vector_headers(), kBody,
                          seconds(300), at(kTimestamp));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "invalid_signature");
}

TEST(WebhookTest, OneMatchingSignatureAmongSeveralIsEnough) {
  auto h = vector_headers();
  h["webhook-signature"] =
      "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= v2,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/"
      "9tdO6mc= " +
      std::string(kSignature) + " v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=";
  EXPECT_TRUE(verify_webhook(kSecret, h, kBody, seconds(300), at(kTimestamp)));
}

TEST(WebhookTest, OnlyV1SignaturesCount) {
  auto h = vector_headers();
  h["webhook-signature"] = "v2," + std::string(kSignature.substr(3));
  EXPECT_EQ(verify_webhook(kSecret, h, kBody, seconds(300), at(kTimestamp)).error().code,
            "invalid_signature");
}

TEST(WebhookTest, PartialOrGarbledSignatureIsRefused) {
  for (const std::string& sig : {std::string(kSignature.substr(0, 8)), std::string("v1,"),
                                 std::string("v1,dawfeoifkpqwoekfpqoekf"), std::string(""),
                                 std::string("g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")}) {
    auto h = vector_headers();
    h["webhook-signature"] = sig;
    auto r = verify_webhook(kSecret, h, kBody, seconds(300), at(kTimestamp));
    ASSERT_FALSE(r) << sig;
    EXPECT_EQ(r.error().code, "invalid_signature") << sig;
  }
}

TEST(WebhookTest, MissingHeadersAreNamed) {
  for (const char* name : {"webhook-id", "webhook-timestamp", "webhook-signature"}) {
    auto h = vector_headers();
    h.erase(name);
    auto r = verify_webhook(kSecret, h, kBody, seconds(300), at(kTimestamp));
    ASSERT_FALSE(r) << name;
    EXPECT_EQ(r.error().code, "missing_header");
    EXPECT_NE(r.error().message.find(name), std::string::npos) << r.error().message;
  }
}

TEST(WebhookTest, NonIntegerTimestampIsRefused) {
  for (const char* ts : {"hello", "", "1614265330.5", " 1614265330"}) {
    auto h = vector_headers();
    h["webhook-timestamp"] = ts;
    auto r = verify_webhook(kSecret, h, kBody, seconds(300), at(kTimestamp));
    ASSERT_FALSE(r) << ts;
    EXPECT_EQ(r.error().code, "invalid_timestamp") << ts;
  }
}

TEST(WebhookTest, BadSecretIsRefusedBeforeAnythingElse) {
  for (const char* secret :
       {"", "whsec_", "whsec_not base64!", "whsec_abc", "whsec_====", "whsec_AA=A"}) {
    auto r = verify_webhook(secret, vector_headers(), kBody, seconds(300), at(kTimestamp));
    ASSERT_FALSE(r) << secret;
    EXPECT_EQ(r.error().code, "invalid_secret") << secret;
    EXPECT_FALSE(sign_webhook(secret, kId, kTimestamp, kBody)) << secret;
  }
}

}  // namespace
}  // namespace spool
