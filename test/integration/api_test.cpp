// Black-box tests: a real `spool serve` process driven over HTTP on loopback.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>

#include "support/eventually.hpp"
#include "support/http.hpp"
#include "support/server_process.hpp"
#include "support/temp_dir.hpp"

namespace spool::testing {
namespace {

namespace json = boost::json;

constexpr const char* kEmail =
    R"({"type":"send_release_email","payload":{"transactionId":"esc-123","recipientEmail":"a@example.com","amount":10000}})";

// The raw bytes of a POST, for tests that send before they read.
std::string raw_post(const std::string& target, const std::string& body) {
  return "POST " + target + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

class ApiTest : public ::testing::Test {
 protected:
  void SetUp() override { start(); }

  void start(std::map<std::string, std::string> env = {}, std::vector<std::string> args = {}) {
    server_.reset();
    server_ = std::make_unique<ServerProcess>(
        ServerProcess::Options{dir_.file("data"), std::move(args), std::move(env)});
  }

  HttpConnection connect(const std::string& token = "") {
    HttpConnection c("127.0.0.1", server_->port());
    if (!token.empty()) c.set_token(token);
    return c;
  }

  std::string enqueue(HttpConnection& c, const std::string& body = kEmail) {
    auto r = c.request("POST", "/v1/jobs", body);
    EXPECT_EQ(r.status, 202) << r.body;
    return std::string(r.json().at("id").as_string());
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(ApiTest, TheServersThreadsAreNamedSoTopAndPsTellThemApart) {
  auto thread_names = [this] {
    std::multiset<std::string> names;
    for (const auto& task :
         std::filesystem::directory_iterator("/proc/" + std::to_string(server_->pid()) + "/task")) {
      std::ifstream comm(task.path() / "comm");
      std::string name;
      std::getline(comm, name);
      names.insert(name);
    }
    return names;
  };
  std::multiset<std::string> names;
  // A thread names itself when it starts, which may be just after the server says it listens.
  eventually(
      [&] {
        names = thread_names();
        return names.count("spool-writer") == 1 && names.count("spool-reader") == 2 &&
               names.count("spool-io") >= 1 && names.count("spool-checkpt") == 1;
      },
      std::chrono::seconds(5));
  EXPECT_EQ(names.count("spool-writer"), 1u);
  EXPECT_EQ(names.count("spool-reader"), 2u);
  EXPECT_GE(names.count("spool-io"), 1u);
  EXPECT_EQ(names.count("spool-checkpt"), 1u);
}

TEST_F(ApiTest, HealthzAnswersOk) {
  auto c = connect();
  EXPECT_EQ(c.request("GET", "/healthz").status, 200);
}

TEST_F(ApiTest, AJobGoesFromEnqueueToCompletedOverHttp) {
  auto c = connect();
  auto created = c.request("POST", "/v1/jobs", kEmail);
  ASSERT_EQ(created.status, 202) << created.body;
  auto cj = created.json().as_object();
  EXPECT_EQ(cj.at("state"), "queued");
  EXPECT_EQ(cj.at("deduplicated"), false);
  std::string id(cj.at("id").as_string());
  EXPECT_EQ(id.size(), 26u);

  auto got = c.request("GET", "/v1/jobs/" + id);
  ASSERT_EQ(got.status, 200);
  auto job = got.json().as_object();
  EXPECT_EQ(job.at("queue"), "send_release_email");
  EXPECT_EQ(job.at("payload").at("amount"), 10000);  // JSON as given, not a string
  EXPECT_EQ(job.at("attempts"), 0);
  EXPECT_EQ(job.at("max_attempts"), 3);

  auto reserved = c.request("POST", "/v1/reserve",
                            R"({"queues":["send_release_email"],"max":10,"worker":"w1"})");
  ASSERT_EQ(reserved.status, 200) << reserved.body;
  auto jobs = reserved.json().at("jobs").as_array();
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].at("id").as_string(), id);
  EXPECT_EQ(jobs[0].at("attempt"), 1);
  std::string lease(jobs[0].at("lease").as_string());

  auto acked = c.request("POST", "/v1/jobs/" + id + "/ack",
                         R"({"lease":")" + lease + R"(","result":{"messageId":"m-1"}})");
  ASSERT_EQ(acked.status, 200) << acked.body;
  EXPECT_EQ(acked.json().at("state"), "completed");

  auto done = c.request("GET", "/v1/jobs/" + id).json().as_object();
  EXPECT_EQ(done.at("state"), "completed");
  EXPECT_EQ(done.at("result").at("messageId"), "m-1");
  EXPECT_FALSE(done.contains("lease")) << "a lease token is never shown on GET";

  auto again = c.request("POST", "/v1/jobs/" + id + "/ack", R"({"lease":")" + lease + R"("})");
  EXPECT_EQ(again.status, 409);
  EXPECT_EQ(again.json().at("error").at("code"), "lease_lost");
}

// Run timeouts over HTTP: the job's own, its queue's, and the view of each. (When an attempt
// reaches its timeout is tested under the manual clock: engine_test, conformance/timeout_test.)
TEST_F(ApiTest, ATimeoutIsShownOnTheJobItsQueueAndTheReservedJob) {
  auto c = connect();
  auto patched = c.request("PATCH", "/v1/queues/pdfs", R"({"timeout_ms":120000})");
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(patched.json().at("config").at("timeout_ms").as_int64(), 120000);
  std::string own = enqueue(c, R"({"type":"render_pdf","queue":"pdfs","payload":{},)"
                               R"("timeout_ms":5000,"lease_ms":30000})");
  std::string inherited = enqueue(c, R"({"type":"render_pdf","queue":"pdfs","payload":{}})");
  std::string none = enqueue(c);
  EXPECT_EQ(c.request("GET", "/v1/jobs/" + own).json().at("timeout_ms").as_int64(), 5000);
  EXPECT_EQ(c.request("GET", "/v1/jobs/" + inherited).json().at("timeout_ms").as_int64(), 120000);
  EXPECT_TRUE(c.request("GET", "/v1/jobs/" + none).json().at("timeout_ms").is_null());

  auto reserved = c.request("POST", "/v1/reserve", R"({"queues":["pdfs"],"max":1})");
  ASSERT_EQ(reserved.status, 200) << reserved.body;
  json::value answer = reserved.json();
  const json::object& job = answer.at("jobs").at(0).as_object();
  EXPECT_EQ(job.at("id").as_string(), own);
  EXPECT_EQ(job.at("timeout_ms").as_int64(), 5000);
  EXPECT_EQ(job.at("lease_ms").as_int64(), 5000);  // the lease is cut at the timeout

  auto bad = c.request("POST", "/v1/jobs", R"({"type":"t","payload":{},"timeout_ms":50})");
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_EQ(bad.json().at("error").at("field").as_string(), "timeout_ms");
}

TEST_F(ApiTest, AnEnqueueAnswersTheJobsLocation) {
  auto c = connect();
  auto r = c.request("POST", "/v1/jobs", kEmail);
  ASSERT_EQ(r.status, 202) << r.body;
  std::string id(r.json().at("id").as_string());
  EXPECT_EQ(r.header("location"), "/v1/jobs/" + id);
  EXPECT_EQ(c.request("GET", r.header("location")).json().at("id").as_string(), id);
  std::string keyed = R"({"type":"t","payload":{},"dedupe_key":"k1"})";
  std::string first(c.request("POST", "/v1/jobs", keyed).json().at("id").as_string());
  auto again = c.request("POST", "/v1/jobs", keyed);
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(again.header("location"), "/v1/jobs/" + first);
}

TEST_F(ApiTest, DedupeKeyAnswersTheFirstJob) {
  auto c = connect();
  std::string body =
      R"({"type":"send_release_email","payload":{},"dedupe_key":"escrow-esc-123-release"})";
  std::string first = enqueue(c, body);
  auto second = c.request("POST", "/v1/jobs", body);
  EXPECT_EQ(second.status, 200);
  EXPECT_EQ(second.json().at("id").as_string(), first);
  EXPECT_EQ(second.json().at("deduplicated"), true);
}

// D6: a payment amount or an id that loses digits is data loss; JSON comes back as given.
TEST_F(ApiTest, PayloadResultAndProgressComeBackByteForByte) {
  auto c = connect();
  const std::string payload = R"({"a":10.5,"b":123456789012345678901234567890, "c":[1e2,-0.0]})";
  std::string id = enqueue(c, R"({"type":"charge","payload":)" + payload + "}");
  auto got = c.request("GET", "/v1/jobs/" + id);
  ASSERT_EQ(got.status, 200);
  EXPECT_NE(got.body.find(R"("payload":)" + payload), std::string::npos) << got.body;

  auto batch = c.request("POST", "/v1/jobs/batch",
                         R"({"jobs":[{"type":"charge","payload":{"amount":0.10}}]})");
  ASSERT_EQ(batch.status, 202) << batch.body;
  std::string batch_id(batch.json().at("jobs").at(0).at("id").as_string());
  EXPECT_NE(c.request("GET", "/v1/jobs/" + batch_id).body.find(R"("payload":{"amount":0.10})"),
            std::string::npos);

  auto reserved = c.request("POST", "/v1/reserve", R"({"queues":["charge"],"max":1})");
  ASSERT_EQ(reserved.status, 200) << reserved.body;
  EXPECT_NE(reserved.body.find(R"("payload":)" + payload), std::string::npos) << reserved.body;
  std::string lease(reserved.json().at("jobs").at(0).at("lease").as_string());
  auto extended = c.request("POST", "/v1/jobs/" + id + "/extend",
                            R"({"lease":")" + lease + R"(","progress":{"pct":12.50}})");
  ASSERT_EQ(extended.status, 200) << extended.body;
  EXPECT_NE(c.request("GET", "/v1/jobs/" + id).body.find(R"("progress":{"pct":12.50})"),
            std::string::npos);
  auto acked = c.request("POST", "/v1/settle",
                         R"({"ack":[{"id":")" + id + R"(","lease":")" + lease +
                             R"(","result":{"charged":1.10,"ref":18446744073709551616}}]})");
  ASSERT_EQ(acked.status, 200) << acked.body;
  EXPECT_NE(c.request("GET", "/v1/jobs/" + id)
                .body.find(R"("result":{"charged":1.10,"ref":18446744073709551616})"),
            std::string::npos);
}

