// spool::Worker in this process against a real `spool serve`: concurrency, leases, outcomes,
// hooks, progress, a lost lease.
#include "spool/worker.hpp"

#include <signal.h>

#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include "client/server_fixture.hpp"

namespace spool::testing {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

// Runs a Worker on a thread of its own; stops it and joins on destruction.
class RunningWorker {
 public:
  RunningWorker(Worker& worker) : worker_(worker) {
    thread_ = std::thread([this] {
      auto r = worker_.run();
      EXPECT_TRUE(r) << r.error().message;
    });
  }
  ~RunningWorker() {
    worker_.stop();
    thread_.join();
  }

 private:
  Worker& worker_;
  std::thread thread_;
};

WorkerOptions options(std::vector<std::string> queues) {
  WorkerOptions o;
  o.queues = std::move(queues);
  o.handle_signals = false;
  o.poll_wait = 1000ms;
  o.shutdown_grace = 5000ms;
  return o;
}

using WorkerTest = ServerTest;

TEST_F(WorkerTest, NeverRunsMoreHandlersThanItsConcurrency) {
  std::vector<NewJob> jobs(20, NewJob{.type = "slow"});
  ASSERT_TRUE(client_->enqueue_batch(jobs));
  std::atomic<int> now{0}, most{0}, done{0};
  WorkerOptions o = options({"slow"});
  o.concurrency = 3;
  Worker worker(*client_, o);
  worker.handle("slow", [&](Job&) {
    int n = ++now;
    int seen = most.load();
    while (n > seen && !most.compare_exchange_weak(seen, n)) {
    }
    std::this_thread::sleep_for(50ms);
    --now;
    ++done;
  });
  {
    RunningWorker running(worker);
    ASSERT_TRUE(eventually([&] { return count("slow", "completed") == 20; }, 20s));
  }
  EXPECT_EQ(done.load(), 20);
  EXPECT_EQ(most.load(), 3);  // never more, and it did use all three
}

TEST_F(WorkerTest, AHandlerRunningThreeTimesItsLeaseIsNeverHandedToASecondWorker) {
  std::string id = enqueue({.type = "long", .lease = 1000ms});
  std::mutex mutex;
  std::map<std::string, int> starts;  // worker name -> runs of the job
  auto handler = [&](const std::string& name) {
    return [&, name](Job& job) {
      {
        std::lock_guard lock(mutex);
        ++starts[name];
      }
      job.progress(json::value{{"step", 1}});
      std::this_thread::sleep_for(3000ms);
      return json::value{{"ran_on", name}};
    };
  };
  Client second_client = make_client();
  Worker a(*client_, options({"long"}));
  Worker b(second_client, options({"long"}));
  a.handle("long", handler("a"));
  b.handle("long", handler("b"));
  {
    RunningWorker ra(a);
    RunningWorker rb(b);
    // Progress goes out with a renewal within about a second of being reported.
    EXPECT_TRUE(eventually([&] { return get(id).progress == json::value{{"step", 1}}; }, 2500ms));
    ASSERT_TRUE(wait_state(id, "completed", 10s));
  }
  JobInfo job = get(id);
  EXPECT_EQ(job.attempts, 1);
  EXPECT_TRUE(job.errors.empty());
  std::lock_guard lock(mutex);
  EXPECT_EQ(starts["a"] + starts["b"], 1);
  EXPECT_EQ(job.result.at("ran_on").as_string(), starts["a"] == 1 ? "a" : "b");
}

TEST_F(WorkerTest, MapsEveryOutcomeAndExceptionOntoTheJob) {
  auto backoff = Backoff{.type = Backoff::Type::kFixed, .base = 60'000ms, .jitter = false};
  std::map<std::string, std::string> ids;
  for (std::string type :
       {"returns_void", "returns_value", "returns_outcome", "throws_retry", "returns_retry",
        "throws_permanent", "returns_permanent", "throws_snooze", "returns_snooze",
        "throws_runtime_error", "throws_int", "has_no_handler"}) {
    ids[type] = enqueue({.type = type, .queue = "outcomes", .max_attempts = 3, .backoff = backoff});
  }
  std::atomic<int> started{0}, succeeded{0}, failed{0};
  std::mutex mutex;
  std::map<std::string, Failure::Kind> failure_kinds;
  WorkerOptions o = options({"outcomes"});
  o.concurrency = 4;
  o.on_start = [&](const Job&) { ++started; };
  o.on_success = [&](const Job&, std::chrono::nanoseconds) { ++succeeded; };
  o.on_failure = [&](const Job& job, const Failure& f, std::chrono::nanoseconds) {
    std::lock_guard lock(mutex);
    failure_kinds[job.type()] = f.kind;
    ++failed;
  };
  Worker w(*client_, o);
  w.handle("returns_void", [](Job&) {});
  w.handle("returns_value", [](Job& job) { return json::value{{"attempt", job.attempt()}}; });
  w.handle("returns_outcome", [](Job&) -> Outcome { return json::value("done"); });
  w.handle("throws_retry", [](Job&) -> Outcome { throw Retry("upstream said 503", 120'000ms); });
  w.handle("returns_retry", [](Job&) -> Outcome { return Retry("try later"); });
  w.handle("throws_permanent", [](Job&) -> Outcome { throw Permanent("no such user"); });
  w.handle("returns_permanent", [](Job&) -> Outcome { return Permanent("bad payload"); });
  w.handle("throws_snooze", [](Job&) -> Outcome { throw Snooze(60'000ms, "partner busy"); });
  w.handle("returns_snooze", [](Job&) -> Outcome { return Snooze(60'000ms); });
  w.handle("throws_runtime_error", [](Job&) { throw std::runtime_error("disk on fire"); });
  w.handle("throws_int", [](Job&) { throw 42; });
  {
    RunningWorker running(w);
    ASSERT_TRUE(eventually([&] { return succeeded + failed == 12; }, 15s));
    // Hooks run before the settle is confirmed: wait for the server to have them all.
    ASSERT_TRUE(eventually([&] { return count("outcomes", "active") == 0; }, 5s));
  }
  EXPECT_EQ(started.load(), 11);  // has_no_handler has no start
  EXPECT_EQ(succeeded.load(), 3);

  auto expect = [&](const std::string& type, const std::string& state, int attempts,
                    const std::string& kind, const std::string& message_part) {
    SCOPED_TRACE(type);
    JobInfo job = get(ids[type]);
    EXPECT_EQ(job.state, state);
    EXPECT_EQ(job.attempts, attempts);
    if (kind.empty()) {
      EXPECT_FALSE(job.last_error);
      return;
    }
    ASSERT_TRUE(job.last_error);
    EXPECT_EQ(job.last_error->kind, kind);
    EXPECT_NE(job.last_error->message.find(message_part), std::string::npos)
        << job.last_error->message;
  };
  expect("returns_void", "completed", 1, "", "");
  expect("returns_value", "completed", 1, "", "");
  EXPECT_EQ(get(ids["returns_value"]).result, (json::value{{"attempt", 1}}));
  EXPECT_EQ(get(ids["returns_outcome"]).result, json::value("done"));
  expect("throws_retry", "retrying", 1, "retry", "upstream said 503");
  expect("returns_retry", "retrying", 1, "retry", "try later");
  expect("throws_permanent", "dead", 1, "permanent", "no such user");
  expect("returns_permanent", "dead", 1, "permanent", "bad payload");
  expect("throws_runtime_error", "retrying", 1, "retry", "disk on fire");
  expect("throws_int", "retrying", 1, "retry", "not a std::exception");
  expect("has_no_handler", "retrying", 1, "retry", "no handler for job type \"has_no_handler\"");
  for (std::string type : {"throws_snooze", "returns_snooze"}) {
    SCOPED_TRACE(type);
    JobInfo job = get(ids[type]);
    EXPECT_EQ(job.state, "scheduled");
    EXPECT_EQ(job.attempts, 0);  // a snooze gives its attempt back
  }
  // Retry's `after` replaces the backoff: 120 s, not the fixed 60 s.
  JobInfo retried = get(ids["throws_retry"]);
  JobInfo backed_off = get(ids["returns_retry"]);
  EXPECT_GT(retried.run_at, backed_off.run_at);

  std::lock_guard lock(mutex);
  EXPECT_EQ(failure_kinds["throws_permanent"], Failure::Kind::kPermanent);
  EXPECT_EQ(failure_kinds["returns_snooze"], Failure::Kind::kSnooze);
  EXPECT_EQ(failure_kinds["has_no_handler"], Failure::Kind::kRetry);
}

TEST_F(WorkerTest, ALeaseLostWhileTheServerWasAwayStopsTheHandlerAndIsNotSettled) {
  std::string id = enqueue({.type = "stuck", .lease = 600ms});
  std::atomic<bool> started{false}, saw_stop{false}, returned{false};
  std::vector<std::string> lines;
  std::mutex mutex;
  WorkerOptions o = options({"stuck"});
  o.log = [&](LogLevel, std::string_view line) {
    std::lock_guard lock(mutex);
    lines.emplace_back(line);
  };
  Worker w(*client_, o);
  w.handle("stuck", [&](Job& job) {
    started = true;
    saw_stop = eventually([&] { return job.stop_requested(); }, 20s);
    returned = true;
  });
  {
    RunningWorker running(w);
    ASSERT_TRUE(eventually([&] { return started.load(); }, 5s));
    // Freeze the server past the lease: its renewals get no answer, and when it thaws the
    // lease has expired (expiry is applied before the renewal) and the renewal is refused.
    ::kill(server_->pid(), SIGSTOP);
    std::this_thread::sleep_for(1500ms);
    ::kill(server_->pid(), SIGCONT);
    ASSERT_TRUE(eventually([&] { return returned.load(); }, 20s));
    EXPECT_TRUE(saw_stop.load());
  }
  JobInfo job = get(id);
  // The expiry put the job back (attempt spent); the handler's return settled nothing.
  EXPECT_NE(job.state, "completed");
  ASSERT_TRUE(job.last_error);
  EXPECT_EQ(job.last_error->kind, "lease_expired");
  std::lock_guard lock(mutex);
  bool logged = false;
  for (const auto& l : lines) logged |= l.find("refused to renew its lease") != std::string::npos;
  EXPECT_TRUE(logged);
}

// A handler that hangs while the worker renews its lease ends at the job's timeout all the same:
// the renewal after it is refused (timed_out), the handler sees stop_requested(), and the attempt
// is a failure of kind timeout, its outcome never settled.
TEST_F(WorkerTest, AHungHandlerIsStoppedAtItsJobsTimeout) {
  std::string id = enqueue({.type = "hangs", .max_attempts = 1, .lease = 10s, .timeout = 600ms});
  std::atomic<bool> saw_stop{false}, returned{false};
  Worker w(*client_, options({"hangs"}));
  w.handle("hangs", [&](Job& job) {
    saw_stop = eventually([&] { return job.stop_requested(); }, 10s);
    returned = true;
  });
  {
    RunningWorker running(w);
    ASSERT_TRUE(eventually([&] { return returned.load(); }, 10s));
    EXPECT_TRUE(saw_stop.load());
  }
  JobInfo job = get(id);
  EXPECT_EQ(job.state, "dead");
  ASSERT_TRUE(job.last_error);
  EXPECT_EQ(job.last_error->kind, "timeout");
}

TEST_F(WorkerTest, RunRefusesBadOptionsSayingWhichOne) {
  Worker none(*client_, options({}));
  none.handle("x", [](Job&) {});
  auto r = none.run();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "invalid_argument");
  EXPECT_EQ(r.error().field, "queues");

  WorkerOptions o = options({"q"});
  o.concurrency = 0;
  Worker zero(*client_, o);
  zero.handle("x", [](Job&) {});
  r = zero.run();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().field, "concurrency");

  Worker no_handlers(*client_, options({"q"}));
  r = no_handlers.run();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().field, "handlers");
}

TEST_F(WorkerTest, StopBeforeRunReturnsAtOnceAndRunCanBeCalledAgain) {
  std::string id = enqueue({.type = "again"});
  Worker w(*client_, options({"again"}));
  std::atomic<int> runs{0};
  w.handle("again", [&](Job&) { ++runs; });
  w.stop();
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(w.run());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  {
    RunningWorker running(w);
    ASSERT_TRUE(wait_state(id, "completed"));
  }
  EXPECT_EQ(runs.load(), 1);
}

}  // namespace
}  // namespace spool::testing
