// Request decoding tables: every bad input names its field and gets invalid_request.
#include "http/requests.hpp"

#include <gtest/gtest.h>

#include <string>

namespace spool::http {
namespace {

struct BadCase {
  std::string body;
  std::string field;
  std::string message_part;  // a piece the message must contain
};

void PrintTo(const BadCase& c, std::ostream* os) { *os << c.body; }

std::string big_tags(int n) {
  std::string s = "[";
  for (int i = 0; i < n; ++i) s += (i ? ",\"t" : "\"t") + std::to_string(i) + "\"";
  return s + "]";
}

class EnqueueRejects : public ::testing::TestWithParam<BadCase> {};

TEST_P(EnqueueRejects, NamingTheField) {
  const auto& c = GetParam();
  auto r = parse_enqueue(c.body);
  ASSERT_FALSE(r) << c.body;
  EXPECT_EQ(r.error().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.error().field(), c.field) << r.error().message();
  EXPECT_NE(r.error().message().find(c.message_part), std::string::npos) << r.error().message();
}

INSTANTIATE_TEST_SUITE_P(
    Table, EnqueueRejects,
    ::testing::Values(
        BadCase{R"({"payload":{}})", "type", "type is required"},
        BadCase{R"({"type":"bad name","payload":{}})", "type", "A-Z a-z 0-9"},
        BadCase{R"({"type":"","payload":{}})", "type", "got \"\""},
        BadCase{R"({"type":")" + std::string(129, 'a') + R"(","payload":{}})", "type", "1 to 128"},
        BadCase{R"({"type":7,"payload":{}})", "type", "must be a string, got a number"},
        BadCase{R"({"type":"t"})", "payload", "payload is required"},
        BadCase{R"({"type":"t","payload":1,"queue":"a/b"})", "queue", "got \"a/b\""},
        BadCase{R"({"type":"t","payload":1,"priority":2147483648})", "priority",
                "between -2147483648 and 2147483647"},
        BadCase{R"({"type":"t","payload":1,"priority":"high"})", "priority",
                "must be an integer, got a string"},
        BadCase{R"({"type":"t","payload":1,"priority":1.5})", "priority", "whole number"},
        BadCase{R"({"type":"t","payload":1,"delay_ms":-1})", "delay_ms", "got -1"},
        BadCase{R"({"type":"t","payload":1,"delay_ms":315360000001})", "delay_ms",
                "between 0 and 315360000000"},
        BadCase{R"({"type":"t","payload":1,"run_at":"tomorrow"})", "run_at", "RFC 3339"},
        BadCase{R"({"type":"t","payload":1,"run_at":5})", "run_at", "RFC 3339"},
        BadCase{R"({"type":"t","payload":1,"delay_ms":5,"run_at":"2026-01-01T00:00:00Z"})",
                "run_at", "not both"},
        BadCase{R"({"type":"t","payload":1,"max_attempts":0})", "max_attempts",
                "max_attempts must be between 1 and 1000, got 0"},
        BadCase{R"({"type":"t","payload":1,"max_attempts":1001})", "max_attempts", "got 1001"},
        BadCase{R"({"type":"t","payload":1,"lease_ms":99})", "lease_ms", "between 100 and"},
        BadCase{R"({"type":"t","payload":1,"lease_ms":86400001})", "lease_ms", "86400000"},
        BadCase{R"({"type":"t","payload":1,"timeout_ms":99})", "timeout_ms", "between 100 and"},
        BadCase{R"({"type":"t","payload":1,"timeout_ms":604800001})", "timeout_ms", "604800000"},
        BadCase{R"({"type":"t","payload":1,"dedupe_window_ms":0})", "dedupe_window_ms",
                "between 1 and 2592000000"},
        BadCase{R"({"type":"t","payload":1,"dedupe_key":""})", "dedupe_key", "1 to 512"},
        BadCase{R"({"type":"t","payload":1,"backoff":"fast"})", "backoff", "must be an object"},
        BadCase{R"({"type":"t","payload":1,"backoff":{"type":"linear"}})", "backoff.type",
                "exponential or fixed"},
        BadCase{R"({"type":"t","payload":1,"backoff":{"base_ms":0}})", "backoff.base_ms",
                "between 1 and 86400000"},
        BadCase{R"({"type":"t","payload":1,"backoff":{"base_ms":5000,"max_ms":10}})",
                "backoff.max_ms", "at least base_ms"},
        BadCase{R"({"type":"t","payload":1,"backoff":{"max_ms":2592000001}})", "backoff.max_ms",
                "2592000000"},
        BadCase{R"({"type":"t","payload":1,"backoff":{"jitter":"yes"}})", "backoff.jitter",
                "true or false"},
        BadCase{R"({"type":"t","payload":1,"tags":"a"})", "tags", "must be an array"},
        BadCase{R"({"type":"t","payload":1,"tags":["ok","not ok"]})", "tags[1]", "not ok"},
        BadCase{R"({"type":"t","payload":1,"tags":)" + big_tags(33) + "}", "tags", "at most 32"}));

TEST(ParseEnqueue, MalformedJsonSaysWhere) {
  auto r = parse_enqueue("{\"type\":\"t\",\n \"payload\": {]}");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.error().message().find("line 2, column"), std::string::npos) << r.error().message();
}

TEST(ParseEnqueue, RejectsEmptyBodiesNonObjectsAndTrailingText) {
  EXPECT_NE(parse_enqueue("").error().message().find("empty"), std::string::npos);
  EXPECT_NE(parse_enqueue("[1]").error().message().find("must be a JSON object, got an array"),
            std::string::npos);
  EXPECT_NE(parse_enqueue(R"({"type":"t","payload":1} x)").error().message().find("after"),
            std::string::npos);
  EXPECT_FALSE(parse_enqueue(R"({"type":"t","payload":1)"));
}

TEST(ParseEnqueue, AcceptsAFullJob) {
  auto r = parse_enqueue(R"({"type":"send_email","queue":"mail","payload":{"a":[1,2,{"b":null}]},
    "priority":-5,"run_at":"2026-11-25T02:34:49.123Z","dedupe_key":"k","dedupe_window_ms":1000,
    "max_attempts":7,"backoff":{"type":"fixed","base_ms":7200000},"lease_ms":1e3,
    "timeout_ms":600000,"tags":["x","y:z"]})");
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->type, "send_email");
  EXPECT_EQ(r->queue, "mail");
  EXPECT_EQ(r->payload_json, R"({"a":[1,2,{"b":null}]})");
  EXPECT_EQ(r->priority, -5);
  ASSERT_TRUE(r->run_at);
  EXPECT_EQ(*r->run_at % 1000, 123);
  EXPECT_FALSE(r->delay_ms);
  EXPECT_EQ(r->max_attempts, 7);
  ASSERT_TRUE(r->backoff);
  EXPECT_EQ(r->backoff->type, BackoffType::kFixed);
  EXPECT_EQ(r->backoff->max_ms, 7200000);  // raised to base_ms when not given
  EXPECT_EQ(r->lease_ms, 1000);
  EXPECT_EQ(r->timeout_ms, 600000);
  EXPECT_EQ(r->tags.size(), 2u);
}

