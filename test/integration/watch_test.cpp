// Black-box tests of the watching endpoints on a real `spool serve`: GET /metrics validated by
// promtool after a varied workload, the summary's parameters, and /readyz following the store
// through an injected fault (the SPOOL_TEST_STORE_FAULT_FILE seam).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "support/eventually.hpp"
#include "support/http.hpp"
#include "support/server_process.hpp"
#include "support/temp_dir.hpp"

namespace spool::testing {
namespace {

namespace json = boost::json;

class WatchTest : public ::testing::Test {
 protected:
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

  static std::string enqueue(HttpConnection& c, const std::string& body) {
    auto r = c.request("POST", "/v1/jobs", body);
    EXPECT_TRUE(r.status == 202 || r.status == 200) << r.body;
    return std::string(r.json().at("id").as_string());
  }

  static json::object reserve(HttpConnection& c, const std::string& queue,
                              const std::string& extra = "") {
    auto r = c.request("POST", "/v1/reserve", R"({"queues":[")" + queue + R"("])" + extra + "}");
    EXPECT_EQ(r.status, 200) << r.body;
    auto jobs = r.json().at("jobs").as_array();
    EXPECT_EQ(jobs.size(), 1u) << r.body;
    return jobs.empty() ? json::object{} : jobs[0].as_object();
  }

  static std::string lease_of(const json::object& job) {
    return std::string(job.at("lease").as_string());
  }
  static std::string id_of(const json::object& job) {
    return std::string(job.at("id").as_string());
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
};

// promtool's verdict on a scrape: empty when clean, else what it said. Fails (never skips) when
// promtool is missing: the check is part of the suite.
std::string promtool_check(const std::string& scrape, const std::string& dir) {
  if (std::system("command -v promtool >/dev/null 2>&1") != 0) {
    ADD_FAILURE() << "promtool not found on PATH: install Debian's prometheus package "
                     "(scripts/install-deps.sh does)";
    return "promtool missing";
  }
  std::string in = dir + "/scrape.txt";
  std::string out = dir + "/promtool.out";
  std::ofstream(in) << scrape;
  std::string cmd = "promtool check metrics < '" + in + "' > '" + out + "' 2>&1";
  int rc = std::system(cmd.c_str());
  std::ifstream f(out);
  std::stringstream said;
  said << f.rdbuf();
  if (rc != 0) return "promtool exit " + std::to_string(rc) + ": " + said.str();
  // promtool exits 0 on lint warnings too; any output is a finding.
  return said.str();
}

// "name{labels}" -> value, for every sample line.
std::map<std::string, double> samples(const std::string& scrape) {
  std::map<std::string, double> out;
  std::istringstream in(scrape);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    auto space = line.rfind(' ');
    out[line.substr(0, space)] = std::stod(line.substr(space + 1));
  }
  return out;
}

TEST_F(WatchTest, PromtoolAcceptsAScrapeAndCountersMatchAVariedWorkload) {
  std::ofstream(dir_.file("spool.toml")) << R"(
[[tokens]]
token = "reader-secret"
roles = ["reader"]
)";
  start({{"SPOOL_TOKEN", "admin-secret"}}, {"--config", dir_.file("spool.toml")});
  auto admin = connect("admin-secret");
  EXPECT_EQ(connect().request("GET", "/metrics").status, 401);

  const std::string mail = R"({"type":"send_email","queue":"mail","payload":{"n":1}})";
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(enqueue(admin, mail));
  const std::string digest =
      R"({"type":"send_email","queue":"mail","dedupe_key":"digest-1","payload":{}})";
  enqueue(admin, digest);
  enqueue(admin, digest);  // a dedupe hit: no new job, not counted
  enqueue(admin, R"({"type":"render_pdf","queue":"pdf","payload":{}})");