// D3: SQLite reuses the rowid of a deleted last row; a dedupe key must still answer its own job.
TEST_F(ApiTest, ADedupeKeyOutlivesItsPurgedJobAndNeverAnswersAnother) {
  auto c = connect();
  const std::string keyed = R"({"type":"t","queue":"q","payload":{},"dedupe_key":"K"})";
  std::string first = enqueue(c, keyed);
  auto reserved = c.request("POST", "/v1/reserve", R"({"queues":["q"],"max":1})");
  ASSERT_EQ(reserved.status, 200) << reserved.body;
  std::string lease(reserved.json().at("jobs").at(0).at("lease").as_string());
  ASSERT_EQ(
      c.request("POST", "/v1/jobs/" + first + "/ack", R"({"lease":")" + lease + R"("})").status,
      200);
  ASSERT_EQ(c.request("DELETE", "/v1/queues/q/jobs?state=completed").status, 200);
  std::string other = enqueue(c, R"({"type":"u","queue":"q","payload":{}})");
  auto again = c.request("POST", "/v1/jobs", keyed);
  EXPECT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(again.json().at("id").as_string(), first) << "never another job's id (" << other << ")";
  EXPECT_EQ(again.json().at("deduplicated"), true);
  EXPECT_EQ(again.json().at("state"), "completed");
  EXPECT_EQ(c.request("GET", "/v1/jobs?queue=q").json().at("jobs").as_array().size(), 1u);
}

