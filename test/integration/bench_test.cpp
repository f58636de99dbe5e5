// Black-box tests of `spool bench` against a real `spool serve`: the drain workload (a worker at
// concurrency 10 that settles before it reserves again, issue 14) finishes every job it fills,
// --server-pid reports the server's CPU per job, and latency --settle-inline settles every job
// it receives.
#include <gtest/gtest.h>

#include <cstdio>

#include "support/command.hpp"
#include "support/http.hpp"
#include "support/server_process.hpp"
#include "support/temp_dir.hpp"

namespace spool::testing {
namespace {

namespace json = boost::json;

class BenchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<ServerProcess>(ServerProcess::Options{
        dir_.file("data"), {"--log-level", "warn"}, {{"SPOOL_TOKEN", "bench-admin-token"}}});
  }

  // Runs `spool bench ARGS` against the server; answers the exit code, stdout in `out`.
  int bench(const std::string& args, std::string* out) {
    std::string cmd = "timeout 60 " + spool_binary() + " bench " + args +
                      " --url http://127.0.0.1:" + std::to_string(server_->port()) +
                      " --token bench-admin-token 2>" + dir_.file("bench.err");
    return run_command(cmd, out);
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(BenchTest, TheDrainWorkloadSettlesEveryJobItFilledAndReportsTheServersCpuPerJob) {
  std::string out;
  ASSERT_EQ(bench("--workload drain --jobs 500 --concurrency 10 --reserve-max 5 --queue drained "
                  "--json --server-pid " +
                      std::to_string(server_->pid()),
                  &out),
            0)
      << out;
  json::object result = json::parse(out).as_object();
  json::array rows = result.at("results").as_array();
  ASSERT_EQ(rows.size(), 2u) << out;
  json::object fill = rows[0].as_object();
  json::object drain = rows[1].as_object();
  EXPECT_EQ(fill.at("workload").as_string(), "drain-fill");
  EXPECT_EQ(drain.at("workload").as_string(), "drain");
  EXPECT_EQ(drain.at("jobs").as_int64(), 500);
  EXPECT_EQ(drain.at("errors").as_int64(), 0);
  EXPECT_NE(std::string(drain.at("note").as_string()).find("2 worker loops x reserve max=5"),
            std::string::npos)
      << drain.at("note");
  ASSERT_TRUE(drain.at("server_cpu_us_per_job").is_number()) << out;
  EXPECT_GT(drain.at("server_cpu_us_per_job").to_number<double>(), 0);

  HttpConnection c("127.0.0.1", server_->port());
  c.set_token("bench-admin-token");
  auto queue = c.request("GET", "/v1/queues/drained");
  ASSERT_EQ(queue.status, 200) << queue.body;
  json::object counts = queue.json().at("counts").as_object();
  EXPECT_EQ(counts.at("queued").as_int64(), 0);
  EXPECT_EQ(counts.at("active").as_int64(), 0) << "every reserved job was settled";
  EXPECT_EQ(counts.at("completed").as_int64(), 500);
}

TEST_F(BenchTest, TheDrainWithSettleAndReserveSettlesEveryJobInOneRequestARound) {
  std::string out;
  ASSERT_EQ(bench("--workload drain --jobs 500 --settle-and-reserve --queue paired --json", &out),
            0)
      << out;
  json::object drain = json::parse(out).at("results").as_array().at(1).as_object();
  EXPECT_EQ(drain.at("jobs").as_int64(), 500);
  EXPECT_EQ(drain.at("errors").as_int64(), 0);
  EXPECT_NE(std::string(drain.at("note").as_string()).find("also reserves the next ones"),
            std::string::npos)
      << drain.at("note");
  HttpConnection c("127.0.0.1", server_->port());
  c.set_token("bench-admin-token");
  json::object counts = c.request("GET", "/v1/queues/paired").json().at("counts").as_object();
  EXPECT_EQ(counts.at("completed").as_int64(), 500);
  EXPECT_EQ(counts.at("active").as_int64(), 0);
}

TEST_F(BenchTest, LatencyWithSettleInlineSettlesEveryJobOnTheWorkersOwnConnection) {
  std::string out;
  ASSERT_EQ(bench("--workload latency --settle-inline --rate 200 --duration 1s --workers 2 "
                  "--queue inline --json",
                  &out),
            0)
      << out;
  json::object row = json::parse(out).at("results").as_array().at(0).as_object();
  EXPECT_EQ(row.at("errors").as_int64(), 0);
  std::int64_t received = row.at("jobs").as_int64();
  EXPECT_GT(received, 0);
  EXPECT_NE(std::string(row.at("note").as_string()).find("each settling before it reserves"),
            std::string::npos)
      << row.at("note");
  HttpConnection c("127.0.0.1", server_->port());
  c.set_token("bench-admin-token");
  auto queue = c.request("GET", "/v1/queues/inline");
  ASSERT_EQ(queue.status, 200) << queue.body;
  json::object counts = queue.json().at("counts").as_object();
  EXPECT_EQ(counts.at("completed").as_int64(), received) << "settled before the run ended";
  EXPECT_EQ(counts.at("active").as_int64(), 0);
}

TEST_F(BenchTest, AServerPidWithNoProcessIsRefusedWithWhatWasWrong) {
  std::string out;
  EXPECT_NE(bench("--workload drain --jobs 10 --server-pid 999999999", &out), 0);
  std::FILE* err = std::fopen(dir_.file("bench.err").c_str(), "r");
  ASSERT_NE(err, nullptr);
  std::string message;
  char buf[4096];
  while (std::fgets(buf, sizeof buf, err)) message += buf;
  std::fclose(err);
  EXPECT_NE(message.find("--server-pid"), std::string::npos) << message;
  EXPECT_NE(message.find("no process 999999999"), std::string::npos) << message;
}

}  // namespace
}  // namespace spool::testing
