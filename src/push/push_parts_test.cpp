// Unit tests of push delivery's pure parts: signatures (the spec's published vector), the push
// config, the classification table (every row) and the circuit breaker's state machine.
#include <gtest/gtest.h>

#include "push/breaker.hpp"
#include "push/outcome.hpp"
#include "push/push_config.hpp"
#include "push/signing.hpp"

namespace spool::push {
namespace {

constexpr TimeMs kNow = 1'764'000'000'000;  // 2025-11-24T16:00:00Z

// ---- signing ----

TEST(PushSigningTest, SignsTheSpecsPublishedVector) {
  auto key = decode_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
  ASSERT_TRUE(key);
  EXPECT_EQ(sign_v1(*key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, R"({"test": 2432232314})"),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

TEST(PushSigningTest, RotationSignsWithEveryKeySpaceSeparated) {
  auto a = decode_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
  auto b = decode_secret(generate_secret());
  ASSERT_TRUE(a && b);
  std::string h = signature_header({*b, *a}, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
                                   R"({"test": 2432232314})");
  auto space = h.find(' ');
  ASSERT_NE(space, std::string::npos);
  EXPECT_EQ(h.substr(space + 1), "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  EXPECT_EQ(h.substr(0, 3), "v1,");
}

TEST(PushSigningTest, GeneratedSecretsAre32RandomBytes) {
  std::string s1 = generate_secret(), s2 = generate_secret();
  EXPECT_NE(s1, s2);
  EXPECT_EQ(s1.substr(0, 6), "whsec_");
  auto key = decode_secret(s1);
  ASSERT_TRUE(key);
  EXPECT_EQ(key->size(), 32u);
}

TEST(PushSigningTest, MalformedSecretsAreRefusedWithoutQuotingThem) {
  for (const char* s : {"", "whsec_", "whsec_abc", "whsec_!!!!", "whsec_====", "whsec_nope"}) {
    auto key = decode_secret(s);
    EXPECT_FALSE(key) << s;
    if (!key && std::string(s).size() > 6) {
      EXPECT_EQ(key.error().message().find(std::string(s).substr(6)), std::string::npos);
    }
  }
}

// ---- config ----

const char* kSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

std::string config_json(const std::string& extra) {
  return std::string(R"({"url":"https://api.example.com/hooks/spool?x=1","secret":")") + kSecret +
         "\"" + extra + "}";
}

TEST(PushConfigTest, ParsesUrlDefaultsAndHeaders) {
  auto c = parse_push_config(config_json(R"(,"headers":{"X-Tenant":"t1"},"concurrency":64)"), kNow);
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_TRUE(c->endpoint.tls);
  EXPECT_EQ(c->endpoint.host, "api.example.com");
  EXPECT_EQ(c->endpoint.port, 443);
  EXPECT_EQ(c->endpoint.target, "/hooks/spool?x=1");
  EXPECT_EQ(c->endpoint.authority(), "api.example.com:443");
  EXPECT_EQ(c->timeout_ms, kDefaultTimeoutMs);
  EXPECT_EQ(c->concurrency, 64);
  ASSERT_EQ(c->headers.size(), 1u);
  EXPECT_EQ(c->headers[0].first, "X-Tenant");
  EXPECT_EQ(c->keys.size(), 1u);
}

TEST(PushConfigTest, PlainHttpIpv6AndPorts) {
  auto c = parse_push_config(
      std::string(R"({"url":"http://[::1]:8080","secret":")") + kSecret + "\"}", kNow);
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_FALSE(c->endpoint.tls);
  EXPECT_EQ(c->endpoint.host, "::1");
  EXPECT_EQ(c->endpoint.port, 8080);
  EXPECT_EQ(c->endpoint.target, "/");
  EXPECT_EQ(c->endpoint.authority(), "[::1]:8080");
}

TEST(PushConfigTest, PreviousSecretSignsUntilItsOverlapEnds) {
  std::string prev = R"(,"previous_secret":"whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")";
  auto forever = parse_push_config(config_json(prev), kNow);
  ASSERT_TRUE(forever) << forever.error().message();
  EXPECT_EQ(forever->keys.size(), 2u);
  std::string until = prev + R"(,"previous_secret_expires_at":"2025-11-24T16:00:01.000Z")";
  auto before = parse_push_config(config_json(until), kNow);
  ASSERT_TRUE(before) << before.error().message();
  EXPECT_EQ(before->keys.size(), 2u);
  auto after = parse_push_config(config_json(until), kNow + 1000);
  ASSERT_TRUE(after);
  EXPECT_EQ(after->keys.size(), 1u);
}

TEST(PushConfigTest, RefusesWhatCannotBeDelivered) {
  struct Case {
    std::string json;
    std::string field;
  };
  std::vector<Case> cases = {
      {R"({"url":"https://x.example"})", "push.secret"},
      {R"({"secret":"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"})", "push.url"},
      {R"({"url":"ftp://x.example","secret":"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"})",
       "push.url"},
      {R"({"url":"https://u:p@x.example","secret":"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"})",
       "push.url"},
      {config_json(R"(,"headers":{"webhook-id":"x"})"), "push.headers"},
      {config_json(R"(,"headers":{"Content-Type":"text/plain"})"), "push.headers"},
      {config_json(R"(,"headers":{"X-A":"line\nbreak"})"), "push.headers"},
      {config_json(R"(,"headers":{"bad name":"v"})"), "push.headers"},
      {config_json(R"(,"timeout_ms":0)"), "push.timeout_ms"},
      {config_json(R"(,"concurrency":"many")"), "push.concurrency"},
      {config_json(R"(,"previous_secret":"nope")"), "push.previous_secret"},
      {config_json(R"(,"ca_file":"")"), "push.ca_file"},
      {"[1]", "push"},
  };
  for (const auto& c : cases) {
    auto r = parse_push_config(c.json, kNow);
    ASSERT_FALSE(r) << c.json;
    EXPECT_EQ(r.error().field(), c.field) << c.json << ": " << r.error().message();
  }
}

// ---- classification: every row of the table ----

Outcome answer(int status, std::string body = "", std::string retry_after = "") {
  Answer a;
  a.status = status;
  a.body = std::move(body);
  a.retry_after = std::move(retry_after);
  return classify_answer(a, "api.example.com", 1234, kNow);
}

TEST(PushOutcomeTest, TwoHundredsAckAndJsonBodiesBecomeTheResult) {
  for (int s : {200, 201, 202, 204, 299}) {
    Outcome o = answer(s);
    EXPECT_EQ(o.verdict, Verdict::kAck) << s;
    EXPECT_FALSE(o.breaker_failure);
    EXPECT_FALSE(o.result_json);
  }
  EXPECT_EQ(answer(200, R"({"ok":true})").result_json, R"({"ok":true})");
  EXPECT_FALSE(answer(200, "plain text").result_json);
  Answer big;
  big.status = 200;
  big.body = "[1]";
  big.body_truncated = true;
  Outcome o = classify_answer(big, "h", 1, kNow);
  EXPECT_EQ(o.verdict, Verdict::kAck);
  EXPECT_FALSE(o.result_json);
}

TEST(PushOutcomeTest, RetryableStatusesRetryAndCountForTheBreaker) {
  for (int s : {408, 429, 500, 502, 503, 504, 599}) {
    Outcome o = answer(s);
    EXPECT_EQ(o.verdict, Verdict::kRetry) << s;
    EXPECT_TRUE(o.breaker_failure) << s;
    EXPECT_FALSE(o.retry_after_ms);
  }
  Outcome too_early = answer(425);
  EXPECT_EQ(too_early.verdict, Verdict::kRetry);
  EXPECT_FALSE(too_early.breaker_failure);  // the issue's breaker list leaves 425 out
}

TEST(PushOutcomeTest, GoneIsItsOwnVerdict) {
  Outcome o = answer(410, "bye");
  EXPECT_EQ(o.verdict, Verdict::kGone);
  EXPECT_FALSE(o.breaker_failure);
}

TEST(PushOutcomeTest, OtherStatusesArePermanentAndRedirectsAreNotFollowed) {
  for (int s : {100, 301, 302, 307, 308, 400, 401, 403, 404, 405, 409, 413, 422}) {
    Outcome o = answer(s);
    EXPECT_EQ(o.verdict, Verdict::kPermanent) << s;
    EXPECT_FALSE(o.breaker_failure) << s;
  }
  EXPECT_NE(answer(302).message.find("redirects are not followed"), std::string::npos);
}

TEST(PushOutcomeTest, ErrorMessageNamesStatusHostTimeAndBodyStart) {
  Outcome o = answer(503, "upstream\r\ndown");
  EXPECT_EQ(o.message, "HTTP 503 from api.example.com after 1.2 s: upstream??down");
  Outcome long_body = answer(500, std::string(2000, 'x'));
  EXPECT_EQ(long_body.message,
            "HTTP 500 from api.example.com after 1.2 s: " + std::string(kErrorBodyBytes, 'x'));
  EXPECT_EQ(answer(404).message, "HTTP 404 from api.example.com after 1.2 s");
}

TEST(PushOutcomeTest, ExcerptNeverEndsInsideAUtf8Sequence) {
  std::string body = std::string(kErrorBodyBytes - 1, 'a') + "\xC3\xA9";  // é cut in half
  Outcome o = answer(500, body);
  std::string tail = o.message.substr(o.message.size() - 3);
  EXPECT_EQ(tail, "aaa");
}

TEST(PushOutcomeTest, RetryAfterInSecondsOrHttpDate) {
  EXPECT_EQ(answer(503, "", "120").retry_after_ms, 120'000);
  EXPECT_EQ(answer(429, "", " 0 ").retry_after_ms, 0);
  // kNow is Mon, 24 Nov 2025 16:00:00 GMT.
  EXPECT_EQ(answer(503, "", "Mon, 24 Nov 2025 16:00:30 GMT").retry_after_ms, 30'000);
  EXPECT_EQ(answer(503, "", "Monday, 24-Nov-25 16:01:00 GMT").retry_after_ms, 60'000);
  EXPECT_EQ(answer(503, "", "Mon Nov 24 16:00:05 2025").retry_after_ms, 5'000);
  EXPECT_EQ(answer(503, "", "Mon, 24 Nov 2025 15:00:00 GMT").retry_after_ms, 0);  // past
  EXPECT_EQ(answer(503, "", "99999999999999999999").retry_after_ms, kMaxRetryAfterMs);
  EXPECT_FALSE(answer(503, "", "soon").retry_after_ms);
  EXPECT_FALSE(answer(503, "", "-5").retry_after_ms);
  EXPECT_FALSE(answer(503, "", "1.5").retry_after_ms);
}

TEST(PushOutcomeTest, TransportErrorsRetryAndCountForTheBreaker) {
  Outcome o = classify_transport_error("connecting to h:1: Connection refused", "h", 35);
  EXPECT_EQ(o.verdict, Verdict::kRetry);
  EXPECT_TRUE(o.breaker_failure);
  EXPECT_EQ(o.message, "no answer from h after 35 ms: connecting to h:1: Connection refused");
}

// ---- breaker ----

TEST(CircuitBreakerTest, OpensAfterConsecutiveFailuresAndSuccessResetsTheCount) {
  CircuitBreaker b(BreakerOptions{.consecutive_failures = 3, .window = 100, .rate_percent = 0});
  b.record(true, kNow);
  b.record(true, kNow);
  b.record(false, kNow);  // a success (or a 4xx) resets the run
  b.record(true, kNow);
  b.record(true, kNow);
  EXPECT_EQ(b.state(kNow), BreakerState::kClosed);
  EXPECT_EQ(b.admit(kNow), CircuitBreaker::Admit::kYes);
  b.record(true, kNow);
  EXPECT_EQ(b.state(kNow), BreakerState::kOpen);
  EXPECT_EQ(b.admit(kNow), CircuitBreaker::Admit::kNo);
  EXPECT_EQ(b.retry_in_ms(kNow + 1000), 29'000);
}

TEST(CircuitBreakerTest, HalfOpenLetsOneProbeThroughAndItsSuccessCloses) {
  CircuitBreaker b(BreakerOptions{.consecutive_failures = 1, .open_ms = 1000});
  b.record(true, kNow);
  EXPECT_EQ(b.admit(kNow + 999), CircuitBreaker::Admit::kNo);
  EXPECT_EQ(b.state(kNow + 1000), BreakerState::kHalfOpen);
  EXPECT_EQ(b.admit(kNow + 1000), CircuitBreaker::Admit::kProbe);
  EXPECT_EQ(b.admit(kNow + 1000), CircuitBreaker::Admit::kNo);  // one probe at a time
  b.record(false, kNow + 1100);
  EXPECT_EQ(b.state(kNow + 1100), BreakerState::kClosed);
  EXPECT_EQ(b.admit(kNow + 1100), CircuitBreaker::Admit::kYes);
}

TEST(CircuitBreakerTest, FailedProbeReopensForTwiceAsLongUpToTheCap) {
  CircuitBreaker b(BreakerOptions{.consecutive_failures = 1, .open_ms = 1000, .max_open_ms = 3000});
  b.record(true, kNow);
  TimeMs t = kNow + 1000;
  ASSERT_EQ(b.admit(t), CircuitBreaker::Admit::kProbe);
  b.record(true, t);
  EXPECT_EQ(b.state(t), BreakerState::kOpen);
  EXPECT_EQ(b.retry_in_ms(t), 2000);
  t += 2000;
  ASSERT_EQ(b.admit(t), CircuitBreaker::Admit::kProbe);
  b.record(true, t);
  EXPECT_EQ(b.retry_in_ms(t), 3000);  // capped
}

TEST(CircuitBreakerTest, LateOutcomesWhileOpenAreIgnored) {
  CircuitBreaker b(BreakerOptions{.consecutive_failures = 1, .open_ms = 1000});
  b.record(true, kNow);
  b.record(false, kNow + 10);  // sent before it opened: says nothing about now
  EXPECT_EQ(b.state(kNow + 10), BreakerState::kOpen);
}

TEST(CircuitBreakerTest, AbandonedProbeLetsAnotherGo) {
  CircuitBreaker b(BreakerOptions{.consecutive_failures = 1, .open_ms = 10});
  b.record(true, kNow);
  ASSERT_EQ(b.admit(kNow + 10), CircuitBreaker::Admit::kProbe);
  b.abandon_probe();
  EXPECT_EQ(b.admit(kNow + 10), CircuitBreaker::Admit::kProbe);
}

TEST(CircuitBreakerTest, OpensOnFailureRateOverAFullWindow) {
  CircuitBreaker b(BreakerOptions{.consecutive_failures = 100, .window = 10, .rate_percent = 50});
  for (int i = 0; i < 9; ++i) b.record(i % 2 == 0, kNow);  // 5 of 9: window not full yet
  EXPECT_EQ(b.state(kNow), BreakerState::kClosed);
  b.record(false, kNow);  // 5 of 10 = 50%
  EXPECT_EQ(b.state(kNow), BreakerState::kOpen);
}

TEST(CircuitBreakerTest, RateBelowThresholdStaysClosed) {
  CircuitBreaker b(BreakerOptions{.consecutive_failures = 100, .window = 10, .rate_percent = 50});
  for (int i = 0; i < 40; ++i) b.record(i % 3 == 0, kNow);  // a third fail
  EXPECT_EQ(b.state(kNow), BreakerState::kClosed);
}

}  // namespace
}  // namespace spool::push