// D13: a typo in a field or a query parameter is refused, naming it, instead of being dropped.
TEST_F(ApiTest, TyposAreRefusedWithTheNearestNameNotDropped) {
  auto c = connect();
  auto delay = c.request("POST", "/v1/jobs", R"({"type":"t","payload":{},"dealy_ms":5000})");
  EXPECT_EQ(delay.status, 400);
  EXPECT_EQ(delay.json().at("error").at("code"), "invalid_request");
  EXPECT_EQ(delay.json().at("error").at("field"), "dealy_ms");
  EXPECT_NE(delay.body.find("did you mean delay_ms?"), std::string::npos) << delay.body;
  auto patch = c.request("PATCH", "/v1/queues/x", R"({"concurency":2})");
  EXPECT_EQ(patch.status, 400);
  EXPECT_EQ(patch.json().at("error").at("field"), "concurency");
  auto list = c.request("GET", "/v1/jobs?status=dead");
  EXPECT_EQ(list.status, 400);
  EXPECT_NE(list.body.find("did you mean state?"), std::string::npos) << list.body;
  auto id = c.request("POST", "/v1/jobs", R"({"id":"mine","type":"t","payload":{}})");
  EXPECT_EQ(id.status, 400);
  EXPECT_EQ(id.json().at("error").at("field"), "id");
  EXPECT_EQ(c.request("GET", "/v1/jobs").json().at("jobs").as_array().size(), 0u);
}

TEST_F(ApiTest, FailedJobsRetryThenDieAndReplayFromTheDeadLetterQueue) {
  auto c = connect();
  std::string id = enqueue(
      c,
      R"({"type":"webhook","payload":{},"max_attempts":1,"backoff":{"type":"fixed","base_ms":10}})");
  auto reserved = c.request("POST", "/v1/reserve", R"({"queues":["webhook"]})").json();
  std::string lease(reserved.at("jobs").at(0).at("lease").as_string());
  auto failed = c.request(
      "POST", "/v1/jobs/" + id + "/fail",
      R"({"lease":")" + lease + R"(","error":{"message":"HTTP 503 from partner","kind":"retry"}})");
  ASSERT_EQ(failed.status, 200) << failed.body;
  EXPECT_EQ(failed.json().at("state"), "dead");

  auto queue = c.request("GET", "/v1/queues/webhook").json();
  EXPECT_EQ(queue.at("counts").at("dead"), 1);
  auto job = c.request("GET", "/v1/jobs/" + id).json();
  EXPECT_EQ(job.at("last_error").at("message"), "HTTP 503 from partner");

  auto retried = c.request("POST", "/v1/queues/webhook/retry-dead", "{}");
  ASSERT_EQ(retried.status, 200) << retried.body;
  EXPECT_EQ(retried.json().at("retried"), 1);
  EXPECT_EQ(c.request("GET", "/v1/jobs/" + id).json().at("state"), "queued");
}

TEST_F(ApiTest, CancelQueuedJobButNotAnActiveOne) {
  auto c = connect();
  std::string queued = enqueue(c);
  auto cancelled = c.request("DELETE", "/v1/jobs/" + queued);
  ASSERT_EQ(cancelled.status, 200) << cancelled.body;
  EXPECT_EQ(cancelled.json().at("state"), "cancelled");
  std::string active = enqueue(c);
  c.request("POST", "/v1/reserve", R"({"queues":["send_release_email"]})");
  auto refused = c.request("DELETE", "/v1/jobs/" + active);
  EXPECT_EQ(refused.status, 409);
  EXPECT_NE(refused.body.find("active"), std::string::npos) << refused.body;
}

