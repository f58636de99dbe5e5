// Push delivery against a real `spool serve` and real local HTTP(S) receivers
// (support/push_receiver.hpp): signed requests verified by spool::verify_webhook and by the npm
// `standardwebhooks` package under node, every row of the classification table, HTTPS with a
// private CA, the circuit breaker, runtime config changes, and a server stopped or killed while
// deliveries are in flight. Every wait has a deadline.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "spool/webhook.hpp"
#include "support/eventually.hpp"
#include "support/http.hpp"
#include "support/push_receiver.hpp"
#include "support/server_process.hpp"
#include "support/temp_dir.hpp"
#include "webhook_checks.hpp"

namespace spool::testing {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

constexpr const char* kSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
constexpr const char* kNewSecret = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";

std::string str(const json::value& v) { return std::string(v.as_string()); }

class PushTest : public ::testing::Test {
 protected:
  void start_server(std::map<std::string, std::string> env = {}) {
    env.try_emplace("SPOOL_PUSH_REFRESH_MS", "100");
    server_ = std::make_unique<ServerProcess>(
        ServerProcess::Options{dir_.file("data"), {}, std::move(env)});
    http_ = std::make_unique<HttpConnection>("127.0.0.1", server_->port());
  }
  void stop_server(int signo) {
    http_.reset();
    server_->signal_and_wait(signo);
    server_.reset();
  }

