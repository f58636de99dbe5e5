// Unit tests for the worker's pure parts: the outcome mapping (outcome.hpp) and the reconnect
// backoff (reconnect.hpp).
#include <gtest/gtest.h>

#include <limits>

#include "client/active_job.hpp"
#include "client/outcome.hpp"
#include "client/reconnect.hpp"

namespace spool::client {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

Job make_job() {
  auto deadline =
      std::make_shared<std::atomic<std::int64_t>>(std::numeric_limits<std::int64_t>::max());
  auto shared = std::make_shared<Job::Shared>(std::make_shared<RenewerSignal>(), deadline);
  return Job(ReservedJob{.id = "J", .type = "t"}, shared, std::stop_source());
}

Settlement run(const Worker::Handler& h) {
  Job job = make_job();
  return run_handler(h, job);
}

TEST(OutcomeTest, ReturningAcksWithOrWithoutAResult) {
  Settlement s = run([](Job&) { return Outcome(); });
  EXPECT_TRUE(s.ack);
  EXPECT_FALSE(s.result);
  s = run([](Job&) { return Outcome(json::value{{"ok", true}}); });
  EXPECT_TRUE(s.ack);
  EXPECT_EQ(*s.result, (json::value{{"ok", true}}));
}

TEST(OutcomeTest, RetryPermanentAndSnoozeMapToTheirKindsReturnedOrThrown) {
  for (bool thrown : {false, true}) {
    SCOPED_TRACE(thrown);
    Settlement s = run([&](Job&) -> Outcome {
      if (thrown) throw Retry("later", 5s);
      return Retry("later", 5s);
    });
    EXPECT_FALSE(s.ack);
    EXPECT_EQ(s.failure.kind, Failure::Kind::kRetry);
    EXPECT_EQ(s.failure.message, "later");
    EXPECT_EQ(s.failure.retry_after, 5000ms);

    s = run([&](Job&) -> Outcome {
      if (thrown) throw Permanent("bad");
      return Permanent("bad");
    });
    EXPECT_EQ(s.failure.kind, Failure::Kind::kPermanent);
    EXPECT_FALSE(s.failure.retry_after);

    s = run([&](Job&) -> Outcome {
      if (thrown) throw Snooze(2s);
      return Snooze(2s);
    });
    EXPECT_EQ(s.failure.kind, Failure::Kind::kSnooze);
    EXPECT_EQ(s.failure.retry_after, 2000ms);
    EXPECT_EQ(s.failure.message, "snoozed");
  }
}

TEST(OutcomeTest, OtherExceptionsRetryWithWhatOrAClearMessage) {
  Settlement s = run([](Job&) -> Outcome { throw std::out_of_range("index 7"); });
  EXPECT_EQ(s.failure.kind, Failure::Kind::kRetry);
  EXPECT_EQ(s.failure.message, "index 7");
  EXPECT_FALSE(s.failure.retry_after);
  s = run([](Job&) -> Outcome { throw std::runtime_error(""); });
  EXPECT_NE(s.failure.message.find("empty what()"), std::string::npos);
  s = run([](Job&) -> Outcome { throw "a C string"; });
  EXPECT_EQ(s.failure.kind, Failure::Kind::kRetry);
  EXPECT_NE(s.failure.message.find("not a std::exception"), std::string::npos);
}

TEST(OutcomeTest, JobProgressAndDeadline) {
  auto deadline =
      std::make_shared<std::atomic<std::int64_t>>(std::numeric_limits<std::int64_t>::max());
  auto shared = std::make_shared<Job::Shared>(std::make_shared<RenewerSignal>(), deadline);
  Job job(ReservedJob{.id = "J"}, shared, std::stop_source());
  EXPECT_EQ(job.deadline(), std::chrono::steady_clock::time_point::max());
  job.progress(json::value{{"done", 1}});
  job.progress(json::value{{"done", 2}});
  EXPECT_EQ(*shared->progress, (json::value{{"done", 2}}));
  EXPECT_EQ(shared->progress_version, 2u);
  auto at = std::chrono::steady_clock::now() + 5s;
  deadline->store(at.time_since_epoch().count());
  EXPECT_EQ(job.deadline(), at);
}

TEST(RetryBackoffTest, DoublesFrom100MsTo5SWithJitterInTheUpperHalf) {
  RetryBackoff b;
  Millis expect_max{100};
  for (int i = 0; i < 12; ++i) {
    Millis d = b.next();
    EXPECT_GE(d, expect_max / 2) << i;
    EXPECT_LE(d, expect_max) << i;
    expect_max = std::min(Millis(5000), expect_max * 2);
  }
  b.reset();
  EXPECT_LE(b.next(), Millis(100));
}

TEST(ServerPresenceTest, LogsOnceWhenTheServerGoesAndOnceWhenItIsBack) {
  std::vector<std::string> lines;
  ServerPresence p("http://127.0.0.1:1",
                   [&](LogLevel, std::string_view l) { lines.emplace_back(l); });
  p.answered();
  EXPECT_TRUE(lines.empty());
  Error down{"connect_failed", "connection refused", "", 0};
  p.failed(down);
  p.failed(down);
  EXPECT_TRUE(p.away());
  p.answered();
  p.answered();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_NE(lines[0].find("lost the server at http://127.0.0.1:1"), std::string::npos);
  EXPECT_NE(lines[1].find("reconnected to http://127.0.0.1:1 after"), std::string::npos);
  EXPECT_FALSE(p.away());
}

}  // namespace
}  // namespace spool::client