TEST_F(ApiTest, PausedQueueAcceptsJobsButHandsNoneOut) {
  auto c = connect();
  ASSERT_EQ(c.request("POST", "/v1/queues/send_release_email/pause").status, 200);
  enqueue(c);
  auto none = c.request("POST", "/v1/reserve", R"({"queues":["send_release_email"]})");
  EXPECT_EQ(none.json().at("jobs").as_array().size(), 0u);
  auto resumed = c.request("POST", "/v1/queues/send_release_email/resume");
  EXPECT_EQ(resumed.json().at("paused"), false);
  auto one = c.request("POST", "/v1/reserve", R"({"queues":["send_release_email"]})");
  EXPECT_EQ(one.json().at("jobs").as_array().size(), 1u);
}

TEST_F(ApiTest, StatsCountAJobAnsweredWithA202AtOnce) {
  auto c = connect();
  enqueue(c);
  auto stats = c.request("GET", "/v1/stats").json();
  EXPECT_EQ(stats.at("queues").at("send_release_email").at("counts").at("queued"), 1);
  EXPECT_EQ(stats.at("totals").at("counts").at("queued"), 1);
}

TEST_F(ApiTest, LongPollIsAnsweredWhenAJobArrives) {
  auto worker = connect();
  auto producer = connect();
  worker.send_raw(raw_post("/v1/reserve", R"({"queues":["send_release_email"],"wait_ms":20000})"));
  std::string id = enqueue(producer);
  auto answer = worker.read_response();
  ASSERT_EQ(answer.status, 200) << answer.body;
  ASSERT_EQ(answer.json().at("jobs").as_array().size(), 1u);
  EXPECT_EQ(answer.json().at("jobs").at(0).at("id").as_string(), id);
}

// A worker loop in one request per round: settle what it ran, get its next jobs (as BullMQ's
// moveToFinished fetches the next job).
TEST_F(ApiTest, ASettleWithReserveAnswersItsResultsAndTheNextJobs) {
  auto c = connect();
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    ids.push_back(enqueue(c, R"({"type":"pdf","payload":{"n":)" + std::to_string(i) + "}}"));
  }
  auto first = c.request("POST", "/v1/reserve", R"({"queues":["pdf"],"max":1})");
  ASSERT_EQ(first.status, 200) << first.body;
  std::string lease(first.json().at("jobs").at(0).at("lease").as_string());
  auto next = c.request("POST", "/v1/settle",
                        R"({"ack":[{"id":")" + ids[0] + R"(","lease":")" + lease +
                            R"("}],"reserve":{"queues":["pdf"],"max":5,"worker":"w"}})");
  ASSERT_EQ(next.status, 200) << next.body;
  auto answer = next.json().as_object();
  ASSERT_EQ(answer.at("results").as_array().size(), 1u);
  EXPECT_EQ(answer.at("results").at(0).at("id").as_string(), ids[0]);
  EXPECT_EQ(answer.at("results").at(0).at("state").as_string(), "completed");
  auto jobs = answer.at("jobs").as_array();
  ASSERT_EQ(jobs.size(), 2u) << "the two left, not the one just settled";
  EXPECT_EQ(jobs[0].at("id").as_string(), ids[1]);
  EXPECT_EQ(jobs[1].at("id").as_string(), ids[2]);
  EXPECT_EQ(c.request("GET", "/v1/jobs/" + ids[1]).json().at("state").as_string(), "active");

  // A lease that does not hold is refused in its result; the reserve still answers.
  auto stale = c.request("POST", "/v1/settle",
                         R"({"ack":[{"id":")" + ids[0] + R"(","lease":")" + lease +
                             R"("}],"reserve":{"queues":["pdf"]}})");
  ASSERT_EQ(stale.status, 200) << stale.body;
  EXPECT_EQ(stale.json().at("results").at(0).at("error").at("code").as_string(), "lease_lost");
  EXPECT_TRUE(stale.json().at("jobs").as_array().empty());

  auto typo = c.request("POST", "/v1/settle", R"({"reserve":{"queues":["pdf"],"mxa":2}})");
  EXPECT_EQ(typo.status, 400) << typo.body;
  EXPECT_EQ(typo.json().at("error").at("field").as_string(), "reserve.mxa");
}

TEST_F(ApiTest, ASettleWithALongPollReserveWaitsForTheNextJob) {
  HttpResponse answer;
  std::thread worker([&] {
    auto w = connect();
    answer = w.request("POST", "/v1/settle", R"({"reserve":{"queues":["late"],"wait_ms":10000}})");
  });
  auto c = connect();
  bool parked = eventually(
      [&] {
        return c.request("GET", "/metrics").body.find(R"(spool_waiters{queue="late"} 1)") !=
               std::string::npos;
      },
      std::chrono::seconds(5));
  std::string id = enqueue(c, R"({"type":"late","payload":{}})");
  worker.join();
  ASSERT_TRUE(parked) << "the reserve never parked";
  ASSERT_EQ(answer.status, 200) << answer.body;
  EXPECT_TRUE(answer.json().at("results").as_array().empty());
  ASSERT_EQ(answer.json().at("jobs").as_array().size(), 1u) << "parked until the job came";
  EXPECT_EQ(answer.json().at("jobs").at(0).at("id").as_string(), id);
}

