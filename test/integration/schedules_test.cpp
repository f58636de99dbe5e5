// Black-box tests of recurring schedules on a real `spool serve`: an interval schedule made over
// HTTP delivers its jobs on time to a waiting worker; bad schedules get a 400 naming the field;
// the CRUD routes, roles and trigger; [[schedules]] from the config kept across restarts; and
// `spool schedules` as a person uses it.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "core/time_format.hpp"
#include "support/command.hpp"
#include "support/http.hpp"
#include "support/server_process.hpp"
#include "support/temp_dir.hpp"

namespace spool::testing {
namespace {

namespace json = boost::json;

class SchedulesTest : public ::testing::Test {
 protected:
  void start(std::vector<std::string> args = {}) {
    server_.reset();
    server_ = std::make_unique<ServerProcess>(ServerProcess::Options{
        dir_.file("data"), std::move(args), {{"SPOOL_TOKEN", "schedules-admin-token"}}});
  }

  HttpConnection admin() {
    HttpConnection c("127.0.0.1", server_->port());
    c.set_token("schedules-admin-token");
    return c;
  }

  // Runs `spool ARGS` against the server; answers the exit code, output in `out`.
  int cli(const std::string& args, std::string* out) {
    std::string cmd = "timeout 20 " + spool_binary() + " " + args +
                      " --url http://127.0.0.1:" + std::to_string(server_->port()) +
                      " --token schedules-admin-token 2>&1";
    return run_command(cmd, out);
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
};

TimeMs time_of(const json::value& v) {
  auto t = parse_rfc3339(v.as_string());
  EXPECT_TRUE(t) << v;
  return t.value_or(0);
}

TEST_F(SchedulesTest, AnIntervalScheduleDeliversItsJobsOnTimeToAWaitingWorker) {
  start();
  auto c = admin();
  auto created = c.request("POST", "/v1/schedules", R"({
    "name": "heartbeat", "every_ms": 1000,
    "job": {"type": "ping_partner", "payload": {"partner": "acme"}, "tags": ["sched"]}})");
  ASSERT_EQ(created.status, 201) << created.body;
  json::object s = created.json().as_object();
  std::string id(s.at("id").as_string());
  EXPECT_EQ(s.at("every_ms").as_int64(), 1000);
  EXPECT_EQ(s.at("timezone").as_string(), "UTC");
  EXPECT_EQ(s.at("misfire").as_string(), "run_once");
  TimeMs next = time_of(s.at("next_run_at"));

