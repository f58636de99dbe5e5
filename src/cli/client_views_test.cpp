// Unit tests for what the client verbs print (client_views.hpp).
#include "cli/client_views.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "core/time_format.hpp"

namespace spool::cli {
namespace {

namespace json = boost::json;

TimeMs at(std::string_view text) { return *parse_rfc3339(text); }

TEST(RenderJobTest, ShowsAReadableBlock) {
  auto job = json::parse(R"({
    "id":"01JD5Z8Q3N","type":"send_email","queue":"emails","state":"retrying",
    "payload":{"to":"ana@example.com","amount":1200},"priority":0,"lease_ms":30000,"timeout_ms":120000,
    "backoff":{"type":"exponential","base_ms":1000,"max_ms":3600000,"jitter":true},"attempts":2,"max_attempts":5,
    "created_at":"2026-11-25T02:00:00.000Z","run_at":"2026-11-25T02:05:00.000Z",
    "started_at":null,"finished_at":null,"lease_expires_at":null,"worker":null,
    "last_error":{"message":"smtp timeout","kind":"retry","at":"2026-11-25T02:04:00.000Z"},
    "errors":[{"message":"smtp timeout","kind":"retry","at":"2026-11-25T02:04:00.000Z"}],
    "result":null,"progress":null,"dedupe_key":null,"tags":["escrow","email"]})");
  std::string out = render_job(job, at("2026-11-25T02:04:30Z"), Style{});
  EXPECT_EQ(out,
            "job         01JD5Z8Q3N\n"
            "type        send_email\n"
            "queue       emails\n"
            "state       retrying\n"
            "attempts    2/5\n"
            "priority    0\n"
            "retries     exponential backoff 1s..1h with jitter, lease 30s, timeout 2m\n"
            "created     2026-11-25 02:00:00  (4m ago)\n"
            "run at      2026-11-25 02:05:00  (in 30s)\n"
            "tags        escrow, email\n"
            "last error  [retry] smtp timeout  (30s ago)\n"
            "payload\n"
            "  {\n"
            "    \"to\": \"ana@example.com\",\n"
            "    \"amount\": 1200\n"
            "  }\n");
}

TEST(RenderJobTest, ShowsResultLeaseAndErrorHistoryWhenPresent) {
  auto job = json::parse(R"({
    "id":"J","type":"t","queue":"q","state":"active","payload":null,"attempts":1,
    "max_attempts":3,"lease_expires_at":"2026-11-25T02:00:20.000Z","worker":"w-1",
    "created_at":"2026-11-25T01:59:00.000Z","run_at":"2026-11-25T01:59:00.000Z",
    "errors":[{"message":"a","kind":"retry"},{"message":"b","kind":"retry"}],
    "result":[1,2],"processing_ms":1500})");
  std::string out = render_job(job, at("2026-11-25T02:00:00Z"), Style{});
  EXPECT_NE(out.find("lease       expires 2026-11-25 02:00:20  (in 20s), worker w-1\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("processing  1.5s\n"), std::string::npos) << out;
  EXPECT_EQ(out.find("run at"), std::string::npos) << out;  // same as created: not news
  EXPECT_NE(out.find("errors\n  [retry] a\n  [retry] b\n"), std::string::npos) << out;
  EXPECT_NE(out.find("payload\n  null\n"), std::string::npos) << out;
  EXPECT_NE(out.find("result\n  [\n    1,\n    2\n  ]\n"), std::string::npos) << out;
}

TEST(RenderJobsTableTest, ListsOneJobPerRow) {
  auto answer = json::parse(R"({"jobs":[
    {"id":"01A","type":"send_email","queue":"emails","state":"dead","attempts":3,
     "max_attempts":3,"created_at":"2026-11-25T02:00:00.000Z",
     "last_error":{"message":"mailbox unavailable\nretry later","kind":"permanent"}},
    {"id":"01B","type":"pdf","queue":"pdf","state":"queued","attempts":0,"max_attempts":3,
     "created_at":"2026-11-25T02:01:00.000Z","last_error":null}],"next_cursor":null})");
  EXPECT_EQ(render_jobs_table(answer, Style{}),
            "ID   TYPE        QUEUE   STATE   ATTEMPTS  CREATED              LAST ERROR\n"
            "01A  send_email  emails  dead         3/3  2026-11-25 02:00:00  mailbox unavailable "
            "retry later\n"
            "01B  pdf         pdf     queued       0/3  2026-11-25 02:01:00  -\n");
  EXPECT_EQ(render_jobs_table(json::parse(R"({"jobs":[]})"), Style{}), "no jobs match\n");
}

TEST(RenderStatsTest, AddsATotalRow) {
  auto answer = json::parse(R"({"queues":{
      "emails":{"counts":{"scheduled":0,"queued":4,"active":1,"retrying":0,"completed":10,
                          "dead":2,"cancelled":0}}},
    "totals":{"counts":{"scheduled":0,"queued":4,"active":1,"retrying":0,"completed":10,
                        "dead":2,"cancelled":0}}})");
  EXPECT_EQ(render_stats(answer, Style{}),
            "QUEUE   SCHEDULED  QUEUED  ACTIVE  RETRYING  COMPLETED  DEAD  CANCELLED\n"
            "emails          0       4       1         0         10     2          0\n"
            "TOTAL           0       4       1         0         10     2          0\n");
  EXPECT_NE(render_stats(json::parse(R"({"queues":{}})"), Style{}).find("no queues yet"),
            std::string::npos);
}

TEST(RenderQueuesTest, ShowsPausedCountsAndConfig) {
  auto answer = json::parse(R"({"queues":[
    {"name":"emails","paused":true,"counts":{"queued":3,"dead":1},
     "config":{"max_attempts":5,"lease_ms":30000,"concurrency":5,
               "rate_limit":{"limit":50,"per_ms":1000}}},
    {"name":"pdf","paused":false,"counts":{},"config":{}}]})");
  EXPECT_EQ(render_queues(answer, Style{}),
            "QUEUE   PAUSED  SCHEDULED  QUEUED  ACTIVE  RETRYING  DEAD  CONFIG\n"
            "emails  paused          0       3       0         0     1  max_attempts=5 lease=30s "
            "concurrency=5 rate=50/1s\n"
            "pdf     no              0       0       0         0     0  -\n");
}

TEST(DescribeQueueConfigTest, SkipsNullsAndNamesBackoff) {
  auto config = json::parse(
      R"({"max_attempts":null,"backoff":{"type":"exponential","base_ms":2000},
          "push":{"url":"https://example.com/hook"}})");
  EXPECT_EQ(describe_queue_config(config), "backoff=exponential:2s push=https://example.com/hook");
  EXPECT_EQ(describe_queue_config(json::value()), "-");
}

}  // namespace
}  // namespace spool::cli