TEST_F(ApiTest, ALongPollWhoseClientLeftLeasesNothing) {
  {
    auto gone = connect();
    gone.send_raw(raw_post("/v1/reserve", R"({"queues":["send_release_email"],"wait_ms":20000})"));
    auto c = connect();
    EXPECT_EQ(c.request("GET", "/healthz").status, 200);  // the long poll is parked by now
  }                                                       // both connections close here
  // Give the server a moment to notice the close; if the job still reaches the dead waiter,
  // the failed write must hand it back. Either way it ends queued with no attempt spent.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  auto c = connect();
  std::string id = enqueue(c);
  std::string state;
  std::int64_t attempts = -1;
  for (int i = 0; i < 50; ++i) {
    auto job = c.request("GET", "/v1/jobs/" + id).json();
    state = std::string(job.at("state").as_string());
    attempts = job.at("attempts").as_int64();
    if (state == "queued" && attempts == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(state, "queued");
  EXPECT_EQ(attempts, 0);
}

// The job's state and attempts once they read `state` and `attempts`, or as last seen after a
// few seconds.
std::pair<std::string, std::int64_t> wait_for_job(HttpConnection& c, const std::string& id,
                                                  const std::string& state, std::int64_t attempts) {
  std::pair<std::string, std::int64_t> seen;
  eventually(
      [&] {
        auto job = c.request("GET", "/v1/jobs/" + id).json();
        seen = {std::string(job.at("state").as_string()), job.at("attempts").as_int64()};
        return seen == std::make_pair(state, attempts);
      },
      std::chrono::seconds(5));
  return seen;
}

TEST_F(ApiTest, ASettleWithALongPollWhoseClientLeftLeasesNothing) {
  auto c = connect();
  {
    auto gone = connect();
    gone.send_raw(raw_post("/v1/settle", R"({"reserve":{"queues":["gone"],"wait_ms":20000}})"));
    ASSERT_TRUE(eventually([&] {
      return c.request("GET", "/metrics").body.find(R"(spool_waiters{queue="gone"} 1)") !=
             std::string::npos;
    }));
  }  // the worker's connection closes here
  ASSERT_TRUE(eventually([&] {
    return c.request("GET", "/metrics").body.find(R"(spool_waiters{queue="gone"} 1)") ==
           std::string::npos;
  })) << "the long poll of a client that left is dropped";
  std::string id = enqueue(c, R"({"type":"gone","payload":{}})");
  auto [state, attempts] = wait_for_job(c, id, "queued", 0);
  EXPECT_EQ(state, "queued");
  EXPECT_EQ(attempts, 0);
}

// What a client that shut its side after a reserve gets: nothing (the connection closes) or an
// answer with no jobs. Reading it also means the server has dealt with the reserve. Answers
// false when jobs came back: the FIN follows the request, so on a loaded machine the server may
// answer before the FIN arrives, and a half-closed client can still read its jobs; such a run
// has nothing to judge.
[[nodiscard]] bool left_before_the_answer(HttpConnection& gone) {
  if (gone.closed_by_peer()) return true;
  auto r = gone.read_response();
  EXPECT_EQ(r.status, 200) << r.body;
  return r.status == 200 && r.json().at("jobs").as_array().empty();
}

HttpConnection reserve_and_leave(std::uint16_t port, std::int64_t wait_ms) {
  HttpConnection gone("127.0.0.1", port, std::chrono::seconds(5));
  gone.send_raw(raw_post("/v1/reserve", R"({"queues":["send_release_email"],"wait_ms":)" +
                                            std::to_string(wait_ms) + R"(,"lease_ms":600000})"));
  gone.shutdown_send();
  return gone;
}

// D10: a client that sent its reserve and shut its side before the answer went out never gets
// the jobs, so they must not stay leased (for 10 minutes here) with an attempt spent: they go
// straight back to the queue.
TEST_F(ApiTest, AReserveAnswerForAClientThatLeftGoesBackToTheQueueWithNoAttemptSpent) {
  auto c = connect();
  std::string id = enqueue(c);
  auto gone = reserve_and_leave(server_->port(), 0);
  if (!left_before_the_answer(gone)) GTEST_SKIP() << "the answer went out before the FIN came";
  EXPECT_EQ(wait_for_job(c, id, "queued", 0), std::make_pair(std::string("queued"), 0L));
}

// D10, long polls: one that finds a job waiting, and one parked when its client leaves and a job
// comes after.
TEST_F(ApiTest, ALongPollWhoseClientShutItsSideLeasesNothing) {
  auto c = connect();
  std::string waiting = enqueue(c);
  auto found = reserve_and_leave(server_->port(), 20000);
  if (!left_before_the_answer(found)) GTEST_SKIP() << "the answer went out before the FIN came";
  EXPECT_EQ(wait_for_job(c, waiting, "queued", 0), std::make_pair(std::string("queued"), 0L));
  auto worker = connect();
  auto taken = worker.request("POST", "/v1/reserve", R"({"queues":["send_release_email"]})");
  ASSERT_EQ(taken.json().at("jobs").as_array().size(), 1u) << taken.body;

  auto parked = reserve_and_leave(server_->port(), 20000);
  EXPECT_TRUE(left_before_the_answer(parked))
      << "a parked long poll got jobs after its client left";
  std::string late = enqueue(c);
  EXPECT_EQ(wait_for_job(c, late, "queued", 0), std::make_pair(std::string("queued"), 0L));
}

// D7: [server] max_connections caps open connections; one past the cap is closed at once (and
// logged), the others keep being served, and once one ends a new one gets in.
TEST_F(ApiTest, AConnectionPastMaxConnectionsIsClosedAtOnceUntilOneEnds) {
  start({{"SPOOL_MAX_CONNECTIONS", "2"}});
  auto port = server_->port();
  auto first = std::make_unique<HttpConnection>("127.0.0.1", port, std::chrono::seconds(5));
  HttpConnection second("127.0.0.1", port, std::chrono::seconds(5));
  EXPECT_EQ(first->request("GET", "/healthz").status, 200);
  EXPECT_EQ(second.request("GET", "/healthz").status, 200);

  HttpConnection third("127.0.0.1", port, std::chrono::seconds(5));
  EXPECT_TRUE(third.closed_by_peer()) << "a third connection was kept past max_connections = 2";
  EXPECT_EQ(second.request("GET", "/healthz").status, 200);

  first.reset();  // the server notices the close and frees its place
  EXPECT_TRUE(eventually(
      [&] {
        HttpConnection next("127.0.0.1", port, std::chrono::seconds(5));
        auto r = next.try_request("GET", "/healthz");
        return r && r->status == 200;
      },
      std::chrono::seconds(5)));
  EXPECT_NE(server_->log().find("event=connections_refused"), std::string::npos) << server_->log();
}

TEST_F(ApiTest, BatchIsAllOrNothingAndNamesTheBadIndex) {
  auto c = connect();
  std::string jobs;
  for (int i = 0; i < 5; ++i) {
    if (i) jobs += ",";
    jobs += i == 3 ? R"({"type":"bad type!","payload":{}})" : R"({"type":"pdf","payload":{"n":1}})";
  }
  auto refused = c.request("POST", "/v1/jobs/batch", R"({"jobs":[)" + jobs + "]}");
  ASSERT_EQ(refused.status, 400) << refused.body;
  EXPECT_EQ(refused.json().at("error").at("field"), "jobs[3].type");
  auto stats = c.request("GET", "/v1/stats").json();
  EXPECT_EQ(stats.at("totals").at("counts").at("queued"), 0);

  auto accepted =
      c.request("POST", "/v1/jobs/batch",
                R"({"jobs":[{"type":"pdf","payload":{}},{"type":"pdf","payload":null}]})");
  ASSERT_EQ(accepted.status, 202) << accepted.body;
  EXPECT_EQ(accepted.json().at("jobs").as_array().size(), 2u);
}

struct BadInput {
  const char* method;
  const char* target;
  const char* body;
  int status;
  const char* code;
  const char* field;  // "" when the answer names no field
};

TEST_F(ApiTest, BadInputGetsAClearErrorAndTheServerGoesOn) {
  const BadInput cases[] = {
      {"POST", "/v1/jobs", "{\"type\":", 400, "invalid_request", ""},
      {"POST", "/v1/jobs", "[1,2]", 400, "invalid_request", ""},
      {"POST", "/v1/jobs", R"({"payload":{}})", 400, "invalid_request", "type"},
      {"POST", "/v1/jobs", R"({"type":"a"})", 400, "invalid_request", "payload"},
      {"POST", "/v1/jobs", R"({"type":42,"payload":{}})", 400, "invalid_request", "type"},
      {"POST", "/v1/jobs", R"({"type":"a/b","payload":{}})", 400, "invalid_request", "type"},
      {"POST", "/v1/jobs", R"({"type":"a","payload":{},"queue":""})", 400, "invalid_request",
       "queue"},
      {"POST", "/v1/jobs", R"({"type":"a","payload":{},"max_attempts":0})", 400, "invalid_request",
       "max_attempts"},
      {"POST", "/v1/jobs", R"({"type":"a","payload":{},"max_attempts":"3"})", 400,
       "invalid_request", "max_attempts"},
      {"POST", "/v1/jobs", R"({"type":"a","payload":{},"lease_ms":5})", 400, "invalid_request",
       "lease_ms"},
      {"POST", "/v1/jobs", R"({"type":"a","payload":{},"delay_ms":-1})", 400, "invalid_request",
       "delay_ms"},
      {"POST", "/v1/jobs", R"({"type":"a","payload":{},"run_at":"tomorrow"})", 400,
       "invalid_request", "run_at"},
      {"POST", "/v1/jobs", R"({"type":"a","payload":{},"priority":1.5})", 400, "invalid_request",
       "priority"},
      {"POST", "/v1/jobs", R"({"type":"a","payload":{},"backoff":{"type":"linear"}})", 400,
       "invalid_request", "backoff.type"},
      {"POST", "/v1/jobs/batch", R"({"jobs":[]})", 400, "invalid_request", "jobs"},
      {"POST", "/v1/reserve", R"({"queues":[]})", 400, "invalid_request", "queues"},
      {"POST", "/v1/reserve", R"({"queues":["a"],"max":101})", 400, "invalid_request", "max"},
      {"POST", "/v1/reserve", R"({"queues":["a"],"wait_ms":60001})", 400, "invalid_request",
       "wait_ms"},
      {"GET", "/v1/jobs?state=sleeping", "", 400, "invalid_request", "state"},
      {"GET", "/v1/jobs?limit=501", "", 400, "invalid_request", "limit"},
      {"DELETE", "/v1/queues/a/jobs?state=queued", "", 400, "invalid_request", "state"},
      {"GET", "/v1/jobs/01JD000000000000000000000X", "", 404, "not_found", ""},
      {"GET", "/v1/jobs/whatever", "", 404, "not_found", ""},
      {"GET", "/v1/nothing-here", "", 404, "not_found", ""},
      {"POST", "/v1/jobs/x/ack", R"({"lease":"nope"})", 404, "not_found", ""},
  };
  auto c = connect();
  for (const BadInput& bad : cases) {
    SCOPED_TRACE(std::string(bad.method) + " " + bad.target + " " + bad.body);
    auto r = c.request(bad.method, bad.target, bad.body);
    EXPECT_EQ(r.status, bad.status) << r.body;
    auto j = r.json();
    ASSERT_TRUE(j.is_object()) << r.body;
    auto& err = j.at("error");
    EXPECT_EQ(err.at("code"), bad.code);
    EXPECT_FALSE(err.at("message").as_string().empty());
    if (*bad.field) {
      ASSERT_TRUE(err.as_object().contains("field")) << r.body;
      EXPECT_EQ(err.at("field"), bad.field);
    }
  }
  EXPECT_EQ(c.request("GET", "/healthz").status, 200);
  auto wrong_method = c.request("PUT", "/v1/jobs", "{}");
  EXPECT_EQ(wrong_method.status, 405);
}

TEST_F(ApiTest, AFullDiskAnswers503ToWritesAndKeepsServingReads) {
  start({{"SPOOL_TEST_MAX_DB_PAGES", "80"}});  // about 320 KiB of database file
  auto c = connect();
  std::string first = enqueue(c);
  std::string big = R"({"type":"pdf","payload":")" + std::string(4000, 'x') + "\"}";
  int status = 0;
  std::string body;
  for (int i = 0; i < 1000 && status != 503; ++i) {
    auto r = c.request("POST", "/v1/jobs", big);
    status = r.status;
    body = r.body;
    ASSERT_TRUE(status == 202 || status == 503) << status << " " << body;
  }
  ASSERT_EQ(status, 503) << "the capped store never filled";
  EXPECT_NE(body.find("\"unavailable\""), std::string::npos) << body;
  EXPECT_EQ(c.request("GET", "/v1/jobs/" + first).status, 200);
  EXPECT_EQ(c.request("GET", "/v1/stats").status, 200);
  EXPECT_EQ(c.request("GET", "/healthz").status, 200);
}

// D7: a 503 is a "come back later": each one says when (Retry-After, in seconds), so clients that
// honour it back off instead of hammering a server that is failing or overloaded.
TEST_F(ApiTest, EveryServiceUnavailableAnswerSaysWhenToRetry) {
  std::string fault = dir_.file("store-fault");
  start({{"SPOOL_TEST_STORE_FAULT_FILE", fault}});
  auto c = connect();
  auto fine = c.request("POST", "/v1/jobs", kEmail);
  EXPECT_EQ(fine.status, 202) << fine.body;
  EXPECT_EQ(fine.header("retry-after"), "") << "only a 503 asks to come back later";

  std::ofstream(fault) << "fail\n";
  auto write = c.request("POST", "/v1/jobs", kEmail);
  ASSERT_EQ(write.status, 503) << write.body;
  EXPECT_EQ(write.header("retry-after"), "1");
  auto ready = c.request("GET", "/readyz");
  ASSERT_EQ(ready.status, 503) << ready.body;
  EXPECT_EQ(ready.header("retry-after"), "1");
  std::filesystem::remove(fault);
}

TEST_F(ApiTest, OversizeBodyGets413AndACleanClose) {
  auto c = connect();
  std::string big = R"({"type":"pdf","payload":")" + std::string(2 * 1024 * 1024, 'x') + "\"}";
  auto r = c.request("POST", "/v1/jobs", big);
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.json().at("error").at("code"), "too_large");
  auto fresh = connect();
  EXPECT_EQ(fresh.request("GET", "/healthz").status, 200);
}