  auto worker = admin();
  for (int i = 0; i < 3; ++i) {
    auto r = worker.request("POST", "/v1/reserve",
                            R"({"queues":["ping_partner"],"wait_ms":5000,"worker":"w"})");
    ASSERT_EQ(r.status, 200) << r.body;
    auto jobs = r.json().at("jobs").as_array();
    ASSERT_EQ(jobs.size(), 1u) << "tick " << i << " did not arrive within 5 s";
    std::string job_id(jobs[0].at("id").as_string());
    auto got = c.request("GET", "/v1/jobs/" + job_id);
    json::object job = got.json().as_object();
    // The job of tick `next` carries it in its dedupe key and was made at (not before) it.
    EXPECT_EQ(job.at("dedupe_key").as_string(), "schedule:" + id + ":" + format_rfc3339(next));
    TimeMs created_at = time_of(job.at("created_at"));
    EXPECT_GE(created_at, next) << "fired early";
    EXPECT_LE(created_at - next, 1000) << "fired late";
    EXPECT_EQ(job.at("payload"), json::parse(R"({"partner":"acme"})"));
    auto acked =
        worker.request("POST", "/v1/jobs/" + job_id + "/ack",
                       R"({"lease":")" + std::string(jobs[0].at("lease").as_string()) + R"("})");
    EXPECT_EQ(acked.status, 200) << acked.body;
    next += 1000;
  }
  auto after = c.request("GET", "/v1/schedules/" + id).json().as_object();
  EXPECT_FALSE(after.at("last_job_id").is_null());
  EXPECT_EQ(after.at("next_runs").as_array().size(), 5u);
}

TEST_F(SchedulesTest, ABadScheduleGetsA400NamingTheField) {
  start();
  auto c = admin();
  struct Case {
    const char* body;
    const char* field;
    const char* says;
  };
  const Case cases[] = {
      {R"({"name":"a","cron":"0 9 * * 8","job":{"type":"t","payload":{}}})", "cron", "day of week"},
      {R"({"name":"a","cron":"0 9 * *","job":{"type":"t","payload":{}}})", "cron", "5 fields"},
      {R"({"name":"a","cron":"@fortnightly","job":{"type":"t","payload":{}}})", "cron",
       "@fortnightly"},
      {R"({"name":"a","cron":"0 9 * * *","timezone":"Europe/Berln","job":{"type":"t","payload":{}}})",
       "timezone", "Europe/Berln"},
      {R"({"name":"a","cron":"0 9 * * *","every_ms":1000,"job":{"type":"t","payload":{}}})",
       "every_ms", "not both"},
      {R"({"name":"a","every_ms":10,"job":{"type":"t","payload":{}}})", "every_ms", "1000"},
      {R"({"name":"a","job":{"type":"t","payload":{}}})", "cron", "every_ms"},
      {R"({"name":"a","every_ms":1000})", "job", "required"},
      {R"({"every_ms":1000,"job":{"type":"t","payload":{}}})", "name", "required"},
      {R"({"name":"a","every_ms":1000,"job":{"type":"t"}})", "job.payload", "required"},
      {R"({"name":"a","every_ms":1000,"job":{"type":"t","payload":{},"delay_ms":5}})",
       "job.delay_ms", "not allowed"},
      {R"({"name":"a","every_ms":1000,"misfire":"later","job":{"type":"t","payload":{}}})",
       "misfire", "skip or run_once"},
      {R"({"name":"a","every_ms":1000,"overlap":"no","job":{"type":"t","payload":{}}})", "overlap",
       "allow or skip"},
  };
  for (const Case& k : cases) {
    auto r = c.request("POST", "/v1/schedules", k.body);
    EXPECT_EQ(r.status, 400) << k.body << " -> " << r.body;
    if (r.status != 400) continue;
    auto error = r.json().at("error").as_object();
    EXPECT_EQ(error.at("field").as_string(), k.field) << k.body;
    EXPECT_NE(std::string(error.at("message").as_string()).find(k.says), std::string::npos)
        << k.body << " -> " << r.body;
  }
  EXPECT_EQ(c.request("GET", "/v1/schedules").json().at("schedules").as_array().size(), 0u);
}

TEST_F(SchedulesTest, SchedulesAreListedPatchedTriggeredAndDeletedByRole) {
  std::ofstream(dir_.file("spool.toml")) << R"(
[[tokens]]
token = "schedules-reader-token"
roles = ["reader"]
)";
  start({"--config", dir_.file("spool.toml")});
  auto c = admin();
  auto created = c.request("POST", "/v1/schedules", R"({
    "name": "weekly_report", "cron": "0 9 * * MON", "timezone": "America/New_York",
    "overlap": "skip", "job": {"type": "build_report", "payload": {"range": "week"}}})");
  ASSERT_EQ(created.status, 201) << created.body;
  std::string id(created.json().at("id").as_string());

  HttpConnection reader("127.0.0.1", server_->port());
  reader.set_token("schedules-reader-token");
  auto one = reader.request("GET", "/v1/schedules/" + id);
  ASSERT_EQ(one.status, 200) << one.body;
  auto runs = one.json().at("next_runs").as_array();
  ASSERT_EQ(runs.size(), 5u);
  for (std::size_t i = 1; i < runs.size(); ++i) {
    EXPECT_EQ(time_of(runs[i]) - time_of(runs[i - 1]), 7 * 86'400'000LL) << one.body;
  }
  EXPECT_EQ(reader.request("GET", "/v1/schedules").json().at("schedules").as_array().size(), 1u);
  EXPECT_EQ(reader.request("POST", "/v1/schedules/" + id + "/trigger").status, 403);
  EXPECT_EQ(reader.request("DELETE", "/v1/schedules/" + id).status, 403);