  auto a = reserve(admin, "mail");
  EXPECT_EQ(
      admin
          .request("POST", "/v1/jobs/" + id_of(a) + "/ack", R"({"lease":")" + lease_of(a) + R"("})")
          .status,
      200);
  auto b = reserve(admin, "mail");
  EXPECT_EQ(
      admin
          .request(
              "POST", "/v1/jobs/" + id_of(b) + "/fail",
              R"({"lease":")" + lease_of(b) +
                  R"(","error":{"message":"SMTP 451","kind":"retry","retry_after_ms":600000}})")
          .status,
      200);
  auto c = reserve(admin, "mail");
  EXPECT_EQ(admin
                .request("POST", "/v1/jobs/" + id_of(c) + "/fail",
                         R"({"lease":")" + lease_of(c) +
                             R"(","error":{"message":"bad address","kind":"permanent"}})")
                .status,
            200);
  EXPECT_EQ(admin.request("DELETE", "/v1/jobs/" + ids[4]).status, 200);
  reserve(admin, "pdf", R"(,"lease_ms":100)");
  EXPECT_EQ(admin.request("GET", "/v1/jobs/" + ids[0]).status, 200);
  EXPECT_EQ(admin.request("GET", "/no/such/path").status, 404);

  // The pdf lease expires 100 ms after it was handed out; the writer wakes for it on its own.
  auto reader = connect("reader-secret");
  std::map<std::string, double> m;
  std::string scrape;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  do {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    auto r = reader.request("GET", "/metrics");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.header("content-type").rfind("text/plain; version=0.0.4", 0), 0u);
    scrape = r.body;
    m = samples(scrape);
  } while (m[R"(spool_lease_expiries_total{queue="pdf"})"] < 1 &&
           std::chrono::steady_clock::now() < deadline);

  EXPECT_EQ(promtool_check(scrape, dir_.path()), "") << scrape;
  EXPECT_EQ(m[R"(spool_jobs_enqueued_total{queue="mail",type="send_email"})"], 6);
  EXPECT_EQ(m[R"(spool_jobs_enqueued_total{queue="pdf",type="render_pdf"})"], 1);
  EXPECT_EQ(m[R"(spool_jobs_completed_total{queue="mail",type="send_email"})"], 1);
  EXPECT_EQ(m[R"(spool_jobs_failed_total{queue="mail",type="send_email",kind="retry"})"], 1);
  EXPECT_EQ(m[R"(spool_jobs_failed_total{queue="mail",type="send_email",kind="permanent"})"], 1);
  EXPECT_EQ(m[R"(spool_jobs_dead_total{queue="mail",type="send_email"})"], 1);
  EXPECT_EQ(m[R"(spool_jobs_cancelled_total{queue="mail",type="send_email"})"], 1);
  EXPECT_EQ(m[R"(spool_lease_expiries_total{queue="pdf"})"], 1);
  EXPECT_EQ(m[R"(spool_jobs_failed_total{queue="pdf",type="render_pdf",kind="lease_expired"})"], 1);
  EXPECT_EQ(m[R"(spool_jobs{queue="mail",state="queued"})"], 2);  // 6 - 3 reserved - 1 cancelled
  EXPECT_EQ(m[R"(spool_jobs{queue="mail",state="retrying"})"], 1);
  EXPECT_EQ(m[R"(spool_jobs{queue="mail",state="dead"})"], 1);
  EXPECT_EQ(m[R"(spool_job_wait_seconds_count{queue="mail"})"], 3);
  EXPECT_EQ(m[R"(spool_job_run_seconds_count{queue="mail"})"], 3);
  EXPECT_GE(m["spool_store_commit_seconds_count"], 10);
  EXPECT_GE(m[R"(spool_http_request_seconds_count{route="/v1/jobs/{}",code="200"})"], 2);
  EXPECT_EQ(m[R"(spool_http_request_seconds_count{route="unmatched",code="404"})"], 1);
  EXPECT_EQ(m[R"(spool_http_request_seconds_count{route="/metrics",code="401"})"], 1);
  for (const std::string& id : ids) {
    EXPECT_EQ(scrape.find(id), std::string::npos) << "a job id became a label";
  }
}

TEST_F(WatchTest, MetricsArePublicWhenTheConfigSaysSo) {
  std::ofstream(dir_.file("spool.toml")) << "[watch]\nmetrics_public = true\n";
  start({{"SPOOL_TOKEN", "admin-secret"}}, {"--config", dir_.file("spool.toml")});
  auto anon = connect();
  EXPECT_EQ(anon.request("GET", "/metrics").status, 200);
  EXPECT_EQ(anon.request("GET", "/v1/metrics/summary").status, 401);
}

TEST_F(WatchTest, SummaryChecksItsWindowAndNarrowsToAQueue) {
  start();
  auto c = connect();
  for (int i = 0; i < 3; ++i) enqueue(c, R"({"type":"send_email","queue":"mail","payload":{}})");
  enqueue(c, R"({"type":"render_pdf","queue":"pdf","payload":{}})");
  for (std::string bad : {"0", "169", "abc", "-1"}) {
    auto r = c.request("GET", "/v1/metrics/summary?hours=" + bad);
    EXPECT_EQ(r.status, 400) << bad;
    EXPECT_NE(r.body.find("hours must be an integer between 1 and 168"), std::string::npos)
        << r.body;
  }
  auto all = c.request("GET", "/v1/metrics/summary?hours=168");
  ASSERT_EQ(all.status, 200) << all.body;
  EXPECT_EQ(all.json().at("total").as_int64(), 4);
  EXPECT_EQ(all.json().at("by_state").at("queued").as_int64(), 4);
  auto pdf = c.request("GET", "/v1/metrics/summary?hours=1&queue=pdf");
  ASSERT_EQ(pdf.status, 200) << pdf.body;
  EXPECT_EQ(pdf.json().at("total").as_int64(), 1);
  EXPECT_EQ(pdf.json().at("series").as_array().size(), 1u);
  EXPECT_EQ(c.request("GET", "/v1/metrics/summary?hour=1").status, 400);
}