// D13: a typo must not be dropped silently ("dealy_ms" would run the job at once).
TEST(ParseEnqueue, AnUnknownFieldIsRefusedWithTheNearestKnownName) {
  auto r = parse_enqueue(R"({"type":"t","payload":{},"dealy_ms":5000})");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.error().field(), "dealy_ms");
  EXPECT_EQ(r.error().message(),
            "\"dealy_ms\" is not a field of this request; did you mean delay_ms?");
  auto attempts = parse_enqueue(R"({"type":"t","payload":{},"max_attemps":1})");
  ASSERT_FALSE(attempts);
  EXPECT_NE(attempts.error().message().find("did you mean max_attempts?"), std::string::npos);
}

TEST(ParseEnqueue, AFieldFarFromEveryNameListsTheKnownOnes) {
  auto r = parse_enqueue(R"({"type":"t","payload":{},"whatever":true})");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().field(), "whatever");
  EXPECT_NE(r.error().message().find("the fields are: type, queue, payload, priority, delay_ms"),
            std::string::npos)
      << r.error().message();
}

TEST(ParseEnqueue, NestedAndBatchFieldsNameTheirPath) {
  auto backoff = parse_enqueue(R"({"type":"t","payload":{},"backoff":{"base":100}})");
  ASSERT_FALSE(backoff);
  EXPECT_EQ(backoff.error().field(), "backoff.base");
  auto batch = parse_enqueue_batch(R"({"jobs":[{"type":"t","payload":{}},
    {"type":"t","payload":{},"tag":["x"]}]})");
  ASSERT_FALSE(batch);
  EXPECT_EQ(batch.error().field(), "jobs[1].tag");
  EXPECT_NE(batch.error().message().find("did you mean jobs[1].tags?"), std::string::npos)
      << batch.error().message();
}

