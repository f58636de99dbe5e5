// The server's log, read as an operator would: every line of --log-format json is a JSON object,
// request lines carry the request id that the x-request-id header answers, and no token,
// Authorization header or payload shows up, whatever the requests did. (Every other server of
// the integration suite is scanned for tokens too, when it stops: support/server_process.hpp.)
#include <gtest/gtest.h>
#include <signal.h>

#include <boost/json.hpp>
#include <fstream>
#include <set>
#include <sstream>

#include "support/http.hpp"
#include "support/secrets.hpp"
#include "support/server_process.hpp"
#include "support/temp_dir.hpp"

namespace spool::testing {
namespace {

namespace json = boost::json;

constexpr const char* kAdmin = "logs-admin-token-5b1f";
constexpr const char* kProducer = "logs-producer-token-9c2e";
constexpr const char* kWorker = "logs-worker-token-0d7a";
constexpr const char* kReader = "logs-reader-token-44e1";
constexpr const char* kPayloadMarker = "payload-marker-7f3c";

class LogsTest : public ::testing::Test {
 protected:
  void start(std::vector<std::string> args, const std::string& data = "data") {
    std::ofstream(dir_.file("spool.toml"))
        << "[[tokens]]\ntoken = \"" << kProducer << "\"\nroles = [\"producer\"]\n\n"
        << "[[tokens]]\ntoken = \"" << kWorker << "\"\nroles = [\"worker\"]\n\n"
        << "[[tokens]]\ntoken = \"" << kReader << "\"\nroles = [\"reader\"]\n";
    args.insert(args.end(), {"--config", dir_.file("spool.toml"), "--log-level", "debug"});
    server_ = std::make_unique<ServerProcess>(
        ServerProcess::Options{dir_.file(data), std::move(args), {{"SPOOL_TOKEN", kAdmin}}});
  }

  HttpConnection connect(const std::string& token) {
    HttpConnection c("127.0.0.1", server_->port());
    if (!token.empty()) c.set_token(token);
    return c;
  }

  // Every kind of request, right and wrong, with every role: what a day of traffic logs.
  void exercise() {
    auto producer = connect(kProducer);
    std::string body = std::string(R"({"type":"log_test","payload":{"secret":")") + kPayloadMarker +
                       R"("},"max_attempts":2})";
    auto created = producer.request("POST", "/v1/jobs", body);
    ASSERT_EQ(created.status, 202) << created.body;
    std::string id(created.json().at("id").as_string());
    EXPECT_EQ(
        producer.request("POST", "/v1/jobs", "{not json " + std::string(kPayloadMarker)).status,
        400);
    EXPECT_EQ(producer.request("POST", "/v1/reserve", R"({"queues":["log_test"]})").status, 403);

