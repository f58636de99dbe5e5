// spool_test_worker processes against a real server: kill -9 mid-job, SIGTERM, and the server
// going away and coming back under a running worker.
#include <signal.h>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "client/server_fixture.hpp"

namespace spool::testing {
namespace {

using namespace std::chrono_literals;

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::size_t occurrences(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

class WorkerProcessTest : public ServerTest {
 protected:
  std::unique_ptr<ChildProcess> start_worker(const std::string& name,
                                             std::map<std::string, std::string> env,
                                             const std::string& url = {}) {
    env["SPOOL_URL"] = url.empty() ? this->url() : url;
    env["TW_EVENTS"] = events();
    auto child = std::make_unique<ChildProcess>(ChildProcess::Options{
        .argv = {SPOOL_TEST_WORKER}, .env = std::move(env), .output_path = dir_.file(name)});
    EXPECT_TRUE(child->wait_output("working on queues", 10s)) << child->output();
    return child;
  }
  std::string events() const { return dir_.file("events"); }
  bool wait_events(const std::string& needle, std::size_t n, std::chrono::milliseconds timeout) {
    return eventually([&] { return occurrences(read_file(events()), needle) >= n; }, timeout);
  }
};

TEST_F(WorkerProcessTest, AJobWhoseWorkerIsKilledComesBackAfterItsLeaseAndCompletesOnce) {
  std::string id = enqueue({.type = "sleep", .queue = "tw", .lease = 1000ms});
  auto doomed = start_worker("doomed.log", {{"TW_SLEEP_MS", "60000"}});
  ASSERT_TRUE(wait_events("start " + id + " 1", 1, 10s));
  doomed->signal(SIGKILL);
  ASSERT_TRUE(doomed->wait_exit(5s));
  EXPECT_EQ(get(id).state, "active");  // still leased to the dead worker

  auto healthy = start_worker("healthy.log", {{"TW_SLEEP_MS", "0"}});
  ASSERT_TRUE(wait_state(id, "completed", 15s));
  JobInfo job = get(id);
  EXPECT_EQ(job.attempts, 2);
  ASSERT_FALSE(job.errors.empty());
  EXPECT_EQ(job.errors.front().kind, "lease_expired");
  std::string ev = read_file(events());
  EXPECT_EQ(occurrences(ev, "start " + id + " 2"), 1u) << ev;
  EXPECT_EQ(occurrences(ev, "done " + id), 1u) << ev;
}

TEST_F(WorkerProcessTest, SigtermFinishesRunningJobsAndReleasesPrefetchedOnesAtOnce) {
  std::vector<NewJob> jobs(10, NewJob{.type = "sleep", .queue = "tw"});
  ASSERT_TRUE(client_->enqueue_batch(jobs));
  auto worker = start_worker(
      "worker.log", {{"TW_CONCURRENCY", "2"}, {"TW_PREFETCH", "4"}, {"TW_SLEEP_MS", "1500"}});
  ASSERT_TRUE(wait_events("start ", 2, 10s));
  // Two running and four reserved ahead of them.
  ASSERT_TRUE(eventually([&] { return count("tw", "active") == 6; }, 5s)) << count("tw", "active");

  worker->signal(SIGTERM);
  auto signalled = std::chrono::steady_clock::now();
  // The four not started are back in the queue within a second; the two running still run.
  ASSERT_TRUE(eventually([&] { return count("tw", "queued") == 8; }, 1s))
      << "queued " << count("tw", "queued") << ", active " << count("tw", "active");
  EXPECT_EQ(count("tw", "active"), 2);
  EXPECT_LT(std::chrono::steady_clock::now() - signalled, 1s);

  auto status = worker->wait_exit(10s);
  ASSERT_TRUE(status) << worker->output();
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << worker->output();
  EXPECT_EQ(count("tw", "completed"), 2);
  EXPECT_EQ(count("tw", "queued"), 8);
  EXPECT_EQ(occurrences(read_file(events()), "done "), 2u);
  EXPECT_EQ(occurrences(read_file(events()), "stopped "), 0u);
  // Released jobs spent no attempt.
  auto page = client_->list({.state = "queued", .queue = "tw", .limit = 100});
  ASSERT_TRUE(page);
  for (const auto& j : page->jobs) EXPECT_EQ(j.attempts, 0) << j.id;
  EXPECT_NE(worker->output().find("handed back 4 jobs not started"), std::string::npos)
      << worker->output();
}

TEST_F(WorkerProcessTest, ASecondSignalEndsTheGraceAndHandsBackRunningJobs) {
  std::string id = enqueue({.type = "sleep", .payload = {{"sleep_ms", 60000}}, .queue = "tw"});
  auto worker = start_worker("worker.log", {{"TW_GRACE_MS", "60000"}});
  ASSERT_TRUE(wait_events("start " + id, 1, 10s));
  worker->signal(SIGTERM);
  ASSERT_TRUE(worker->wait_output("shutting down", 5s));
  worker->signal(SIGINT);
  auto status = worker->wait_exit(10s);
  ASSERT_TRUE(status) << worker->output();
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0);
  EXPECT_TRUE(wait_events("stopped " + id, 1, 1s));
  JobInfo job = get(id);
  EXPECT_EQ(job.state, "queued");
  EXPECT_EQ(job.attempts, 0);
}

// A server of our own on a fixed port, so it can come back where the worker looks for it.
std::unique_ptr<ChildProcess> start_server(const std::string& data, std::uint16_t port,
                                           const std::string& log) {
  auto server = std::make_unique<ChildProcess>(
      ChildProcess::Options{.argv = {spool_binary(), "serve", "--listen",
                                     "127.0.0.1:" + std::to_string(port), "--data", data},
                            .env = {{"SPOOL_LOG_LEVEL", "info"}},
                            .output_path = log});
  if (!server->wait_output("spool listening on", 15s)) {
    ADD_FAILURE() << "spool serve did not start: " << server->output();
  }
  return server;
}

TEST_F(WorkerProcessTest, TheWorkerRidesOutAServerRestartWithoutRestartingItself) {
  std::uint16_t port = free_port();
  std::string url = "http://127.0.0.1:" + std::to_string(port);
  std::string data = dir_.file("own-data");
  auto server = start_server(data, port, dir_.file("own-server.log"));
  auto own = Client::create({.url = url});
  ASSERT_TRUE(own);
  auto worker = start_worker("worker.log", {{"TW_SLEEP_MS", "0"}, {"TW_LEASE_MS", "20000"}}, url);

  auto before = own->enqueue({.type = "sleep", .queue = "tw"});
  ASSERT_TRUE(before);
  ASSERT_TRUE(eventually([&] { return own->get(before->id)->state == "completed"; }, 10s));

  // A job that is running when the server goes away, and finishes while it is away: its ack
  // waits for the server (its lease has 20 s left) and lands once it is back.
  auto during = own->enqueue({.type = "sleep", .payload = {{"sleep_ms", 1500}}, .queue = "tw"});
  ASSERT_TRUE(during);
  ASSERT_TRUE(wait_events("start " + during->id, 1, 10s));
  server->signal(SIGTERM);
  if (!server->wait_exit(5s)) {
    // Seen on 2026-11-25: `spool serve` waits on idle keep-alive connections (the worker's
    // pool keeps some) after SIGTERM. Not what this test is about: the server goes away
    // either way.
    std::fprintf(stderr, "note: spool serve still up 5 s after SIGTERM; sending SIGKILL\n");
    server->signal(SIGKILL);
    ASSERT_TRUE(server->wait_exit(5s));
  }
  ASSERT_TRUE(worker->wait_output("lost the server at " + url, 10s)) << worker->output();
  ASSERT_TRUE(wait_events("done " + during->id, 1, 5s));
  std::this_thread::sleep_for(1000ms);  // stays away a while: several reconnect attempts

  server = start_server(data, port, dir_.file("own-server.log"));
  ASSERT_TRUE(worker->wait_output("reconnected to " + url + " after", 15s)) << worker->output();
  ASSERT_TRUE(eventually(
      [&] {
        auto j = own->get(during->id);
        return j && j->state == "completed";
      },
      15s))
      << worker->output();
  EXPECT_EQ(own->get(during->id)->attempts, 1);

  auto after = own->enqueue({.type = "sleep", .queue = "tw"});
  ASSERT_TRUE(after);
  ASSERT_TRUE(eventually(
      [&] {
        auto j = own->get(after->id);
        return j && j->state == "completed";
      },
      15s))
      << worker->output();
  EXPECT_FALSE(worker->wait_exit(0ms));  // the same process all along
  std::string log = worker->output();
  EXPECT_EQ(occurrences(log, "lost the server"), 1u) << log;
  EXPECT_EQ(occurrences(log, "reconnected to"), 1u) << log;

  worker->signal(SIGTERM);
  auto exited = worker->wait_exit(10s);
  ASSERT_TRUE(exited);
  EXPECT_TRUE(WIFEXITED(*exited) && WEXITSTATUS(*exited) == 0);
}

}  // namespace
}  // namespace spool::testing