TEST(ParseEnqueue, AClientChosenIdIsRefusedNotDropped) {
  auto r = parse_enqueue(R"({"id":"order-1","type":"t","payload":{}})");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().field(), "id");
  EXPECT_NE(r.error().message().find("dedupe_key"), std::string::npos);
}

TEST(ParseQueuePatch, AnUnknownFieldIsRefused) {
  auto r = parse_queue_patch(R"({"concurency":2})");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().field(), "concurency");
  EXPECT_NE(r.error().message().find("did you mean concurrency?"), std::string::npos);
  auto push = parse_queue_patch(
      R"({"push":{"url":"https://a.example/h","headers":{"X-A":"1"},"timout_ms":5}})");
  ASSERT_FALSE(push);
  EXPECT_EQ(push.error().field(), "push.timout_ms");
}

TEST(ParseWorking, UnknownFieldsInReserveAndSettleAreRefused) {
  auto reserve = parse_reserve(R"({"queues":["q"],"wait":1000})");
  ASSERT_FALSE(reserve);
  EXPECT_NE(reserve.error().message().find("did you mean wait_ms?"), std::string::npos);
  auto settle = parse_settle(R"({"ack":[{"id":"a","lease":"l","reslt":1}]})");
  ASSERT_FALSE(settle);
  EXPECT_EQ(settle.error().field(), "ack[0].reslt");
  auto fail = parse_fail("a", R"({"lease":"l","error":{"message":"x","kin":"retry"}})");
  ASSERT_FALSE(fail);
  EXPECT_EQ(fail.error().field(), "error.kin");
}

// D13: `status=dead` (the name the apps use) listed every job instead of the dead ones.
TEST(ParseListJobs, AnUnknownOrRepeatedParameterIsRefused) {
  auto status = parse_list_jobs({{"status", "dead"}});
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().field(), "status");
  EXPECT_EQ(status.error().message(),
            "\"status\" is not a query parameter of this request; did you mean state?");
  auto created = parse_list_jobs({{"created_after", "2026-01-01T00:00:00Z"}});
  ASSERT_FALSE(created);
  EXPECT_NE(created.error().message().find("the query parameters are: state, type, queue"),
            std::string::npos)
      << created.error().message();
  auto twice = parse_list_jobs({{"queue", "a"}, {"queue", "b"}});
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().field(), "queue");
  // Tags combine (jobs carrying all of them), up to kMaxTagFilters.
  auto tags = parse_list_jobs({{"tag", "a"}, {"state", "dead"}, {"tag", "b"}});
  ASSERT_TRUE(tags) << tags.error().message();
  EXPECT_EQ(tags->tags, (std::vector<std::string>{"a", "b"}));
  QueryParams many;
  for (std::size_t i = 0; i <= ops::kMaxTagFilters; ++i) many.emplace_back("tag", "t");
  auto too_many = parse_list_jobs(many);
  ASSERT_FALSE(too_many);
  EXPECT_EQ(too_many.error().field(), "tag");
  EXPECT_NE(too_many.error().message().find("at most 8 times"), std::string::npos)
      << too_many.error().message();
  auto purge = parse_purge({{"state", "completed"}, {"queue", "q"}});
  ASSERT_FALSE(purge);
  EXPECT_EQ(purge.error().field(), "queue");
  EXPECT_TRUE(parse_list_jobs({{"state", "dead"}, {"tag", "a"}, {"limit", "5"}}));
}

