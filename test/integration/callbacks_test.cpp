// Completion callbacks against a real `spool serve` and a real local HTTP receiver
// (support/push_receiver.hpp): a completed and a dead job's final view arrive signed (checked by
// spool::verify_webhook and by the npm standardwebhooks package), a 503 is retried, a server
// killed before the callback was delivered delivers it after the restart, a callback_url off
// the allow list is refused at enqueue, and the SSRF guard refuses a host that resolves to
// loopback (localhost, 2130706433, ::ffff:127.0.0.1) unless the allow list names it. Every wait
// has a deadline.
#include <gtest/gtest.h>
#include <signal.h>

#include <boost/json.hpp>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
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

std::string str(const json::value& v) { return std::string(v.as_string()); }

class CallbackTest : public ::testing::Test {
 protected:
  // `allow` as TOML array items; empty: no [callbacks] table at all.
  void start_server(const std::string& allow, int max_attempts = 4) {
    std::vector<std::string> args;
    if (!allow.empty()) {
      std::string path = dir_.file("spool.toml");
      std::ofstream(path) << "[callbacks]\nallow = [" << allow << "]\nsecret = \"" << kSecret
                          << "\"\nbackoff_base_ms = 100\nbackoff_max_ms = 200\n"
                             "timeout_ms = 2000\nmax_attempts = "
                          << max_attempts << "\n";
      args = {"--config", path};
    }
    server_ = std::make_unique<ServerProcess>(ServerProcess::Options{dir_.file("data"), args, {}});
    http_ = std::make_unique<HttpConnection>("127.0.0.1", server_->port());
  }
  void restart(const std::string& allow, int signo, int max_attempts = 4) {
    http_.reset();
    server_->signal_and_wait(signo);
    server_.reset();
    start_server(allow, max_attempts);
  }
  std::string quoted(const std::string& s) { return "\"" + s + "\""; }

  HttpResponse enqueue_raw(const std::string& callback_url) {
    return http_->request("POST", "/v1/jobs",
                          R"({"type":"notify","queue":"cb","payload":{"n":1},"max_attempts":1,)"
                          R"("callback_url":")" +
                              callback_url + "\"}");
  }
  std::string enqueue(const std::string& callback_url) {
    auto r = enqueue_raw(callback_url);
    EXPECT_EQ(r.status, 202) << r.body;
    return r.status == 202 ? str(r.json().at("id")) : "";
  }
  // Reserves the job as a worker would, then acks it or fails it for good.
  void finish(const std::string& id, bool ok) {
    auto r = http_->request("POST", "/v1/reserve", R"({"queues":["cb"],"max":1})");
    ASSERT_EQ(r.status, 200) << r.body;
    json::value answer = r.json();
    const auto& jobs = answer.at("jobs").as_array();
    ASSERT_EQ(jobs.size(), 1u) << r.body;
    ASSERT_EQ(str(jobs[0].at("id")), id);
    std::string lease = str(jobs[0].at("lease"));
    auto s = ok ? http_->request("POST", "/v1/jobs/" + id + "/ack",
                                 R"({"lease":")" + lease + R"(","result":{"sent":true}})")
                : http_->request("POST", "/v1/jobs/" + id + "/fail",
                                 R"({"lease":")" + lease +
                                     R"(","error":{"message":"mailbox full","kind":"permanent"}})");
    ASSERT_EQ(s.status, 200) << s.body;
  }
  json::object job(const std::string& id) {
    auto r = http_->request("GET", "/v1/jobs/" + id);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json().as_object();
  }
  // Waits for the job's callback.state; answers the last job view seen.
  json::object wait_callback(const std::string& id, const std::string& state,
                             std::chrono::milliseconds limit = 20s) {
    json::object last;
    bool ok = eventually(
        [&] {
          last = job(id);
          const auto& c = last.at("callback");
          return c.is_object() && str(c.at("state")) == state;
        },
        limit);
    EXPECT_TRUE(ok) << "callback of " << id << " never became " << state << ": "
                    << json::serialize(last);
    return last;
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<HttpConnection> http_;
};