TEST_F(WatchTest, ReadinessWarnsPastItsThresholdsWithoutFailing) {
  std::ofstream(dir_.file("spool.toml")) << "[watch]\nready_backlog = 2\n"
                                            "ready_failure_rate_percent = 40\n";
  start({}, {"--config", dir_.file("spool.toml")});
  auto c = connect();
  for (int i = 0; i < 3; ++i) enqueue(c, R"({"type":"send_email","queue":"mail","payload":{}})");
  auto j = reserve(c, "mail");
  c.request("POST", "/v1/jobs/" + id_of(j) + "/fail",
            R"({"lease":")" + lease_of(j) + R"(","error":{"message":"x","kind":"permanent"}})");
  auto r = c.request("GET", "/readyz");
  EXPECT_EQ(r.status, 200) << r.body;
  json::value body = r.json();
  EXPECT_EQ(body.at("status"), "ok");
  EXPECT_EQ(body.at("queues").at("mail").at("queued").as_int64(), 2);
  EXPECT_TRUE(body.at("breakers").as_object().empty());
  std::set<std::string> codes;
  for (const auto& w : body.at("warnings").as_array()) {
    codes.insert(std::string(w.at("code").as_string()));
  }
  EXPECT_FALSE(codes.count("backlog")) << r.body;      // 2 queued is not above 2
  EXPECT_TRUE(codes.count("failure_rate")) << r.body;  // 1 of 1 attempts failed
  enqueue(c, R"({"type":"send_email","queue":"mail","payload":{}})");
  // A probe is reused for up to a second (public endpoint, D2): the warning comes with the next.
  EXPECT_TRUE(eventually(
      [&] {
        r = c.request("GET", "/readyz");
        return r.status == 200 && r.body.find(R"("code":"backlog")") != std::string::npos;
      },
      std::chrono::seconds(5)))
      << r.body;
}

// D2: /readyz is public; a burst of calls must not each visit the engine's writer thread. The
// probe's latency figure is the tell: calls within a second answer the very same probe.
TEST_F(WatchTest, ReadinessReusesOneProbeForCallsWithinASecond) {
  start();
  auto c = connect();
  std::set<std::string> latencies;
  for (int i = 0; i < 10; ++i) {
    auto r = c.request("GET", "/readyz");
    ASSERT_EQ(r.status, 200) << r.body;
    latencies.insert(json::serialize(r.json().at("store").at("latency_ms")));
  }
  // Without the cache every call is a new probe with its own latency. 10 calls over loopback
  // take well under a second; a loaded machine may straddle a refresh or two.
  EXPECT_LE(latencies.size(), 3u);
}

TEST_F(WatchTest, ReadinessGoes503WhenTheStoreFailsAndComesBackWhenItRecovers) {
  std::string fault = dir_.file("store-fault");
  start({{"SPOOL_TEST_STORE_FAULT_FILE", fault}});
  auto c = connect();
  EXPECT_EQ(c.request("GET", "/readyz").status, 200);
  enqueue(c, R"({"type":"send_email","payload":{}})");

  std::ofstream(fault) << "fail\n";
  // The earlier probe is reused for up to a second (D2).
  HttpResponse r;
  EXPECT_TRUE(eventually(
      [&] {
        r = c.request("GET", "/readyz");
        return r.status == 503;
      },
      std::chrono::seconds(5)))
      << r.body;
  EXPECT_EQ(r.json().at("status"), "unavailable");
  EXPECT_EQ(r.json().at("store").at("ok"), false);
  EXPECT_NE(r.body.find("injected fault"), std::string::npos) << r.body;
  EXPECT_EQ(c.request("POST", "/v1/jobs", R"({"type":"send_email","payload":{}})").status, 503);
  EXPECT_EQ(c.request("GET", "/healthz").status, 200);  // liveness stays trivial

  std::filesystem::remove(fault);
  enqueue(c, R"({"type":"send_email","payload":{}})");  // a write commits again
  EXPECT_TRUE(eventually(
      [&] {
        r = c.request("GET", "/readyz");
        return r.status == 200;
      },
      std::chrono::seconds(5)))
      << r.body;
  EXPECT_EQ(r.json().at("store").at("ok"), true);
}

}  // namespace
}  // namespace spool::testing