// D6: Boost.JSON would write 10.5 as 1.05E1 and round the big integer to a double.
TEST(ParseEnqueue, ThePayloadIsKeptAsWritten) {
  auto r =
      parse_enqueue(R"({"type":"t","payload":{"a":10.5, "b":123456789012345678901234567890}})");
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->payload_json, R"({"a":10.5, "b":123456789012345678901234567890})");
  auto batch =
      parse_enqueue_batch(R"({"jobs":[{"type":"t","payload":1.0},{"type":"t","payload":2.50}]})");
  ASSERT_TRUE(batch) << batch.error().message();
  EXPECT_EQ((*batch)[1].payload_json, "2.50");
  auto ack = parse_ack("a", R"({"lease":"l","result":{"total":0.10}})");
  ASSERT_TRUE(ack);
  EXPECT_EQ(ack->result_json, R"({"total":0.10})");
}

TEST(ParseEnqueue, NullPayloadIsAValue) {
  auto r = parse_enqueue(R"({"type":"t","payload":null})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->payload_json, "null");
}

TEST(ParseBatch, NamesTheIndexOfTheBadJob) {
  auto r = parse_enqueue_batch(
      R"({"jobs":[{"type":"a","payload":1},{"type":"b","payload":2},{"type":"c","payload":3},
        {"payload":4}]})");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().field(), "jobs[3].type");
  r = parse_enqueue_batch(R"({"jobs":[{"type":"a","payload":1,"backoff":{"base_ms":0}}]})");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().field(), "jobs[0].backoff.base_ms");
  r = parse_enqueue_batch(R"({"jobs":[1]})");
  EXPECT_EQ(r.error().field(), "jobs[0]");
}

TEST(ParseBatch, HoldsOneToAThousandJobs) {
  EXPECT_EQ(parse_enqueue_batch(R"({"jobs":[]})").error().field(), "jobs");
  EXPECT_EQ(parse_enqueue_batch(R"({})").error().field(), "jobs");
  EXPECT_EQ(parse_enqueue_batch(R"({"jobs":{}})").error().field(), "jobs");
  std::string body = R"({"jobs":[)";
  for (int i = 0; i < 1001; ++i)
    body += (i ? "," : "") + std::string(R"({"type":"t","payload":1})");
  body += "]}";
  auto r = parse_enqueue_batch(body);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("got 1001"), std::string::npos);
  body = R"({"jobs":[{"type":"t","payload":1},{"type":"u","payload":[]}]})";
  auto ok = parse_enqueue_batch(body);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->size(), 2u);
}

TEST(ParseListJobs, ChecksEveryFilter) {
  auto f = parse_list_jobs({});
  ASSERT_TRUE(f);
  EXPECT_EQ(f->limit, 50);
  EXPECT_FALSE(f->ascending);
  EXPECT_EQ(parse_list_jobs({{"state", "running"}}).error().field(), "state");
  EXPECT_NE(parse_list_jobs({{"state", "running"}}).error().message().find("scheduled, queued"),
            std::string::npos);
  EXPECT_EQ(parse_list_jobs({{"limit", "0"}}).error().field(), "limit");
  EXPECT_EQ(parse_list_jobs({{"limit", "501"}}).error().field(), "limit");
  EXPECT_EQ(parse_list_jobs({{"limit", "ten"}}).error().field(), "limit");
  EXPECT_EQ(parse_list_jobs({{"order", "up"}}).error().field(), "order");
  EXPECT_EQ(parse_list_jobs({{"queue", "a b"}}).error().field(), "queue");
  EXPECT_EQ(parse_list_jobs({{"type", ""}}).error().field(), "type");
  f = parse_list_jobs(
      {{"state", "dead"}, {"limit", "500"}, {"order", "asc"}, {"tag", "x"}, {"cursor", "01ABC"}});
  ASSERT_TRUE(f);
  EXPECT_EQ(f->state, JobState::kDead);
  EXPECT_EQ(f->limit, 500);
  EXPECT_TRUE(f->ascending);
  EXPECT_EQ(f->tags, (std::vector<std::string>{"x"}));
  EXPECT_EQ(f->after_id, "01ABC");
}