TEST_F(ApiTest, PipelinedRequestsAreAnsweredInOrder) {
  auto c = connect();
  std::string one = raw_post("/v1/jobs", kEmail);
  c.send_raw(one + "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n" + one +
             "GET /v1/nope HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(c.read_response().status, 202);
  EXPECT_EQ(c.read_response().status, 200);
  EXPECT_EQ(c.read_response().status, 202);
  EXPECT_EQ(c.read_response().status, 404);
}

TEST_F(ApiTest, TokensAndRolesGuardEveryRoute) {
  std::ofstream(dir_.file("spool.toml")) << R"(
[[tokens]]
token = "producer-secret"
roles = ["producer"]

[[tokens]]
token = "reader-secret"
roles = ["reader"]
)";
  start({{"SPOOL_TOKEN", "admin-secret"}}, {"--config", dir_.file("spool.toml")});
  auto anon = connect();
  auto r = anon.request("POST", "/v1/jobs", kEmail);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.json().at("error").at("code"), "unauthorized");
  EXPECT_EQ(anon.request("GET", "/healthz").status, 200);
  auto wrong = connect("not-a-token");
  EXPECT_EQ(wrong.request("GET", "/v1/stats").status, 401);

  auto producer = connect("producer-secret");
  std::string id = enqueue(producer);
  EXPECT_EQ(producer.request("GET", "/v1/jobs/" + id).status, 200);
  auto denied = producer.request("POST", "/v1/reserve", R"({"queues":["send_release_email"]})");
  EXPECT_EQ(denied.status, 403);
  EXPECT_EQ(denied.json().at("error").at("code"), "forbidden");

  auto reader = connect("reader-secret");
  EXPECT_EQ(reader.request("GET", "/v1/stats").status, 200);
  EXPECT_EQ(reader.request("POST", "/v1/jobs", kEmail).status, 403);
  EXPECT_EQ(reader.request("POST", "/v1/queues/x/pause").status, 403);

  auto admin = connect("admin-secret");
  EXPECT_EQ(admin.request("POST", "/v1/queues/x/pause").status, 200);
  EXPECT_EQ(server_->log().find("secret"), std::string::npos) << "a token leaked into the log";
}