  auto paused = c.request("PATCH", "/v1/schedules/" + id, R"({"paused":true})");
  ASSERT_EQ(paused.status, 200) << paused.body;
  EXPECT_TRUE(paused.json().at("paused").as_bool());
  EXPECT_TRUE(paused.json().at("next_run_at").is_null());
  auto bad = c.request("PATCH", "/v1/schedules/" + id, R"({"cron":"0 25 * * *"})");
  EXPECT_EQ(bad.status, 400) << bad.body;

  auto triggered = c.request("POST", "/v1/schedules/" + id + "/trigger");
  ASSERT_EQ(triggered.status, 202) << triggered.body;
  std::string job_id(triggered.json().at("id").as_string());
  auto job = c.request("GET", "/v1/jobs/" + job_id).json().as_object();
  EXPECT_EQ(job.at("type").as_string(), "build_report");
  EXPECT_EQ(c.request("GET", "/v1/schedules/" + id).json().at("last_job_id").as_string(), job_id);

  EXPECT_EQ(c.request("DELETE", "/v1/schedules/" + id).status, 204);
  EXPECT_EQ(c.request("GET", "/v1/schedules/" + id).status, 404);
  EXPECT_EQ(c.request("POST", "/v1/schedules/" + id + "/trigger").status, 404);
  EXPECT_EQ(c.request("GET", "/v1/jobs/" + job_id).status, 200);  // its jobs stay
}

TEST_F(SchedulesTest, ConfigSchedulesAreMadeAtStartAndKeepTheirTickAcrossRestarts) {
  std::ofstream(dir_.file("spool.toml")) << R"(
[[schedules]]
name = "nightly_cleanup"
cron = "30 3 * * *"
timezone = "Europe/Berlin"
misfire = "skip"
job = { type = "purge_sessions", payload = { older_than_days = 30 }, queue = "maintenance" }
)";
  start({"--config", dir_.file("spool.toml")});
  auto first = admin().request("GET", "/v1/schedules").json().at("schedules").as_array();
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].at("name").as_string(), "nightly_cleanup");
  EXPECT_EQ(first[0].at("job").at("queue").as_string(), "maintenance");
  EXPECT_EQ(first[0].at("misfire").as_string(), "skip");

  start({"--config", dir_.file("spool.toml")});
  auto again = admin().request("GET", "/v1/schedules").json().at("schedules").as_array();
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].at("id"), first[0].at("id"));
  EXPECT_EQ(again[0].at("next_run_at"), first[0].at("next_run_at"));
}

TEST_F(SchedulesTest, TheCliAddsListsShowsPausesTriggersAndRemoves) {
  start();
  std::string out;
  ASSERT_EQ(
      cli("schedules add daily_digest send_digest '{\"edition\":\"daily\"}' --cron '0 8 * * *'"
          " --tz Europe/Berlin",
          &out),
      0)
      << out;
  EXPECT_NE(out.find("daily_digest"), std::string::npos) << out;
  EXPECT_NE(out.find("cron 0 8 * * * (Europe/Berlin)"), std::string::npos) << out;
  EXPECT_NE(out.find("next runs"), std::string::npos) << out;

  ASSERT_EQ(cli("schedules list", &out), 0) << out;
  EXPECT_NE(out.find("daily_digest"), std::string::npos) << out;
  ASSERT_EQ(cli("schedules pause daily_digest", &out), 0) << out;
  EXPECT_NE(out.find("paused"), std::string::npos) << out;
  ASSERT_EQ(cli("schedules trigger daily_digest", &out), 0) << out;
  EXPECT_NE(out.find("queued"), std::string::npos) << out;
  ASSERT_EQ(cli("schedules rm daily_digest", &out), 0) << out;
  EXPECT_EQ(cli("schedules show daily_digest", &out), 1) << out;
  EXPECT_NE(out.find("no schedule with id or name daily_digest"), std::string::npos) << out;
  EXPECT_EQ(cli("schedules add x t --cron '0 9 * * *' --every 5m", &out), 2) << out;
  EXPECT_EQ(cli("schedules add x t --cron '0 99 * * *'", &out), 1) << out;
  EXPECT_NE(out.find("hour"), std::string::npos) << out;
}

}  // namespace
}  // namespace spool::testing
