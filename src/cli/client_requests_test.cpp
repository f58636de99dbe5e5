// Unit tests for turning command-line arguments into API requests (client_requests.hpp).
#include "cli/client_requests.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace spool::cli {
namespace {

namespace json = boost::json;

TEST(ParsePayloadTest, ReturnsTheJsonAsGiven) {
  auto value = parse_payload(R"({"b":1,"a":[true,null,"x"]})", "the payload");
  ASSERT_TRUE(value);
  EXPECT_EQ(json::serialize(*value), R"({"b":1,"a":[true,null,"x"]})");
  EXPECT_EQ(json::serialize(parse_payload("42", "p").value()), "42");
}

TEST(ParsePayloadTest, SaysWhereTheJsonIsMalformed) {
  auto value = parse_payload("{\n  \"to\": \"ana\",\n  \"amount\": 12,\n}", "payload.json");
  ASSERT_FALSE(value);
  const std::string& message = value.error().message();
  EXPECT_NE(message.find("payload.json is not valid JSON"), std::string::npos) << message;
  EXPECT_NE(message.find("line 4, column 1"), std::string::npos) << message;
  EXPECT_NE(message.find("\n  }\n  ^"), std::string::npos) << message;
}

TEST(ParsePayloadTest, PointsTheCaretAtTheColumn) {
  auto value = parse_payload(R"({"a" 1})", "the payload");
  ASSERT_FALSE(value);
  EXPECT_NE(value.error().message().find("column 6\n  {\"a\" 1}\n       ^"), std::string::npos)
      << value.error().message();
}

TEST(ParsePayloadTest, ExplainsUnfinishedAndTrailingInput) {
  auto unfinished = parse_payload(R"({"a":[1,2)", "the payload");
  ASSERT_FALSE(unfinished);
  EXPECT_NE(unfinished.error().message().find("ends too early"), std::string::npos);
  auto trailing = parse_payload("{} {}", "the payload");
  ASSERT_FALSE(trailing);
  EXPECT_NE(trailing.error().message().find("extra text"), std::string::npos);
  auto empty = parse_payload("  \n", "stdin");
  ASSERT_FALSE(empty);
  EXPECT_NE(empty.error().message().find("stdin is empty"), std::string::npos);
}

TEST(BuildEnqueueRequestTest, SendsOnlyTheGivenFields) {
  EnqueueArgs args;
  args.type = "send_email";
  auto body = build_enqueue_request(args, json::parse(R"({"to":"ana"})"));
  ASSERT_TRUE(body);
  EXPECT_EQ(json::serialize(*body), R"({"type":"send_email","payload":{"to":"ana"}})");
}

TEST(BuildEnqueueRequestTest, MapsEveryOption) {
  EnqueueArgs args;
  args.type = "send_release_email";
  args.queue = "emails";
  args.priority = -5;
  args.delay = "10s";
  args.dedupe_key = "escrow-esc-123-release";
  args.dedupe_window = "1h";
  args.max_attempts = 0;  // out of range on purpose: the server judges ranges, not the CLI
  args.lease = "30s";
  args.timeout = "2m";
  args.tags = {"escrow", "email"};
  auto body = build_enqueue_request(args, nullptr);
  ASSERT_TRUE(body) << body.error().message();
  EXPECT_EQ(body->at("queue"), "emails");
  EXPECT_EQ(body->at("priority"), -5);
  EXPECT_EQ(body->at("delay_ms"), 10'000);
  EXPECT_EQ(body->at("dedupe_key"), "escrow-esc-123-release");
  EXPECT_EQ(body->at("dedupe_window_ms"), 3'600'000);
  EXPECT_EQ(body->at("max_attempts"), 0);
  EXPECT_EQ(body->at("lease_ms"), 30'000);
  EXPECT_EQ(body->at("timeout_ms"), 120'000);
  EXPECT_EQ(json::serialize(body->at("tags")), R"(["escrow","email"])");
  EXPECT_TRUE(body->at("payload").is_null());
  EXPECT_FALSE(body->contains("run_at"));
}

TEST(BuildEnqueueRequestTest, NormalisesRunAtToUtcMilliseconds) {
  EnqueueArgs args;
  args.type = "digest";
  args.at = "2026-11-25T10:00:00+01:00";
  auto body = build_enqueue_request(args, json::object());
  ASSERT_TRUE(body);
  EXPECT_EQ(body->at("run_at"), "2026-11-25T09:00:00.000Z");
}

TEST(BuildEnqueueRequestTest, NamesTheOptionThatIsWrong) {
  EnqueueArgs args;
  args.type = "digest";
  args.delay = "10";
  auto body = build_enqueue_request(args, json::object());
  ASSERT_FALSE(body);
  EXPECT_EQ(body.error().field(), "--delay");

  args.delay.clear();
  args.at = "tomorrow";
  body = build_enqueue_request(args, json::object());
  ASSERT_FALSE(body);
  EXPECT_EQ(body.error().field(), "--at");
  EXPECT_NE(body.error().message().find("\"tomorrow\""), std::string::npos);

  args.at.clear();
  args.queue = "bad queue";
  body = build_enqueue_request(args, json::object());
  ASSERT_FALSE(body);
  EXPECT_EQ(body.error().field(), "--queue");

  EnqueueArgs bad_type;
  bad_type.type = "send email";
  body = build_enqueue_request(bad_type, json::object());
  ASSERT_FALSE(body);
  EXPECT_EQ(body.error().field(), "TYPE");
}

TEST(BuildEnqueueRequestTest, RefusesDelayWithAtAndAWindowWithoutAKey) {
  EnqueueArgs args;
  args.type = "digest";
  args.delay = "1m";
  args.at = "2026-11-25T09:00:00Z";
  EXPECT_FALSE(build_enqueue_request(args, json::object()));

  EnqueueArgs window;
  window.type = "digest";
  window.dedupe_window = "10m";
  auto body = build_enqueue_request(window, json::object());
  ASSERT_FALSE(body);
  EXPECT_EQ(body.error().field(), "--dedupe-window");
}

TEST(BuildJobsTargetTest, EncodesTheFilters) {
  JobsFilter filter;
  EXPECT_EQ(build_jobs_target(filter).value(), "/v1/jobs");
  filter.state = "dead";
  filter.queue = "emails";
  filter.tags = {"a b&c", "vip"};
  filter.limit = 20;
  filter.order = "asc";
  filter.cursor = "ab+c/=";
  EXPECT_EQ(build_jobs_target(filter).value(),
            "/v1/jobs?state=dead&queue=emails&tag=a%20b%26c&tag=vip&limit=20&order=asc&cursor=ab%"
            "2Bc%2F%3D");
}

TEST(BuildJobsTargetTest, RefusesUnknownStatesLimitsAndOrders) {
  JobsFilter filter;
  filter.state = "failed";
  auto target = build_jobs_target(filter);
  ASSERT_FALSE(target);
  EXPECT_NE(target.error().message().find("scheduled, queued, active"), std::string::npos);

  filter.state.clear();
  filter.limit = 501;
  EXPECT_EQ(build_jobs_target(filter).error().field(), "--limit");
  filter.limit = 0;
  EXPECT_FALSE(build_jobs_target(filter));

  filter.limit.reset();
  filter.order = "newest";
  EXPECT_EQ(build_jobs_target(filter).error().field(), "--order");
}

TEST(NextPageCommandTest, RepeatsTheFiltersAndQuotesForTheShell) {
  JobsFilter filter;
  filter.state = "dead";
  filter.tags = {"it's", "eu"};
  filter.limit = 10;
  EXPECT_EQ(next_page_command(filter, "c1"),
            "spool jobs --state dead --tag 'it'\\''s' --tag eu --limit 10 --cursor c1");
}

TEST(TargetsTest, EscapeIdsAndNamesAsOnePathSegment) {
  EXPECT_EQ(job_target("01JD5Z8Q3N"), "/v1/jobs/01JD5Z8Q3N");
  EXPECT_EQ(job_target("01JD5Z8Q3N", "/retry"), "/v1/jobs/01JD5Z8Q3N/retry");
  EXPECT_EQ(job_target("../queues"), "/v1/jobs/..%2Fqueues");
  EXPECT_EQ(queue_target("emails", "/pause"), "/v1/queues/emails/pause");
  EXPECT_EQ(queue_target("a b"), "/v1/queues/a%20b");
}

}  // namespace
}  // namespace spool::cli
