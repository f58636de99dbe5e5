// Unit tests for the exit-code contract of `spool work --exec` (work_outcome.hpp).
#include "work_outcome.hpp"

#include <gtest/gtest.h>
#include <signal.h>

#include <boost/json.hpp>

namespace spool::work {
namespace {

using namespace std::chrono_literals;
using Kind = JobVerdict::Kind;

ProcessOutcome exited(int code, std::string out = "", std::string err = "") {
  ProcessOutcome outcome;
  outcome.end = ProcessEnd::kExited;
  outcome.exit_code = code;
  outcome.output_bytes = out.size();
  outcome.output = std::move(out);
  outcome.error_bytes = err.size();
  outcome.error_tail = std::move(err);
  return outcome;
}

TEST(WorkOutcomeTest, ExitZeroAcksWithStdoutAsJsonWhenItParses) {
  JobVerdict verdict = judge(exited(0, "{\"sent\": true, \"id\": 42}\n"));
  EXPECT_EQ(verdict.kind, Kind::kAck);
  ASSERT_TRUE(verdict.result.has_value());
  EXPECT_EQ(*verdict.result, (boost::json::value{{"sent", true}, {"id", 42}}));
  EXPECT_EQ(*judge(exited(0, "  12\n")).result, boost::json::value(12));
}

TEST(WorkOutcomeTest, ExitZeroAcksWithStdoutAsAStringWhenItIsNotJson) {
  JobVerdict verdict = judge(exited(0, "sent to ana@example.com\n"));
  EXPECT_EQ(verdict.kind, Kind::kAck);
  EXPECT_EQ(*verdict.result, boost::json::value("sent to ana@example.com"));
  EXPECT_TRUE(verdict.note.empty());
}

TEST(WorkOutcomeTest, ExitZeroWithNoOutputAcksWithoutAResult) {
  EXPECT_FALSE(judge(exited(0, "")).result.has_value());
  EXPECT_FALSE(judge(exited(0, " \n\n")).result.has_value());
  EXPECT_EQ(judge(exited(0, "")).kind, Kind::kAck);
}

TEST(WorkOutcomeTest, OutputPastTheLimitIsKeptAsAStringAndNoted) {
  ProcessOutcome outcome = exited(0, "[\"" + std::string(100, 'a'));
  outcome.output_bytes = 70'000;
  JobVerdict verdict = judge(outcome);
  EXPECT_EQ(verdict.kind, Kind::kAck);
  ASSERT_TRUE(verdict.result && verdict.result->is_string());
  EXPECT_EQ(verdict.result->as_string(), outcome.output);
  EXPECT_EQ(verdict.note, "stdout was 70000 bytes; the result is its first 102 as a string");
}

TEST(WorkOutcomeTest, ACharacterCutByTheLimitIsDroppedNotMangled) {
  ProcessOutcome outcome = exited(0, "ab\xE2\x82");  // the first two bytes of a euro sign
  outcome.output_bytes = 100;
  EXPECT_EQ(judge(outcome).result->as_string(), "ab");
}

TEST(WorkOutcomeTest, OutputThatIsNotUtf8BecomesAValidString) {
  JobVerdict verdict = judge(exited(0, "bad \xFF byte"));
  EXPECT_EQ(verdict.result->as_string(), "bad \xEF\xBF\xBD byte");
}

TEST(WorkOutcomeTest, Exit75RetriesWithTheTailOfStderr) {
  JobVerdict verdict = judge(exited(75, "ignored", "smtp: 421 try later\n"));
  EXPECT_EQ(verdict.kind, Kind::kRetry);
  EXPECT_EQ(verdict.message, "exit 75 (EX_TEMPFAIL): smtp: 421 try later");
  EXPECT_FALSE(verdict.result.has_value());
}

TEST(WorkOutcomeTest, Exit65And64FailPermanently) {
  JobVerdict data = judge(exited(65, "", "no recipient in payload\n"));
  EXPECT_EQ(data.kind, Kind::kPermanent);
  EXPECT_EQ(data.message, "exit 65 (EX_DATAERR): no recipient in payload");
  JobVerdict usage = judge(exited(64));
  EXPECT_EQ(usage.kind, Kind::kPermanent);
  EXPECT_EQ(usage.message, "exit 64 (EX_USAGE)");
}

TEST(WorkOutcomeTest, AnyOtherExitRetries) {
  for (int code : {1, 2, 3, 66, 74, 76, 126, 127, 255}) {
    JobVerdict verdict = judge(exited(code, "", "boom"));
    EXPECT_EQ(verdict.kind, Kind::kRetry) << code;
    EXPECT_EQ(verdict.message, "exit " + std::to_string(code) + ": boom");
  }
}

TEST(WorkOutcomeTest, ASignalRetriesNamingIt) {
  ProcessOutcome outcome;
  outcome.end = ProcessEnd::kSignaled;
  outcome.signal = SIGSEGV;
  outcome.error_tail = "segfault in render()\n";
  outcome.error_bytes = outcome.error_tail.size();
  JobVerdict verdict = judge(outcome);
  EXPECT_EQ(verdict.kind, Kind::kRetry);
  EXPECT_EQ(verdict.message, "killed by SIGSEGV: segfault in render()");
}

TEST(WorkOutcomeTest, ATimeoutRetriesEvenWhenTheProgramExitedZeroOnSigterm) {
  ProcessOutcome outcome = exited(0, "{}");
  outcome.end = ProcessEnd::kTimedOut;
  outcome.timeout = 60s;
  JobVerdict verdict = judge(outcome);
  EXPECT_EQ(verdict.kind, Kind::kRetry);
  EXPECT_EQ(verdict.message, "timed out after 60 s");
}

TEST(WorkOutcomeTest, AProgramThatCouldNotStartRetries) {
  ProcessOutcome outcome;
  outcome.end = ProcessEnd::kNotStarted;
  outcome.start_error = "cannot run ./x.sh: No such file or directory";
  JobVerdict verdict = judge(outcome);
  EXPECT_EQ(verdict.kind, Kind::kRetry);
  EXPECT_EQ(verdict.message, outcome.start_error);
}

TEST(WorkOutcomeTest, ACutStderrTailIsMarkedAndRepaired) {
  ProcessOutcome outcome = exited(1, "", "tail \xFF end");
  outcome.error_bytes = 10'000;
  EXPECT_EQ(judge(outcome).message, "exit 1: ...tail \xEF\xBF\xBD end");
}

}  // namespace
}  // namespace spool::work