    auto worker = connect(kWorker);
    auto reserved = worker.request("POST", "/v1/reserve", R"({"queues":["log_test"]})");
    ASSERT_EQ(reserved.status, 200) << reserved.body;
    std::string lease(reserved.json().at("jobs").at(0).at("lease").as_string());
    EXPECT_EQ(worker
                  .request("POST", "/v1/jobs/" + id + "/fail",
                           R"({"lease":")" + lease + R"(","error":{"message":")" + kPayloadMarker +
                               R"(","kind":"permanent"}})")
                  .status,
              200);
    EXPECT_EQ(
        worker.request("POST", "/v1/jobs/" + id + "/ack", R"({"lease":")" + lease + R"("})").status,
        409);

    auto reader = connect(kReader);
    EXPECT_EQ(reader.request("GET", "/v1/jobs/" + id).status, 200);
    EXPECT_EQ(reader.request("GET", "/v1/stats").status, 200);
    EXPECT_EQ(reader.request("DELETE", "/v1/jobs/" + id).status, 403);
    // A token where it does not belong: in the query string. The path is logged without it, and
    // the 400 for the unknown parameter names the parameter, never its value.
    EXPECT_EQ(reader.request("GET", std::string("/v1/jobs?access_token=") + kReader).status, 400);

    auto admin = connect(kAdmin);
    EXPECT_EQ(admin.request("POST", "/v1/jobs/" + id + "/retry").status, 200);
    EXPECT_EQ(admin.request("GET", "/v1/nowhere").status, 404);

    auto wrong = connect("logs-wrong-token-1234");
    EXPECT_EQ(wrong.request("GET", "/v1/stats").status, 401);
    auto anonymous = connect("");
    EXPECT_EQ(anonymous.request("GET", "/v1/stats").status, 401);
    // A malformed Authorization header, sent by hand.
    auto raw = connect("");
    raw.send_raw(
        "GET /v1/stats HTTP/1.1\r\nHost: x\r\nAuthorization: Basic logs-basic-cred-77\r\n\r\n");
    register_secret("logs-basic-cred-77");
    EXPECT_EQ(raw.read_response().status, 401);
  }

  std::vector<std::string> log_lines() {
    std::vector<std::string> lines;
    std::istringstream in(server_->log());
    std::string line;
    while (std::getline(in, line)) lines.push_back(line);
    return lines;
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(LogsTest, NoTokenAuthorizationHeaderOrPayloadReachesTheLog) {
  for (const char* format : {"text", "json"}) {
    SCOPED_TRACE(format);
    std::string data = std::string("data-") + format;
    start({"--log-format", format}, data);
    exercise();
    server_.reset();  // stops it, flushing its log; its own scan runs too
    std::ifstream in(dir_.file(data) + ".log");
    std::stringstream log;
    log << in.rdbuf();
    EXPECT_NE(log.str().find("/v1/reserve"), std::string::npos) << "debug lines were logged";
    EXPECT_EQ(secret_leaks(log.str(), {kAdmin, kProducer, kWorker, kReader, "logs-wrong-token-1234",
                                       "logs-basic-cred-77", kPayloadMarker}),
              "");
  }
}

TEST_F(LogsTest, JsonLinesParseAndRequestsCarryTheirId) {
  start({"--log-format", "json"});
  exercise();
  auto c = connect(kReader);
  auto r = c.request("GET", "/v1/stats");
  std::string generated = r.header("x-request-id");
  EXPECT_FALSE(generated.empty());
  // A request's line is written after its answer: stop the server so every line is in.
  EXPECT_EQ(server_->signal_and_wait(SIGTERM), 0);
  auto lines = log_lines();
  ASSERT_FALSE(lines.empty());
  int requests = 0;
  bool found_generated = false;
  for (const auto& line : lines) {
    boost::system::error_code ec;
    json::value v = json::parse(line, ec);
    ASSERT_FALSE(ec) << "not JSON: " << line;
    ASSERT_TRUE(v.is_object()) << line;
    const auto& o = v.as_object();
    EXPECT_TRUE(o.contains("ts") && o.contains("level")) << line;
    if (o.contains("event") && o.at("event") == "request") {
      ++requests;
      ASSERT_TRUE(o.contains("request_id")) << line;
      EXPECT_TRUE(o.at("request_id").is_string()) << line;
      EXPECT_TRUE(o.at("status").is_int64()) << line;
      found_generated |= o.at("request_id") == generated.c_str();
    }
  }
  EXPECT_GE(requests, 15);
  EXPECT_TRUE(found_generated) << "the header's id is the log line's id";
}

TEST_F(LogsTest, ASaneIncomingRequestIdIsKeptAndAnythingElseReplaced) {
  start({});
  auto c = connect(kReader);
  c.send_raw("GET /v1/stats HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + std::string(kReader) +
             "\r\nx-request-id: checkout-4f2a.7\r\n\r\n");
  EXPECT_EQ(c.read_response().header("x-request-id"), "checkout-4f2a.7");
  c.send_raw("GET /v1/stats HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + std::string(kReader) +
             "\r\nx-request-id: has spaces\"and=quotes\r\n\r\n");
  std::string replaced = c.read_response().header("x-request-id");
  EXPECT_FALSE(replaced.empty());
  EXPECT_EQ(replaced.find(' '), std::string::npos);
  std::set<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.insert(c.request("GET", "/v1/stats").header("x-request-id"));
  EXPECT_EQ(ids.size(), 5u) << "generated ids are unique";
  auto unauthenticated = connect("").request("GET", "/v1/stats");
  EXPECT_EQ(unauthenticated.status, 401);
  EXPECT_FALSE(unauthenticated.header("x-request-id").empty()) << "refusals carry one too";
  EXPECT_EQ(server_->signal_and_wait(SIGTERM), 0);  // every request's line is in
  EXPECT_NE(server_->log().find("request_id=checkout-4f2a.7"), std::string::npos);
  EXPECT_EQ(server_->log().find("has spaces"), std::string::npos);
}

}  // namespace
}  // namespace spool::testing