TEST_F(CallbackTest, ACompletedJobsFinalViewArrivesSigned) {
  PushReceiver rx;
  start_server(quoted("http://127.0.0.1:" + std::to_string(rx.port()) + "/"));
  std::string id = enqueue(rx.url("/done?tenant=7"));
  EXPECT_EQ(str(job(id).at("callback_url")), rx.url("/done?tenant=7"));
  EXPECT_TRUE(job(id).at("callback").is_null());
  finish(id, true);
  ASSERT_TRUE(rx.wait_for_requests(1));
  ReceivedRequest r = rx.requests().at(0);
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.target, "/done?tenant=7");
  EXPECT_EQ(r.header("content-type"), "application/json");
  EXPECT_EQ(r.header("webhook-id").rfind(id + ":", 0), 0u) << r.header("webhook-id");
  auto verified = spool::verify_webhook(kSecret, webhook_headers(r), r.body);
  EXPECT_TRUE(verified) << verified.error().message;
  EXPECT_EQ(verify_with_npm(dir_, {{kSecret, r}}), std::vector<std::string>{"ok"});
  json::object body = json::parse(r.body).as_object();
  EXPECT_EQ(str(body.at("id")), id);
  EXPECT_EQ(str(body.at("state")), "completed");
  EXPECT_EQ(body.at("result"), json::parse(R"({"sent":true})"));
  EXPECT_EQ(body.at("payload"), json::parse(R"({"n":1})"));
  json::object after = wait_callback(id, "delivered");
  EXPECT_EQ(after.at("callback").at("attempts").as_int64(), 1);
  EXPECT_TRUE(after.at("callback").at("last_error").is_null());
}

TEST_F(CallbackTest, ADeadJobsFinalViewArrivesSigned) {
  PushReceiver rx;
  start_server(quoted("http://127.0.0.1:" + std::to_string(rx.port()) + "/"));
  std::string id = enqueue(rx.url("/dead"));
  finish(id, false);
  ASSERT_TRUE(rx.wait_for_requests(1));
  ReceivedRequest r = rx.requests().at(0);
  EXPECT_TRUE(spool::verify_webhook(kSecret, webhook_headers(r), r.body));
  json::object body = json::parse(r.body).as_object();
  EXPECT_EQ(str(body.at("state")), "dead");
  EXPECT_EQ(str(body.at("last_error").at("message")), "mailbox full");
  wait_callback(id, "delivered");
}

TEST_F(CallbackTest, A503IsRetriedWithTheSameWebhookId) {
  PushReceiver rx;
  rx.script({ScriptedAnswer{503, "busy"}});
  start_server(quoted("http://127.0.0.1:" + std::to_string(rx.port()) + "/"));
  std::string id = enqueue(rx.url("/retry"));
  finish(id, true);
  json::object after = wait_callback(id, "delivered");
  EXPECT_EQ(after.at("callback").at("attempts").as_int64(), 2);
  auto requests = rx.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].header("webhook-id"), requests[1].header("webhook-id"));
  EXPECT_TRUE(spool::verify_webhook(kSecret, webhook_headers(requests[1]), requests[1].body));
}

TEST_F(CallbackTest, AttemptsSpentGiveUpAndSayWhy) {
  PushReceiver rx;
  rx.set_default(ScriptedAnswer{500, "down"});
  start_server(quoted("http://127.0.0.1:" + std::to_string(rx.port()) + "/"));
  std::string id = enqueue(rx.url("/down"));
  finish(id, true);
  json::object after = wait_callback(id, "failed");
  EXPECT_EQ(after.at("callback").at("attempts").as_int64(), 4);
  std::string why = str(after.at("callback").at("last_error"));
  EXPECT_NE(why.find("gave up after 4 attempts"), std::string::npos) << why;
  EXPECT_NE(why.find("HTTP 500"), std::string::npos) << why;
  EXPECT_EQ(rx.request_count(), 4u);
}

TEST_F(CallbackTest, AnotherClientErrorIsPermanent) {
  PushReceiver rx;
  rx.set_default(ScriptedAnswer{404, "no such hook"});
  start_server(quoted("http://127.0.0.1:" + std::to_string(rx.port()) + "/"));
  std::string id = enqueue(rx.url("/gone"));
  finish(id, true);
  json::object after = wait_callback(id, "failed");
  EXPECT_EQ(after.at("callback").at("attempts").as_int64(), 1);
  EXPECT_NE(str(after.at("callback").at("last_error")).find("HTTP 404"), std::string::npos);
}

