// Seen reading the code while writing test/fuzz/webhook_fuzz.cpp, and confirmed by it (its inputs
// test/fuzz/corpus/webhook_fuzz/timestamp_int64_min and tolerance_int64_max stop it under UBSan;
// 60 s of mutation had not reached them on its own): verify_webhook computed "now - timestamp" and
// "now + tolerance" in int64, which overflows (undefined behaviour; under UBSan a crash) for a
// webhook-timestamp of -9223372036854775808 or a tolerance of seconds::max(). Any receiver
// verifying Spool's deliveries runs this on headers an attacker chooses.
#include <gtest/gtest.h>

#include <chrono>
#include <spool/webhook.hpp>
#include <string>

namespace {

using std::chrono::seconds;
constexpr std::string_view kSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
constexpr std::int64_t kNow = 1614265330;

std::chrono::system_clock::time_point at(std::int64_t s) {
  return std::chrono::system_clock::time_point(seconds(s));
}

TEST(RegressWebhook, TheSmallestTimestampIsTooOldWithItsTrueAge) {
  spool::WebhookHeaders h{{"webhook-id", "id"},
                          {"webhook-timestamp", "-9223372036854775808"},
                          {"webhook-signature", "v1,x"}};
  auto r = spool::verify_webhook(kSecret, h, "body", seconds(300), at(kNow));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "timestamp_too_old");
  // 9223372036854775808 + 1614265330 seconds, not a wrapped negative number.
  EXPECT_NE(r.error().message.find("is 9223372038469041138 s old"), std::string::npos)
      << r.error().message;
}

TEST(RegressWebhook, TheLargestTimestampIsTooNew) {
  spool::WebhookHeaders h{{"webhook-id", "id"},
                          {"webhook-timestamp", "9223372036854775807"},
                          {"webhook-signature", "v1,x"}};
  auto r = spool::verify_webhook(kSecret, h, "body", seconds(300), at(-kNow));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "timestamp_too_new");
  EXPECT_NE(r.error().message.find("is 9223372038469041137 s in the future"), std::string::npos)
      << r.error().message;
}

TEST(RegressWebhook, AnUnboundedToleranceAcceptsAnyTimeAndStillChecksTheSignature) {
  auto good = spool::sign_webhook(kSecret, "id", 1, "body");
  ASSERT_TRUE(good);
  spool::WebhookHeaders h{
      {"webhook-id", "id"}, {"webhook-timestamp", "1"}, {"webhook-signature", *good}};
  EXPECT_TRUE(spool::verify_webhook(kSecret, h, "body", seconds::max(), at(kNow)));
  h["webhook-signature"] = "v1,AAAA";
  auto r = spool::verify_webhook(kSecret, h, "body", seconds::max(), at(kNow));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "invalid_signature");
}

TEST(RegressWebhook, ANegativeToleranceAcceptsOnlyTheExactSecond) {
  auto good = spool::sign_webhook(kSecret, "id", kNow, "body");
  ASSERT_TRUE(good);
  spool::WebhookHeaders h{{"webhook-id", "id"},
                          {"webhook-timestamp", std::to_string(kNow)},
                          {"webhook-signature", *good}};
  EXPECT_TRUE(spool::verify_webhook(kSecret, h, "body", seconds::min(), at(kNow)));
  auto r = spool::verify_webhook(kSecret, h, "body", seconds::min(), at(kNow + 1));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "timestamp_too_old");
}

}  // namespace