TEST_F(ApiTest, RefusesANonLoopbackAddressWithoutAToken) {
  int status = 0;
  pid_t pid = fork();
  if (pid == 0) {
    int devnull = ::open("/dev/null", O_WRONLY);
    dup2(devnull, 1);
    dup2(devnull, 2);
    execl(spool_binary().c_str(), "spool", "serve", "--listen", "0.0.0.0:0", "--data",
          dir_.file("other").c_str(), nullptr);
    _exit(127);
  }
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_NE(WEXITSTATUS(status), 0);
}

TEST_F(ApiTest, SigtermAnswersParkedLongPollsAndExitsZero) {
  auto worker = connect();
  worker.send_raw(raw_post("/v1/reserve", R"({"queues":["q"],"wait_ms":60000})"));
  auto c = connect();
  EXPECT_EQ(c.request("GET", "/healthz").status, 200);  // the long poll is parked by now
  int status = -1;
  std::thread stopper([&] { status = server_->signal_and_wait(SIGTERM, 10); });
  auto answer = worker.read_response();
  stopper.join();
  ASSERT_TRUE(WIFEXITED(status)) << "status " << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(answer.status, 200);
  EXPECT_EQ(answer.json().at("jobs").as_array().size(), 0u);
}

// Producers enqueueing over keep-alive connections until stopped, keeping the id of every job
// the server answered 202 for.
class ProducerFleet {
 public:
  ProducerFleet(std::uint16_t port, int count) {
    for (int t = 0; t < count; ++t) {
      threads_.emplace_back([this, port] {
        try {
          HttpConnection c("127.0.0.1", port, std::chrono::seconds(5));
          while (!stop_) {
            auto r = c.try_request("POST", "/v1/jobs", kEmail);
            if (!r) return;
            if (r->status != 202) continue;  // a 503 while shutting down: not stored
            std::lock_guard lock(mu_);
            accepted_.emplace_back(r->json().at("id").as_string());
          }
        } catch (...) {
        }
      });
    }
  }
  ~ProducerFleet() { stop(); }