class ReserveRejects : public ::testing::TestWithParam<BadCase> {};
TEST_P(ReserveRejects, NamingTheField) {
  const auto& c = GetParam();
  auto r = parse_reserve(c.body);
  ASSERT_FALSE(r) << c.body;
  EXPECT_EQ(r.error().field(), c.field) << r.error().message();
  EXPECT_NE(r.error().message().find(c.message_part), std::string::npos) << r.error().message();
}
INSTANTIATE_TEST_SUITE_P(
    Table, ReserveRejects,
    ::testing::Values(BadCase{R"({})", "queues", "required"},
                      BadCase{R"({"queues":[]})", "queues", "1 to 32"},
                      BadCase{R"({"queues":"a"})", "queues", "got a string"},
                      BadCase{R"({"queues":[)" + big_tags(33).substr(1) + "}", "queues",
                              "got 33 names"},
                      BadCase{R"({"queues":["ok","no way"]})", "queues[1]", "no way"},
                      BadCase{R"({"queues":["q"],"max":0})", "max", "between 1 and 100"},
                      BadCase{R"({"queues":["q"],"max":101})", "max", "got 101"},
                      BadCase{R"({"queues":["q"],"wait_ms":60001})", "wait_ms", "0 and 60000"},
                      BadCase{R"({"queues":["q"],"wait_ms":-1})", "wait_ms", "got -1"},
                      BadCase{R"({"queues":["q"],"lease_ms":50})", "lease_ms", "100"},
                      BadCase{R"({"queues":["q"],"worker":"a b"})", "worker", "a b"}));

TEST(ParseReserve, Defaults) {
  auto r = parse_reserve(R"({"queues":["a","b"]})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->max, 1);
  EXPECT_EQ(r->wait_ms, 0);
  EXPECT_FALSE(r->lease_ms);
  EXPECT_EQ(r->queues.size(), 2u);
}

TEST(ParseSettle, AckFailAndExtend) {
  EXPECT_EQ(parse_ack("id", R"({})").error().field(), "lease");
  EXPECT_EQ(parse_ack("id", R"({"lease":5})").error().field(), "lease");
  auto a = parse_ack("id", R"({"lease":"L","result":{"ok":true}})");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->result_json, R"({"ok":true})");

  EXPECT_EQ(parse_fail("id", R"({"lease":"L"})").error().field(), "error");
  EXPECT_EQ(parse_fail("id", R"({"lease":"L","error":"boom"})").error().field(), "error");
  EXPECT_EQ(parse_fail("id", R"({"lease":"L","error":{"kind":"explode"}})").error().field(),
            "error.kind");
  EXPECT_EQ(parse_fail("id", R"({"lease":"L","error":{"message":1}})").error().field(),
            "error.message");
  EXPECT_EQ(parse_fail("id", R"({"lease":"L","error":{"retry_after_ms":-5}})").error().field(),
            "error.retry_after_ms");
  auto f = parse_fail("id", R"({"lease":"L","error":{"message":"m","kind":"snooze",
                                "retry_after_ms":500}})");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->kind, FailKind::kSnooze);
  EXPECT_EQ(f->retry_after_ms, 500);
  EXPECT_FALSE(parse_fail("id", R"({"lease":"L","error":{"kind":"lease_expired"}})"));

  EXPECT_EQ(parse_extend("id", R"({"lease":"L","lease_ms":10})").error().field(), "lease_ms");
  auto e = parse_extend("id", R"({"lease":"L","progress":50})");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->progress_json, "50");
}

TEST(ParseSettle, ItemsAreNamedAndCapped) {
  auto s = parse_settle(R"({"ack":[{"id":"a","lease":"L"}],"fail":[{"id":"b","lease":"L",
                           "error":{"kind":"nope"}}]})");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().field(), "fail[0].error.kind");
  EXPECT_EQ(parse_settle(R"({"ack":[{"lease":"L"}]})").error().field(), "ack[0].id");
  EXPECT_EQ(parse_settle(R"({"ack":[7]})").error().field(), "ack[0]");
  std::string body = R"({"ack":[)";
  for (int i = 0; i < 1001; ++i) body += (i ? "," : "") + std::string(R"({"id":"a","lease":"L"})");
  body += "]}";
  EXPECT_NE(parse_settle(body).error().message().find("at most 1000"), std::string::npos);
  auto ok = parse_settle(R"({"ack":[{"id":"a","lease":"L"}],"fail":[{"id":"b","lease":"M",
                            "error":{"message":"x"}}]})");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->acks.size(), 1u);
  EXPECT_EQ(ok->fails.size(), 1u);
  EXPECT_EQ(ok->fails[0].kind, FailKind::kRetry);
}