  // PATCH the queue with a push config (and a slow fixed backoff, so retrying jobs stay put).
  void configure(const std::string& queue, json::object push, int max_attempts = 5,
                 std::int64_t backoff_ms = 600'000) {
    json::object body;
    body["push"] = std::move(push);
    body["max_attempts"] = max_attempts;
    body["backoff"] = json::object{{"type", "fixed"}, {"base_ms", backoff_ms}, {"jitter", false}};
    auto r = http_->request("PATCH", "/v1/queues/" + queue, json::serialize(body));
    ASSERT_EQ(r.status, 200) << r.body;
  }
  json::object push_to(const PushReceiver& rx, json::object extra = {}) {
    json::object p{{"url", rx.url()}, {"secret", kSecret}, {"timeout_ms", 2000}};
    for (auto& [k, v] : extra) p[k] = v;
    return p;
  }
  std::string enqueue(const std::string& queue, const std::string& payload = R"({"n":1})") {
    auto r =
        http_->request("POST", "/v1/jobs",
                       R"({"type":"notify","queue":")" + queue + R"(","payload":)" + payload + "}");
    EXPECT_EQ(r.status, 202) << r.body;
    return str(r.json().at("id"));
  }
  json::object job(const std::string& id) {
    auto r = http_->request("GET", "/v1/jobs/" + id);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json().as_object();
  }
  json::object wait_state(const std::string& id, const std::string& state,
                          std::chrono::milliseconds limit = 20s) {
    json::object last;
    bool ok = eventually(
        [&] {
          last = job(id);
          return str(last.at("state")) == state;
        },
        limit);
    EXPECT_TRUE(ok) << "job " << id << " never became " << state << ": " << json::serialize(last);
    return last;
  }
  json::object readyz() { return http_->request("GET", "/readyz").json().as_object(); }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<HttpConnection> http_;
};

std::int64_t now_unix() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// An IMF-fixdate, as Retry-After may carry.
std::string http_date(std::int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

TEST_F(PushTest, DeliversEachJobSignedAndAcksWithTheAnswerAsResult) {
  PushReceiver rx;
  rx.set_default({200, R"({"received":true})", {{"Content-Type", "application/json"}}});
  start_server();
  configure("hooks", push_to(rx, {{"headers", json::object{{"X-Tenant", "acme"}}}}));
  std::string id = enqueue("hooks", R"({"order":42,"text":"h\u00e9"})");
  auto done = wait_state(id, "completed");
  EXPECT_EQ(done.at("result"), json::parse(R"({"received":true})"));
  EXPECT_EQ(done.at("attempts").as_int64(), 1);

  ASSERT_EQ(rx.request_count(), 1u);
  ReceivedRequest r = rx.requests()[0];
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.target, "/hook");
  EXPECT_EQ(r.header("content-type"), "application/json");
  EXPECT_EQ(r.header("user-agent").substr(0, 6), "spool/");
  EXPECT_EQ(r.header("x-tenant"), "acme");
  EXPECT_EQ(r.header("webhook-id"), id);
  std::int64_t ts = std::stoll(r.header("webhook-timestamp"));
  EXPECT_LE(std::abs(ts - now_unix()), 30);
  auto body = json::parse(r.body).as_object();
  EXPECT_EQ(str(body.at("id")), id);
  EXPECT_EQ(str(body.at("type")), "notify");
  EXPECT_EQ(str(body.at("queue")), "hooks");
  EXPECT_EQ(body.at("attempt").as_int64(), 1);
  EXPECT_EQ(body.at("max_attempts").as_int64(), 5);
  EXPECT_EQ(body.at("payload"), json::parse(R"({"order":42,"text":"hé"})"));
  EXPECT_TRUE(body.at("created_at").is_string());

  auto ok = spool::verify_webhook(kSecret, webhook_headers(r), r.body);
  EXPECT_TRUE(ok) << ok.error().message;
  auto wrong = spool::verify_webhook(kNewSecret, webhook_headers(r), r.body);
  EXPECT_FALSE(wrong);
  ReceivedRequest tampered = r;
  tampered.body += " ";
  EXPECT_FALSE(spool::verify_webhook(kSecret, webhook_headers(tampered), tampered.body));

  auto verdicts = verify_with_npm(dir_, {{kSecret, r}, {kNewSecret, r}, {kSecret, tampered}});
  ASSERT_EQ(verdicts.size(), 3u);
  EXPECT_EQ(verdicts[0], "ok");
  EXPECT_EQ(verdicts[1].substr(0, 4), "fail");
  EXPECT_EQ(verdicts[2].substr(0, 4), "fail");

  stop_server(SIGTERM);
}

TEST_F(PushTest, RotationSignsWithOldAndNewSecretsWhileTheOverlapLasts) {
  PushReceiver rx;
  start_server();
  configure("rotating", push_to(rx, {{"secret", kNewSecret}, {"previous_secret", kSecret}}));
  std::string id = enqueue("rotating");
  wait_state(id, "completed");
  ASSERT_EQ(rx.request_count(), 1u);
  ReceivedRequest r = rx.requests()[0];
  std::string sig = r.header("webhook-signature");
  EXPECT_NE(sig.find(' '), std::string::npos) << sig;
  EXPECT_TRUE(spool::verify_webhook(kSecret, webhook_headers(r), r.body));
  EXPECT_TRUE(spool::verify_webhook(kNewSecret, webhook_headers(r), r.body));
  auto verdicts = verify_with_npm(dir_, {{kSecret, r}, {kNewSecret, r}});
  EXPECT_EQ(verdicts, (std::vector<std::string>{"ok", "ok"}));

  // The overlap ends: only the new secret signs.
  configure("rotating", push_to(rx, {{"secret", kNewSecret},
                                     {"previous_secret", kSecret},
                                     {"previous_secret_expires_at", "2020-01-01T00:00:00.000Z"}}));
  std::this_thread::sleep_for(300ms);  // > SPOOL_PUSH_REFRESH_MS: the pusher has re-read it
  std::string id2 = enqueue("rotating");
  wait_state(id2, "completed");
  ASSERT_EQ(rx.request_count(), 2u);
  ReceivedRequest r2 = rx.requests()[1];
  EXPECT_EQ(r2.header("webhook-signature").find(' '), std::string::npos);
  EXPECT_TRUE(spool::verify_webhook(kNewSecret, webhook_headers(r2), r2.body));
  EXPECT_FALSE(spool::verify_webhook(kSecret, webhook_headers(r2), r2.body));
  stop_server(SIGTERM);
}

// One queue per row, so each job meets exactly one scripted answer.
TEST_F(PushTest, ClassifiesEveryKindOfAnswer) {
  start_server({{"SPOOL_PUSH_BREAKER_FAILURES", "1000"}});
  struct Row {
    std::string name;
    ScriptedAnswer answer;
    std::string state;
    std::string kind;               // of last_error; empty for completed
    std::string message_start;      // of last_error
    std::int64_t retry_in_ms = -1;  // -1: the queue's backoff (600 s)
  };
  std::vector<Row> rows = {
      {"ok204", {204, ""}, "completed", "", ""},
      {"r503",
       {503, "down for maintenance", {{"Retry-After", "120"}}},
       "retrying",
       "retry",
       "HTTP 503 from 127.0.0.1 after ",
       120'000},
      {"r429",
       {429, "", {{"Retry-After", http_date(now_unix() + 90)}}},
       "retrying",
       "retry",
       "HTTP 429 from 127.0.0.1",
       90'000},
      {"r408", {408, ""}, "retrying", "retry", "HTTP 408 from 127.0.0.1"},
      {"r425", {425, ""}, "retrying", "retry", "HTTP 425 from 127.0.0.1"},
      {"r500", {500, "boom"}, "retrying", "retry", "HTTP 500 from 127.0.0.1"},
      {"hangup", {200, "", {}, 0ms, true}, "retrying", "retry", "no answer from 127.0.0.1 after "},
      {"slow", {200, "", {}, 3000ms}, "retrying", "retry", "no answer from 127.0.0.1 after "},
      {"p400", {400, "bad field x"}, "dead", "permanent", "HTTP 400 from 127.0.0.1"},
      {"p404", {404, ""}, "dead", "permanent", "HTTP 404 from 127.0.0.1"},
      {"p302",
       {302, "", {{"Location", "http://127.0.0.1:1/elsewhere"}}},
       "dead",
       "permanent",
       "HTTP 302 from 127.0.0.1"},
      {"gone", {410, "unsubscribed"}, "dead", "permanent", "HTTP 410 from 127.0.0.1"},
  };
  std::vector<std::unique_ptr<PushReceiver>> receivers;
  std::vector<std::string> ids;
  for (auto& row : rows) {
    receivers.push_back(std::make_unique<PushReceiver>());
    receivers.back()->script({row.answer});
    receivers.back()->set_default({599, "scripted answers ran out"});
    configure(row.name, push_to(*receivers.back(), {{"timeout_ms", 1000}}));
  }
  for (auto& row : rows) ids.push_back(enqueue(row.name));
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const Row& row = rows[i];
    SCOPED_TRACE(row.name);
    auto j = wait_state(ids[i], row.state);
    EXPECT_EQ(receivers[i]->request_count(), 1u);  // redirects are not followed
    if (row.kind.empty()) continue;
    auto err = j.at("last_error").as_object();
    EXPECT_EQ(str(err.at("kind")), row.kind);
    EXPECT_EQ(str(err.at("message")).substr(0, row.message_start.size()), row.message_start)
        << str(err.at("message"));
    if (row.state == "retrying") {
      std::string at = str(j.at("run_at"));
      auto in_ms = [&] {
        std::tm tm{};
        int ms = 0;
        std::sscanf(at.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                    &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms);
        tm.tm_year -= 1900;
        tm.tm_mon -= 1;
        return (static_cast<std::int64_t>(timegm(&tm)) * 1000 + ms) - now_unix() * 1000;
      }();
      std::int64_t expect = row.retry_in_ms >= 0 ? row.retry_in_ms : 600'000;
      EXPECT_NEAR(static_cast<double>(in_ms), static_cast<double>(expect), 5000.0) << at;
    }
  }
  // The body's first bytes are in the message.
  auto r503 = job(ids[1]).at("last_error").at("message");
  EXPECT_NE(str(r503).find(": down for maintenance"), std::string::npos) << r503;
  EXPECT_NE(str(job(ids[10]).at("last_error").at("message")).find("redirects are not followed"),
            std::string::npos);

  // 410: the queue is paused and readiness says why; the next job waits.
  EXPECT_TRUE(eventually(
      [&] { return http_->request("GET", "/v1/queues/gone").json().at("paused").as_bool(); }));
  ASSERT_TRUE(eventually([&] {
    auto r = readyz();
    return r.at("push").as_object().contains("gone") &&
           str(r.at("push").at("gone").at("state")) == "gone";
  }));
  auto ready = readyz();
  EXPECT_EQ(str(ready.at("status")), "ok");
  bool warned = false;
  for (const auto& w : ready.at("warnings").as_array()) {
    warned |= str(w.at("code")) == "push_gone";
  }
  EXPECT_TRUE(warned) << json::serialize(ready);
  std::string later = enqueue("gone");
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(str(job(later).at("state")), "queued");
  EXPECT_EQ(receivers.back()->request_count(), 1u);
  // Resuming the queue resumes its push.
  receivers.back()->set_default({200, ""});
  ASSERT_EQ(http_->request("POST", "/v1/queues/gone/resume").status, 200);
  wait_state(later, "completed");
  stop_server(SIGTERM);
}

TEST_F(PushTest, ConnectionRefusedIsATransportErrorThatRetries) {
  std::string url;
  {
    PushReceiver gone_soon;
    url = gone_soon.url();
  }  // closed: nothing listens on its port now
  start_server();
  configure("refused", json::object{{"url", url}, {"secret", kSecret}, {"timeout_ms", 1000}});
  std::string id = enqueue("refused");
  auto j = wait_state(id, "retrying");
  std::string msg = str(j.at("last_error").at("message"));
  EXPECT_EQ(msg.substr(0, 23), "no answer from 127.0.0.") << msg;
  EXPECT_NE(msg.find("refused"), std::string::npos) << msg;
  stop_server(SIGTERM);
}

TEST_F(PushTest, HttpsWithThePrivateCaDeliversAndAnUnknownCaIsATlsError) {
  TestPki pki = make_test_pki(dir_.path());
  PushReceiver rx(PushReceiver::Options{&pki});
  start_server();
  configure("tls", push_to(rx, {{"ca_file", pki.ca_file}}));
  std::string id = enqueue("tls");
  wait_state(id, "completed");
  ASSERT_EQ(rx.request_count(), 1u);
  EXPECT_TRUE(
      spool::verify_webhook(kSecret, webhook_headers(rx.requests()[0]), rx.requests()[0].body));

  configure("untrusted", push_to(rx));  // the system CA store does not know our test CA
  std::string id2 = enqueue("untrusted");
  auto j = wait_state(id2, "retrying");
  std::string msg = str(j.at("last_error").at("message"));
  EXPECT_NE(msg.find("TLS handshake with localhost"), std::string::npos) << msg;
  EXPECT_NE(msg.find("certificate verify failed"), std::string::npos) << msg;
  EXPECT_EQ(rx.request_count(), 1u);
  stop_server(SIGTERM);
}

TEST_F(PushTest, KeepAliveReusesConnections) {
  PushReceiver rx;
  start_server();
  configure("reuse", push_to(rx, {{"concurrency", 1}}));
  std::vector<std::string> ids;
  for (int i = 0; i < 20; ++i) ids.push_back(enqueue("reuse"));
  for (const auto& id : ids) wait_state(id, "completed");
  EXPECT_EQ(rx.request_count(), 20u);
  EXPECT_EQ(rx.connections(), 1u);
  stop_server(SIGTERM);
}

TEST_F(PushTest, ConcurrencyCapsDeliveriesInFlight) {
  PushReceiver rx;
  rx.set_default({200, "", {}, 400ms});
  start_server();
  configure("capped", push_to(rx, {{"concurrency", 3}}));
  std::vector<std::string> ids;
  for (int i = 0; i < 9; ++i) ids.push_back(enqueue("capped"));
  ASSERT_TRUE(rx.wait_for_requests(3));
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(rx.request_count(), 3u);  // the other six wait for a slot
  for (const auto& id : ids) wait_state(id, "completed");
  EXPECT_LE(rx.connections(), 3u);
  stop_server(SIGTERM);
}

TEST_F(PushTest, ConfigChangeAtRuntimeMovesDeliveriesToTheNewUrl) {
  PushReceiver first, second;
  start_server();
  configure("moving", push_to(first));
  wait_state(enqueue("moving"), "completed");
  configure("moving", push_to(second));
  std::this_thread::sleep_for(300ms);
  wait_state(enqueue("moving"), "completed");
  EXPECT_EQ(first.request_count(), 1u);
  EXPECT_EQ(second.request_count(), 1u);
  stop_server(SIGTERM);
}

TEST_F(PushTest, PatchWithPushNullStopsPushingAndLeavesJobsToPullWorkers) {
  PushReceiver rx;
  start_server();
  configure("unpushed", push_to(rx));
  wait_state(enqueue("unpushed"), "completed");
  ASSERT_TRUE(eventually([&] { return readyz().at("push").as_object().contains("unpushed"); }));

  auto r = http_->request("PATCH", "/v1/queues/unpushed", R"({"push":null})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(r.json().at("config").at("push").is_null()) << r.body;
  EXPECT_EQ(r.json().at("config").at("max_attempts").as_int64(), 5) << "other keys stay";
  EXPECT_TRUE(
      http_->request("GET", "/v1/queues/unpushed").json().at("config").at("push").is_null());
  // The pusher lets go of the queue at its next refresh: readiness no longer lists it.
  ASSERT_TRUE(eventually([&] { return !readyz().at("push").as_object().contains("unpushed"); }));

  // A job enqueued now waits for a pull worker, which gets it.
  std::string id = enqueue("unpushed");
  auto reserved =
      http_->request("POST", "/v1/reserve", R"({"queues":["unpushed"],"wait_ms":5000})");
  ASSERT_EQ(reserved.status, 200) << reserved.body;
  auto jobs = reserved.json().at("jobs").as_array();
  ASSERT_EQ(jobs.size(), 1u) << reserved.body;
  EXPECT_EQ(str(jobs[0].at("id")), id);
  EXPECT_EQ(rx.request_count(), 1u);

  // Removing it again is a no-op; setting it again resumes pushing.
  EXPECT_EQ(http_->request("PATCH", "/v1/queues/unpushed", R"({"push":null})").status, 200);
  configure("unpushed", push_to(rx));
  wait_state(enqueue("unpushed"), "completed");
  EXPECT_EQ(rx.request_count(), 2u);
  stop_server(SIGTERM);
}

TEST_F(PushTest, JobsReservedAheadAreReleasedUnspentWhenPushIsRemoved) {
  PushReceiver rx;
  rx.set_default({200, "", {}, 1500ms});
  start_server();
  // Concurrency 1: one delivery in flight, one more job reserved ahead of the free slot.
  configure("ahead", push_to(rx, {{"concurrency", 1}}));
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(enqueue("ahead"));
  ASSERT_TRUE(rx.wait_for_requests(1));
  std::string sent = rx.requests().at(0).header("webhook-id");
  int active = 0;  // reserved with the one sent, so already active when it arrives
  for (const auto& id : ids) active += str(job(id).at("state")) == "active";
  EXPECT_EQ(active, 2);

  auto r = http_->request("PATCH", "/v1/queues/ahead", R"({"push":null})");
  ASSERT_EQ(r.status, 200) << r.body;
  // The delivery in flight finishes and is acked; the others are queued again, attempt unspent.
  for (const auto& id : ids) {
    if (id == sent) continue;
    auto j = wait_state(id, "queued");
    EXPECT_EQ(j.at("attempts").as_int64(), 0) << json::serialize(j);
  }
  wait_state(sent, "completed");
  EXPECT_EQ(rx.request_count(), 1u);
  stop_server(SIGTERM);
}

TEST_F(PushTest, BreakerOpensWaitsWithoutSpendingAttemptsThenHalfOpenProbeCloses) {
  PushReceiver rx;
  rx.set_default({500, "sick"});
  start_server({{"SPOOL_PUSH_BREAKER_FAILURES", "3"}, {"SPOOL_PUSH_BREAKER_OPEN_MS", "3000"}});
  // Each job may try 10 times, backoff 600 s: each job is sent once until the breaker opens.
  configure("flaky", push_to(rx, {{"concurrency", 1}}), 10);
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(enqueue("flaky"));
  for (const auto& id : ids) wait_state(id, "retrying");
  std::string target = "127.0.0.1:" + std::to_string(rx.port());
  ASSERT_TRUE(eventually([&] {
    auto b = readyz().at("breakers").as_object();
    return b.contains(target) && str(b.at(target).at("state")) == "open";
  })) << json::serialize(readyz());
  auto metrics = http_->request("GET", "/metrics").body;
  EXPECT_NE(metrics.find("spool_breaker_open{target=\"" + target + "\"} 1"), std::string::npos);
  auto q = http_->request("GET", "/v1/queues/flaky").json();
  EXPECT_EQ(str(q.at("push_status").at("state")), "breaker_open") << q;
  EXPECT_EQ(str(q.at("push_status").at("breaker").at("state")), "open") << q;

  // While open, a new job waits queued: no request, no attempt.
  rx.set_default({200, ""});
  std::size_t sent = rx.request_count();
  std::string waiting = enqueue("flaky");
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(rx.request_count(), sent);
  auto w = job(waiting);
  EXPECT_EQ(str(w.at("state")), "queued");
  EXPECT_EQ(w.at("attempts").as_int64(), 0);

  // After open_ms one probe goes; it succeeds, the breaker closes, the rest flows.
  wait_state(waiting, "completed", 10s);
  ASSERT_TRUE(
      eventually([&] { return str(readyz().at("breakers").at(target).at("state")) == "closed"; }));
  metrics = http_->request("GET", "/metrics").body;
  EXPECT_NE(metrics.find("spool_breaker_open{target=\"" + target + "\"} 0"), std::string::npos);
  stop_server(SIGTERM);
}

TEST_F(PushTest, FailedProbeReopensTheBreaker) {
  PushReceiver rx;
  rx.set_default({503, ""});
  start_server({{"SPOOL_PUSH_BREAKER_FAILURES", "2"}, {"SPOOL_PUSH_BREAKER_OPEN_MS", "800"}});
  configure("down", push_to(rx), 10);
  enqueue("down");
  enqueue("down");
  std::string target = "127.0.0.1:" + std::to_string(rx.port());
  ASSERT_TRUE(eventually([&] {
    return rx.request_count() >= 2 && readyz().at("breakers").as_object().contains(target);
  }));
  enqueue("down");
  // The probe (the third job) fails: the breaker opens again, for twice as long.
  ASSERT_TRUE(rx.wait_for_requests(3, 10s));
  ASSERT_TRUE(eventually([&] {
    auto b = readyz().at("breakers").at(target);
    return str(b.at("state")) == "open" && b.at("retry_in_ms").as_int64() > 800;
  })) << json::serialize(readyz());
  stop_server(SIGTERM);
}

// SIGTERM while every delivery hangs: stop() waits its grace, cuts them off, releases the jobs;
// after the restart each is delivered again with the same webhook-id, none is lost.
TEST_F(PushTest, RestartDuringInFlightDeliveriesLosesNothing) {
  PushReceiver rx;
  rx.set_default({200, "", {}, 10s});
  start_server({{"SPOOL_PUSH_STOP_GRACE_MS", "300"}});
  configure("inflight", push_to(rx, {{"timeout_ms", 30000}, {"concurrency", 8}}));
  std::set<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.insert(enqueue("inflight"));
  ASSERT_TRUE(rx.wait_for_requests(5));
  auto t0 = SteadyClock::now();
  stop_server(SIGTERM);
  EXPECT_LT(SteadyClock::now() - t0, 5s);

  rx.set_default({200, ""});
  start_server();
  for (const auto& id : ids) {
    auto j = wait_state(id, "completed");
    EXPECT_EQ(j.at("attempts").as_int64(), 1) << "a released delivery gives its attempt back";
  }
  std::map<std::string, int> seen;
  for (const auto& r : rx.requests()) ++seen[r.header("webhook-id")];
  EXPECT_EQ(seen.size(), ids.size());
  for (const auto& [id, n] : seen) {
    EXPECT_TRUE(ids.count(id)) << id;
    EXPECT_EQ(n, 2) << id;  // in flight at the stop: sent twice, same webhook-id
  }
  stop_server(SIGTERM);
}

// SIGKILL mid-delivery: the leases run out (timeout_ms + 10 s) and the jobs go again.
TEST_F(PushTest, KilledServerRedeliversInFlightJobsAfterTheirLeasesExpire) {
  PushReceiver rx;
  rx.set_default({200, "", {}, 10s});
  start_server();
  configure("killed", push_to(rx, {{"timeout_ms", 1000}}), 5, 100);
  std::string id = enqueue("killed");
  std::string done_before = enqueue("killed");
  ASSERT_TRUE(rx.wait_for_requests(2));
  stop_server(SIGKILL);
  rx.set_default({200, ""});
  start_server();
  wait_state(id, "completed", 30s);
  wait_state(done_before, "completed", 30s);
  std::map<std::string, int> seen;
  for (const auto& r : rx.requests()) ++seen[r.header("webhook-id")];
  EXPECT_EQ(seen[id], 2);
  EXPECT_EQ(seen[done_before], 2);
  stop_server(SIGTERM);
}

TEST_F(PushTest, SecretIsGeneratedWhenNotGivenAndShownOnlyOnce) {
  PushReceiver rx;
  start_server();
  auto r = http_->request("PATCH", "/v1/queues/gen", R"({"push":{"url":")" + rx.url() + R"("}})");
  ASSERT_EQ(r.status, 200) << r.body;
  std::string secret = str(r.json().at("generated_secret"));
  ASSERT_EQ(secret.substr(0, 6), "whsec_");
  EXPECT_EQ(secret.size(), 6u + 44u);  // base64 of 32 bytes
  EXPECT_EQ(str(r.json().at("config").at("push").at("secret")), "whsec_...(redacted)");
  std::string get = http_->request("GET", "/v1/queues/gen").body;
  EXPECT_EQ(get.find(secret.substr(6)), std::string::npos) << get;
  EXPECT_EQ(get.find("generated_secret"), std::string::npos) << get;
  std::string id = enqueue("gen");
  wait_state(id, "completed");
  ASSERT_EQ(rx.request_count(), 1u);
  EXPECT_TRUE(
      spool::verify_webhook(secret, webhook_headers(rx.requests()[0]), rx.requests()[0].body));
  EXPECT_EQ(server_->log().find(secret.substr(6)), std::string::npos);
  // A secret that is given is kept, and not echoed.
  auto given =
      http_->request("PATCH", "/v1/queues/gen",
                     R"({"push":{"url":")" + rx.url() + R"(","secret":")" + kSecret + R"("}})");
  EXPECT_FALSE(given.json().as_object().contains("generated_secret"));
  stop_server(SIGTERM);
}

TEST_F(PushTest, InvalidPushConfigIsReportedNotDelivered) {
  start_server();
  json::object bad{{"url", "http://127.0.0.1:1/x"},
                   {"secret", kSecret},
                   {"headers", json::object{{"webhook-id", "forged"}}}};
  configure("broken", bad);
  std::string id = enqueue("broken");
  ASSERT_TRUE(eventually([&] {
    auto p = readyz().at("push").as_object();
    return p.contains("broken") && str(p.at("broken").at("state")) == "invalid_config";
  }));
  EXPECT_NE(str(readyz().at("push").at("broken").at("message")).find("webhook-"),
            std::string::npos);
  EXPECT_EQ(str(job(id).at("state")), "queued");
  stop_server(SIGTERM);
}

TEST_F(PushTest, SecretsNeverReachTheLogOrTheQueuesReaders) {
  PushReceiver rx;
  rx.set_default({500, "x"});
  start_server();
  configure("quiet", push_to(rx, {{"secret", kNewSecret}, {"previous_secret", kSecret}}));
  std::string id = enqueue("quiet");
  wait_state(id, "retrying");
  for (const char* path : {"/v1/queues/quiet", "/v1/queues"}) {
    std::string body = http_->request("GET", path).body;
    EXPECT_EQ(body.find(std::string(kSecret).substr(6)), std::string::npos) << body;
    EXPECT_EQ(body.find(std::string(kNewSecret).substr(6)), std::string::npos) << body;
    EXPECT_NE(body.find("whsec_...(redacted)"), std::string::npos) << body;
  }
  std::string log = server_->log();
  EXPECT_NE(log.find("event=push_delivery"), std::string::npos);
  EXPECT_EQ(log.find(std::string(kSecret).substr(6)), std::string::npos);
  EXPECT_EQ(log.find(std::string(kNewSecret).substr(6)), std::string::npos);
  stop_server(SIGTERM);
}

}  // namespace
}  // namespace spool::testing

namespace spool::testing {
namespace {

std::string run_capture(const std::string& cmd, int* status) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  char buf[512];
  while (p && std::fgets(buf, sizeof buf, p)) out += buf;
  int rc = p ? ::pclose(p) : -1;
  *status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

// The spec's published vector, signed by the npm package: the same string our signer and
// verifier are tested against (src/push/push_parts_test.cpp, src/client/webhook_test.cpp).
TEST(WebhookCrossCheckTest, NpmPackageSignsTheSpecVectorAsWeDo) {
  std::string js_dir = SPOOL_WEBHOOKS_JS_DIR;
  int status = 0;
  std::string sig =
      run_capture("cd " + js_dir +
                      " && node -e 'const {Webhook}=require(\"standardwebhooks\"); console.log(new "
                      "Webhook(\"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\").sign(\"msg_"
                      "p5jXN8AQM9LWM0D4loKWxJek\", "
                      "new Date(1614265330 * 1000), \"{\\\"test\\\": 2432232314}\"))'",
                  &status);
  ASSERT_EQ(status, 0) << sig << " (run scripts/install-webhooks-js.sh?)";
  EXPECT_EQ(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  auto ours =
      spool::sign_webhook("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
                          1614265330, R"({"test": 2432232314})");
  ASSERT_TRUE(ours);
  EXPECT_EQ(*ours, sig);
}

// `spool verify-webhook` accepts what the npm package signs now, and refuses a changed body.
TEST(WebhookCrossCheckTest, CliVerifiesWhatTheNpmPackageSigns) {
  TempDir dir;
  std::string js_dir = SPOOL_WEBHOOKS_JS_DIR;
  std::int64_t ts = now_unix();
  int status = 0;
  std::string sig =
      run_capture("cd " + js_dir +
                      " && node -e 'const {Webhook}=require(\"standardwebhooks\"); console.log(new "
                      "Webhook(\"" +
                      std::string(kNewSecret) + "\").sign(\"01JDTEST\", new Date(" +
                      std::to_string(ts) + " * 1000), \"{\\\"a\\\":1}\"))'",
                  &status);
  ASSERT_EQ(status, 0) << sig;
  std::ofstream(dir.file("good.json")) << R"({"a":1})";
  std::ofstream(dir.file("bad.json")) << R"({"a":2})";
  std::string base = "SPOOL_WEBHOOK_SECRET='" + std::string(kNewSecret) + "' " + spool_binary() +
                     " verify-webhook --id 01JDTEST --timestamp " + std::to_string(ts) +
                     " --signature '" + sig + "' --body ";
  std::string out = run_capture(base + dir.file("good.json") + " 2>&1", &status);
  EXPECT_EQ(status, 0) << out;
  EXPECT_EQ(out, "valid");
  out = run_capture(base + dir.file("bad.json") + " 2>&1", &status);
  EXPECT_EQ(status, 1) << out;
  EXPECT_NE(out.find("invalid_signature"), std::string::npos) << out;
  out = run_capture("SPOOL_WEBHOOK_SECRET= " + spool_binary() + " verify-webhook --body " +
                        dir.file("good.json") + " 2>&1",
                    &status);
  EXPECT_EQ(status, 2) << out;
}

}  // namespace
}  // namespace spool::testing