  // Waits (up to 5 s) until at least n jobs were accepted.
  void wait_for(std::size_t n) {
    for (int i = 0; i < 500 && accepted().size() < n; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  void stop() {
    stop_ = true;
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }
  std::vector<std::string> accepted() {
    std::lock_guard lock(mu_);
    return accepted_;
  }

 private:
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::vector<std::string> accepted_;
  std::vector<std::thread> threads_;
};

// Every id in `accepted` is a job the server (restarted on the same data) still has.
void expect_all_kept(HttpConnection& c, const std::vector<std::string>& accepted) {
  std::set<std::string> missing(accepted.begin(), accepted.end());
  for (const auto& id : accepted) {
    if (c.request("GET", "/v1/jobs/" + id).status == 200) missing.erase(id);
  }
  EXPECT_TRUE(missing.empty()) << missing.size() << " of " << accepted.size()
                               << " accepted jobs were lost";
}

// D5: the engine kept taking commands while it drained, so busy keep-alive producers kept
// SIGTERM from ever finishing. Now it exits promptly and keeps every job it answered 202 for.
TEST_F(ApiTest, SigtermUnderFiftyBusyProducersExitsWithinFiveSecondsKeepingEvery202) {
  ProducerFleet producers(server_->port(), 50);
  producers.wait_for(500);
  int status = server_->signal_and_wait(SIGTERM, 5);
  producers.stop();
  ASSERT_NE(status, -1) << "spool serve did not exit within 5 s of SIGTERM under load";
  ASSERT_TRUE(WIFEXITED(status)) << "status " << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
  auto accepted = producers.accepted();
  ASSERT_GE(accepted.size(), 1u);
  start();
  auto c = connect();
  expect_all_kept(c, accepted);
}

TEST_F(ApiTest, EveryAcceptedJobSurvivesKillDashNine) {
  ProducerFleet producers(server_->port(), 4);
  producers.wait_for(300);  // a few hundred enqueues, then kill the server mid-stream
  server_->signal_and_wait(SIGKILL, 10);
  producers.stop();
  auto accepted = producers.accepted();
  ASSERT_GE(accepted.size(), 1u);
  start();
  auto c = connect();
  expect_all_kept(c, accepted);
}

}  // namespace
}  // namespace spool::testing
