// Unit tests for the client library's JSON codecs (codec.hpp).
#include "client/codec.hpp"

#include <gtest/gtest.h>

namespace spool::client {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

TEST(CodecTest, FormatsTimesAsRfc3339UtcWithMilliseconds) {
  WallTime t{std::chrono::sys_days{std::chrono::year{2026} / 11 / 25} + 2h + 34min + 49s + 123ms};
  EXPECT_EQ(format_rfc3339(t), "2026-11-25T02:34:49.123Z");
  EXPECT_EQ(format_rfc3339(WallTime{}), "1970-01-01T00:00:00.000Z");
}

TEST(CodecTest, EncodesOnlyTheFieldsANewJobSets) {
  json::object minimal = encode_new_job({.type = "t"});
  EXPECT_EQ(minimal, (json::object{{"type", "t"}, {"payload", nullptr}}));

  NewJob full{
      .type = "t",
      .payload = {{"a", 1}},
      .queue = "q",
      .priority = 3,
      .delay = 1500ms,
      .dedupe_key = "k",
      .dedupe_window = 60'000ms,
      .max_attempts = 5,
      .backoff = Backoff{.type = Backoff::Type::kFixed, .base = 10ms, .max = 20ms, .jitter = false},
      .lease = 2000ms,
      .tags = {"x", "y"}};
  json::object o = encode_new_job(full);
  EXPECT_EQ(o.at("queue"), "q");
  EXPECT_EQ(o.at("priority"), 3);
  EXPECT_EQ(o.at("delay_ms"), 1500);
  EXPECT_EQ(o.at("dedupe_key"), "k");
  EXPECT_EQ(o.at("dedupe_window_ms"), 60'000);
  EXPECT_EQ(o.at("max_attempts"), 5);
  EXPECT_EQ(o.at("backoff"),
            (json::object{{"type", "fixed"}, {"base_ms", 10}, {"max_ms", 20}, {"jitter", false}}));
  EXPECT_EQ(o.at("lease_ms"), 2000);
  EXPECT_EQ(o.at("tags"), (json::array{"x", "y"}));
  EXPECT_FALSE(o.contains("run_at"));
}

TEST(CodecTest, EncodesReserveAndFailures) {
  json::object r = encode_reserve(
      {.queues = {"a", "b"}, .max = 7, .wait = 500ms, .lease = 3000ms, .worker = "w1"});
  EXPECT_EQ(r, (json::object{{"queues", json::array{"a", "b"}},
                             {"max", 7},
                             {"wait_ms", 500},
                             {"lease_ms", 3000},
                             {"worker", "w1"}}));
  EXPECT_EQ(encode_failure({Failure::Kind::kSnooze, "later", 250ms}),
            (json::object{{"message", "later"}, {"kind", "snooze"}, {"retry_after_ms", 250}}));
  EXPECT_EQ(failure_kind_name(Failure::Kind::kRelease), "release");
  EXPECT_EQ(failure_kind_name(Failure::Kind::kPermanent), "permanent");
}

TEST(CodecTest, DecodesAReservedJobWithItsLeaseLength) {
  auto job = decode_reserved(json::parse(R"({"id":"J1","type":"t","queue":"q","payload":[1],
      "attempt":2,"max_attempts":3,"lease":"L","lease_expires_at":"2026-11-25T00:00:01.000Z",
      "lease_ms":1000,"created_at":"2026-11-25T00:00:00.000Z","tags":["a"],"future":true})"));
  ASSERT_TRUE(job) << job.error().message;
  EXPECT_EQ(job->id, "J1");
  EXPECT_EQ(job->attempt, 2);
  EXPECT_EQ(job->lease, "L");
  EXPECT_EQ(job->lease_length, 1000ms);
  EXPECT_EQ(job->payload, (json::array{1}));
  EXPECT_EQ(job->tags, std::vector<std::string>{"a"});

  auto no_lease = decode_reserved(json::parse(R"({"id":"J1"})"));
  ASSERT_FALSE(no_lease);
  EXPECT_EQ(no_lease.error().code, "bad_response");
}

TEST(CodecTest, DecodesAJobKeepingTheRawObject) {
  auto job = decode_job(json::parse(R"({"id":"J","state":"retrying","attempts":1,
      "last_error":{"message":"boom","kind":"retry","at":"t"},"errors":[{"message":"boom"}],
      "processing_ms":12,"result":null,"new_field":"kept"})"));
  ASSERT_TRUE(job);
  EXPECT_EQ(job->state, "retrying");
  ASSERT_TRUE(job->last_error);
  EXPECT_EQ(job->last_error->message, "boom");
  EXPECT_EQ(job->errors.size(), 1u);
  EXPECT_EQ(job->processing_ms, 12);
  EXPECT_EQ(job->raw.at("new_field"), "kept");
  EXPECT_FALSE(decode_job(json::parse(R"({"state":"queued"})")));
  EXPECT_FALSE(decode_job(json::parse("[]")));
}

TEST(CodecTest, DecodesStatsAndPages) {
  auto stats = decode_stats(json::parse(R"({"queues":{"q":{"counts":{"queued":2,"dead":1}}},
      "totals":{"counts":{"queued":2,"dead":1}}})"));
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->queues["q"].by_state["queued"], 2);
  EXPECT_EQ(stats->totals.by_state["dead"], 1);

  auto page = decode_page(json::parse(R"({"jobs":[{"id":"a"},{"id":"b"}],"next_cursor":"c"})"));
  ASSERT_TRUE(page);
  EXPECT_EQ(page->jobs.size(), 2u);
  EXPECT_EQ(page->next_cursor, "c");
  EXPECT_FALSE(decode_page(json::parse(R"({"items":[]})")));
}

TEST(CodecTest, DecodesTheApisErrorShapeAndAnythingElseAsBadResponse) {
  Error e = decode_error(
      400, R"({"error":{"code":"invalid_request","message":"max_attempts must be 1..1000",
              "field":"max_attempts"}})");
  EXPECT_EQ(e.code, "invalid_request");
  EXPECT_EQ(e.message, "max_attempts must be 1..1000");
  EXPECT_EQ(e.field, "max_attempts");
  EXPECT_EQ(e.http_status, 400);
  EXPECT_FALSE(e.transient());

  Error proxy = decode_error(502, "<html>Bad Gateway</html>");
  EXPECT_EQ(proxy.code, "bad_response");
  EXPECT_EQ(proxy.http_status, 502);
  EXPECT_NE(proxy.message.find("Bad Gateway"), std::string::npos);

  EXPECT_TRUE(decode_error(503, R"({"error":{"code":"unavailable","message":"m"}})").transient());
}

}  // namespace
}  // namespace spool::client