TEST_F(CallbackTest, AServerKilledBeforeTheCallbackWasDeliveredDeliversItAfterRestart) {
  PushReceiver rx;
  rx.set_default(ScriptedAnswer{503, "not yet"});
  std::string allow = quoted("http://127.0.0.1:" + std::to_string(rx.port()) + "/");
  start_server(allow, 100);  // attempts never run out before the kill
  std::string id = enqueue(rx.url("/crash"));
  finish(id, true);
  ASSERT_TRUE(rx.wait_for_requests(1));  // armed and tried, not delivered
  EXPECT_EQ(str(job(id).at("callback").at("state")), "pending");
  restart(allow, SIGKILL, 100);
  rx.set_default(ScriptedAnswer{200, ""});
  json::object after = wait_callback(id, "delivered");
  auto requests = rx.requests();
  ASSERT_GE(requests.size(), 2u);
  EXPECT_EQ(requests.front().header("webhook-id"), requests.back().header("webhook-id"));
  EXPECT_TRUE(
      spool::verify_webhook(kSecret, webhook_headers(requests.back()), requests.back().body));
}

TEST_F(CallbackTest, ACallbackUrlOffTheAllowListIsRefusedAtEnqueue) {
  start_server(quoted("https://hooks.example.com/spool/"));
  auto r = enqueue_raw("https://evil.example.net/spool/x");
  ASSERT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(str(r.json().at("error").at("field")), "callback_url");
  std::string message = str(r.json().at("error").at("message"));
  EXPECT_NE(message.find("https://hooks.example.com/spool/"), std::string::npos) << message;

  EXPECT_EQ(enqueue_raw("ftp://hooks.example.com/spool/").status, 400);
  EXPECT_EQ(enqueue_raw("https://user:pw@hooks.example.com/spool/").status, 400);
  EXPECT_EQ(enqueue_raw("https://hooks.example.com/spool/x").status, 202);

  auto batch = http_->request(
      "POST", "/v1/jobs/batch",
      R"({"jobs":[{"type":"a","payload":1,"callback_url":"https://hooks.example.com/spool/1"},)"
      R"({"type":"a","payload":2,"callback_url":"https://hooks.example.com/other"}]})");
  ASSERT_EQ(batch.status, 400) << batch.body;
  EXPECT_EQ(str(batch.json().at("error").at("field")), "jobs[1].callback_url");
}

TEST_F(CallbackTest, WithoutAnAllowListCallbacksAreOff) {
  start_server("");
  auto r = enqueue_raw("https://hooks.example.com/x");
  ASSERT_EQ(r.status, 400) << r.body;
  EXPECT_NE(str(r.json().at("error").at("message")).find("callbacks are off"), std::string::npos)
      << r.body;
}

TEST_F(CallbackTest, ANameThatResolvesToLoopbackIsRefusedUnlessTheAllowListNamesIt) {
  PushReceiver rx;
  std::string port = std::to_string(rx.port());
  // Allowed by prefix ("any http URL"), so the deny list applies.
  start_server(quoted("http://"));
  std::string by_name = enqueue("http://localhost:" + port + "/cb");
  std::string decimal = enqueue("http://2130706433:" + port + "/cb");
  std::string mapped = enqueue("http://[::ffff:127.0.0.1]:" + port + "/cb");
  for (const auto& id : {by_name, decimal, mapped}) finish(id, true);
  for (const auto& id : {by_name, decimal, mapped}) {
    json::object after = wait_callback(id, "failed");
    std::string why = str(after.at("callback").at("last_error"));
    EXPECT_NE(why.find("loopback"), std::string::npos) << why;
  }
  EXPECT_NE(str(job(by_name).at("callback").at("last_error")).find("localhost resolves to"),
            std::string::npos);
  EXPECT_EQ(rx.request_count(), 0u);

  // Named explicitly: exempt from the deny list.
  restart(quoted("http://localhost:" + port + "/"), SIGTERM);
  std::string named = enqueue("http://localhost:" + port + "/cb");
  finish(named, true);
  wait_callback(named, "delivered");
  ASSERT_EQ(rx.request_count(), 1u);
  EXPECT_EQ(rx.requests().at(0).header("host"), "localhost:" + port);
}

}  // namespace
}  // namespace spool::testing
