// Job, queue and error encoding: payloads spliced raw, times in RFC 3339 ms UTC, no lease token
// on reads.
#include "http/encode.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "http/errors.hpp"
#include "http/router.hpp"

namespace spool::http {
namespace {

constexpr TimeMs kT = 1'764'000'000'123;  // 2025-11-24T16:00:00.123Z

Job sample_job() {
  Job j;
  j.id = "01JD0000000000000000000000";
  j.type = "send_email";
  j.queue = "mail";
  j.state = JobState::kCompleted;
  j.payload_json = R"({"to":"a@b.c","n":[1,2.5,null]})";
  j.attempts = 2;
  j.created_at = kT;
  j.run_at = kT;
  j.started_at = kT + 1000;
  j.finished_at = kT + 1250;
  j.lease_token = "SECRET-LEASE";
  j.errors.push_back({"boom \"quoted\"", FailKind::kRetry, kT + 500, 1});
  j.result_json = R"({"sent":true})";
  j.tags = {"a", "b"};
  return j;
}

TEST(EncodeTest, JobSplicesJsonAndFormatsTimes) {
  std::string out = encode_job(sample_job());
  EXPECT_NE(out.find(R"("payload":{"to":"a@b.c","n":[1,2.5,null]})"), std::string::npos) << out;
  EXPECT_NE(out.find(R"("result":{"sent":true})"), std::string::npos);
  EXPECT_NE(out.find(R"("created_at":"2025-11-24T16:00:00.123Z")"), std::string::npos) << out;
  EXPECT_NE(out.find(R"("processing_ms":250)"), std::string::npos);
  EXPECT_NE(out.find(R"("lease_expires_at":null)"), std::string::npos);
  EXPECT_EQ(out.find("SECRET-LEASE"), std::string::npos);
  auto v = boost::json::parse(out);
  const auto& o = v.as_object();
  for (const char* key : {"id",
                          "type",
                          "queue",
                          "state",
                          "payload",
                          "priority",
                          "attempts",
                          "max_attempts",
                          "created_at",
                          "run_at",
                          "started_at",
                          "finished_at",
                          "lease_expires_at",
                          "worker",
                          "last_error",
                          "errors",
                          "result",
                          "progress",
                          "dedupe_key",
                          "tags",
                          "processing_ms"}) {
    EXPECT_TRUE(o.contains(key)) << key;
  }
  EXPECT_EQ(o.at("last_error").at("message").as_string(), "boom \"quoted\"");
  EXPECT_EQ(o.at("last_error").at("kind").as_string(), "retry");
  EXPECT_EQ(o.at("state").as_string(), "completed");
}

TEST(EncodeTest, ProcessingMsOnlyForCompletedJobs) {
  Job j = sample_job();
  j.state = JobState::kDead;
  EXPECT_NE(encode_job(j).find(R"("processing_ms":null)"), std::string::npos);
}

TEST(EncodeTest, ReservedJobCarriesTheLease) {
  Job j = sample_job();
  j.state = JobState::kActive;
  j.started_at = kT;
  j.lease_expires_at = kT + 30'000;
  auto v = boost::json::parse(encode_reserved({j}));
  const auto& job = v.at("jobs").at(0).as_object();
  EXPECT_EQ(job.at("lease").as_string(), "SECRET-LEASE");
  EXPECT_EQ(job.at("attempt").as_int64(), 2);
  EXPECT_EQ(job.at("lease_expires_at").as_string(), "2025-11-24T16:00:30.123Z");
  EXPECT_EQ(job.at("lease_ms").as_int64(), 30'000);
  EXPECT_TRUE(job.at("payload").is_object());
  EXPECT_EQ(job.size(), 11u);
  EXPECT_EQ(encode_reserved({}), R"({"jobs":[]})");
}

TEST(EncodeTest, SmallAnswers) {
  EXPECT_EQ(encode_enqueue_result({"X", JobState::kScheduled, false}),
            R"({"id":"X","state":"scheduled","deduplicated":false})");
  EXPECT_EQ(encode_settle_result({"X", JobState::kRetrying, kT}, true),
            R"({"id":"X","state":"retrying","next_run_at":"2025-11-24T16:00:00.123Z"})");
  EXPECT_EQ(encode_settle_result({"X", JobState::kDead, std::nullopt}, true),
            R"({"id":"X","state":"dead","next_run_at":null})");
  EXPECT_EQ(encode_count("deleted", 3), R"({"deleted":3})");
  std::vector<StatusOr<ops::SettleResult>> results;
  results.push_back(ops::SettleResult{"A", JobState::kCompleted, std::nullopt});
  results.push_back(tl::unexpected(Status(StatusCode::kLeaseLost, "stale")));
  EXPECT_EQ(encode_settle_batch({"A", "B"}, results),
            R"({"results":[{"id":"A","state":"completed"},)"
            R"({"id":"B","error":{"code":"lease_lost","message":"stale"}}]})");
}

TEST(EncodeTest, SettleThenReserveCarriesTheResultsAndTheJobsOrTheReservesRefusal) {
  std::vector<StatusOr<ops::SettleResult>> results;
  results.push_back(ops::SettleResult{"A", JobState::kCompleted, std::nullopt});
  Job next;
  next.id = "B";
  next.type = "pdf";
  next.queue = "pdf";
  next.payload_json = "{}";
  next.lease_token = "L";
  auto both = boost::json::parse(encode_settle_then_reserve({"A"}, results, {next}, nullptr));
  EXPECT_EQ(both.at("results").at(0).at("id").as_string(), "A");
  EXPECT_EQ(both.at("jobs").at(0).at("id").as_string(), "B");
  EXPECT_EQ(both.at("jobs").at(0).at("lease").as_string(), "L");
  EXPECT_FALSE(both.as_object().contains("reserve_error"));

  Status stopping(StatusCode::kUnavailable, "the server is shutting down");
  EXPECT_EQ(encode_settle_then_reserve({"A"}, results, {}, &stopping),
            R"({"results":[{"id":"A","state":"completed"}],"jobs":[],)"
            R"("reserve_error":{"code":"unavailable","message":"the server is shutting down"}})");
}

TEST(EncodeTest, QueuePushSecretsAreRedacted) {
  QueueInfo q;
  q.name = "hooks";
  q.config.push_json =
      R"({"url":"https://x","secret":"whsec_c2VjcmV0c2VjcmV0c2VjcmV0","previous_secret":"whsec_b2xk",)"
      R"("timeout_ms":5})";
  std::string text = encode_queue(q);
  EXPECT_EQ(text.find("c2VjcmV0"), std::string::npos) << text;
  EXPECT_EQ(text.find("b2xk"), std::string::npos) << text;
  auto v = boost::json::parse(text);
  EXPECT_EQ(v.at("config").at("push").at("secret").as_string(), "whsec_...(redacted)");
  EXPECT_EQ(v.at("config").at("push").at("previous_secret").as_string(), "whsec_...(redacted)");
  EXPECT_EQ(v.at("config").at("push").at("timeout_ms").as_int64(), 5);
}

TEST(EncodeTest, QueueAndStats) {
  QueueInfo q;
  q.name = "mail";
  q.paused = true;
  q.counts[JobState::kQueued] = 4;
  q.config.max_attempts = 5;
  q.config.push_json = R"({"url":"https://x"})";
  auto v = boost::json::parse(encode_queue(q));
  EXPECT_EQ(v.at("counts").at("queued").as_int64(), 4);
  EXPECT_EQ(v.at("config").at("max_attempts").as_int64(), 5);
  EXPECT_TRUE(v.at("config").at("lease_ms").is_null());
  EXPECT_EQ(v.at("config").at("push").at("url").as_string(), "https://x");
  ops::Stats s;
  s.queues.push_back(q);
  s.totals = q.counts;
  auto st = boost::json::parse(encode_stats(s));
  EXPECT_EQ(st.at("queues").at("mail").at("counts").at("queued").as_int64(), 4);
  EXPECT_EQ(st.at("totals").at("counts").at("dead").as_int64(), 0);
}

TEST(ErrorMappingTest, EveryCodeHasAStatusAndName) {
  struct Row {
    StatusCode code;
    int status;
    std::string_view name;
  };
  const Row rows[] = {{StatusCode::kInvalidArgument, 400, "invalid_request"},
                      {StatusCode::kUnauthenticated, 401, "unauthorized"},
                      {StatusCode::kPermissionDenied, 403, "forbidden"},
                      {StatusCode::kNotFound, 404, "not_found"},
                      {StatusCode::kConflict, 409, "conflict"},
                      {StatusCode::kLeaseLost, 409, "lease_lost"},
                      {StatusCode::kTimedOut, 409, "timed_out"},
                      {StatusCode::kTooLarge, 413, "too_large"},
                      {StatusCode::kRateLimited, 429, "rate_limited"},
                      {StatusCode::kUnavailable, 503, "unavailable"},
                      {StatusCode::kInternal, 500, "internal"}};
  for (const auto& r : rows) {
    EXPECT_EQ(map_status(r.code).status, r.status);
    EXPECT_EQ(map_status(r.code).code, r.name);
    // The engine's own names (core/status.cpp) agree with the table.
    EXPECT_EQ(to_string(r.code), r.name);
  }
}

TEST(ErrorMappingTest, BodyCarriesFieldAndExtras) {
  EXPECT_EQ(error_body(Status(StatusCode::kInvalidArgument, "bad", "max_attempts")),
            R"({"error":{"code":"invalid_request","message":"bad","field":"max_attempts"}})");
  EXPECT_EQ(error_body(Status(StatusCode::kConflict, "no"), R"("state":"active")"),
            R"({"error":{"code":"conflict","message":"no","state":"active"}})");
  Response r = error_response(Status(StatusCode::kUnavailable, "disk full"));
  EXPECT_EQ(r.status, 503);
}

TEST(RouterTest, MatchesCapturesAndReports405) {
  auto noop = [](Context&, const Request&, ExchangePtr) {};
  Router router({{Method::kPost, "/v1/jobs/batch", noop, {}},
                 {Method::kGet, "/v1/jobs/{}", noop, {}},
                 {Method::kDelete, "/v1/jobs/{}", noop, {}},
                 {Method::kGet, "/", noop, {}}});
  auto seg = [](std::string_view target) { return parse_target(target)->segments; };
  auto m = router.match(Method::kGet, seg("/v1/jobs/abc?x=1"));
  ASSERT_TRUE(m.route);
  EXPECT_EQ(m.params, std::vector<std::string>{"abc"});
  m = router.match(Method::kPost, seg("/v1/jobs/batch"));
  ASSERT_TRUE(m.route);
  EXPECT_EQ(m.route->pattern, "/v1/jobs/batch");
  m = router.match(Method::kPatch, seg("/v1/jobs/abc"));
  EXPECT_FALSE(m.route);
  EXPECT_EQ(m.allow, "GET, DELETE");
  m = router.match(Method::kGet, seg("/v1/elsewhere"));
  EXPECT_FALSE(m.route);
  EXPECT_TRUE(m.allow.empty());
  EXPECT_TRUE(router.match(Method::kGet, seg("/")).route);
  EXPECT_TRUE(router.match(Method::kGet, seg("/v1/jobs/a%20b")).route);
  EXPECT_EQ(router.match(Method::kGet, seg("/v1/jobs/a%20b")).params[0], "a b");
}

TEST(RouterTest, QueryIsDecoded) {
  auto t = parse_target("/v1/jobs?state=dead&tag=a%3Ab&limit=5");
  ASSERT_TRUE(t);
  ASSERT_EQ(t->query.size(), 3u);
  EXPECT_EQ(t->query[1].second, "a:b");
  EXPECT_FALSE(parse_target("http://x/y z"));
}

}  // namespace
}  // namespace spool::http