TEST(ParseSettle, AReserveBesideTheItemsIsReadWithItsFieldsNamedUnderReserve) {
  auto s = parse_settle(R"({"ack":[{"id":"a","lease":"L"}],
                           "reserve":{"queues":["mail"],"max":5,"wait_ms":1000,"worker":"w1"}})");
  ASSERT_TRUE(s) << s.error().message();
  ASSERT_TRUE(s->reserve);
  EXPECT_EQ(s->reserve->queues, std::vector<std::string>{"mail"});
  EXPECT_EQ(s->reserve->max, 5);
  EXPECT_EQ(s->reserve->wait_ms, 1000);
  EXPECT_EQ(s->reserve->worker, "w1");
  EXPECT_FALSE(parse_settle(R"({"ack":[]})")->reserve);
  EXPECT_EQ(parse_settle(R"({"reserve":{"queues":["q"],"max":0}})").error().field(), "reserve.max");
  EXPECT_EQ(parse_settle(R"({"reserve":{"queues":[]}})").error().field(), "reserve.queues");
  EXPECT_EQ(parse_settle(R"({"reserve":{"queues":["q"],"wiat_ms":5}})").error().field(),
            "reserve.wiat_ms");
  EXPECT_EQ(parse_settle(R"({"reserve":{"queues":["bad name"]}})").error().field(),
            "reserve.queues[0]");
  EXPECT_EQ(parse_settle(R"({"reserve":[1]})").error().field(), "reserve");
}

TEST(ParseQueues, PatchPurgeRetryDead) {
  EXPECT_EQ(parse_queue_patch(R"({"concurrency":-1})").error().field(), "concurrency");
  EXPECT_EQ(parse_queue_patch(R"({"rate_limit":{"limit":5}})").error().field(),
            "rate_limit.per_ms");
  EXPECT_EQ(parse_queue_patch(R"({"push":{"url":"ftp://x/y"}})").error().field(), "push.url");
  EXPECT_EQ(parse_queue_patch(R"({"retain_dead_ms":-1})").error().field(), "retain_dead_ms");
  EXPECT_EQ(parse_queue_patch(R"({"timeout_ms":0})").error().field(), "timeout_ms");
  EXPECT_EQ(parse_queue_patch(R"({"timeout_ms":30000})")->timeout_ms, 30000);
  // A schedule's job template carries no timeout (yet): refused, not dropped.
  auto schedule = parse_schedule_create(
      R"({"name":"n","every_ms":60000,"job":{"type":"t","payload":{},"timeout_ms":5000}})");
  ASSERT_FALSE(schedule);
  EXPECT_EQ(schedule.error().field(), "job.timeout_ms");
  auto p = parse_queue_patch(R"({"max_attempts":5,"rate_limit":{"limit":10,"per_ms":1000},
                                "push":{"url":"https://example.com/hook"}})");
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(p->max_attempts, 5);
  EXPECT_EQ(p->rate_limit->limit, 10);
  EXPECT_TRUE(p->push_json);
  EXPECT_FALSE(p->lease_ms);

  // "push": null removes the push config: the patch says so with the JSON null, and merging it
  // drops the stored config and keeps the rest.
  auto removal = parse_queue_patch(R"({"push":null})");
  ASSERT_TRUE(removal) << removal.error().message();
  ASSERT_TRUE(removal->push_json);
  EXPECT_EQ(*removal->push_json, "null");
  QueueConfig stored = *p;
  stored.merge(*removal);
  EXPECT_FALSE(stored.push_json);
  EXPECT_EQ(stored.max_attempts, 5);
  EXPECT_EQ(parse_queue_patch(R"({"push":"https://x"})").error().field(), "push");

  EXPECT_EQ(parse_purge({}).error().field(), "state");
  EXPECT_EQ(parse_purge({{"state", "queued"}}).error().field(), "state");
  EXPECT_EQ(*parse_purge({{"state", "dead"}}), JobState::kDead);

  EXPECT_FALSE(*parse_retry_dead(""));
  EXPECT_EQ(**parse_retry_dead(R"({"type":"t"})"), "t");
  EXPECT_EQ(parse_retry_dead(R"({"type":"a b"})").error().field(), "type");
}

}  // namespace
}  // namespace spool::http
