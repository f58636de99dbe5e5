// Unit tests for the process runner (process_runner.hpp) with real /bin/sh children. Each test
// is bounded: the programs sleep at most 30 s and every timeout or stop here is well under that,
// so a runner that fails to end a child shows up as a slow, failing test, not a hang.
#include "process_runner.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

namespace spool::work {
namespace {

using namespace std::chrono_literals;

ProcessSpec shell(std::string script) { return ProcessSpec{.argv = {"/bin/sh", "-c", script}}; }

// True once /proc says the process is gone or a zombie (whoever reaps orphans may be slow).
bool gone(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return true;
  std::string line;
  std::getline(stat, line);
  std::size_t close_paren = line.rfind(')');
  return close_paren != std::string::npos && line.size() > close_paren + 2 &&
         line[close_paren + 2] == 'Z';
}

bool gone_within(pid_t pid, std::chrono::milliseconds limit) {
  auto until = std::chrono::steady_clock::now() + limit;
  while (!gone(pid)) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

TEST(ProcessRunnerTest, ReportsTheExitCode) {
  ProcessOutcome outcome = run_process(shell("exit 3"));
  EXPECT_EQ(outcome.end, ProcessEnd::kExited);
  EXPECT_EQ(outcome.exit_code, 3);
  EXPECT_EQ(outcome.signal, 0);
  EXPECT_EQ(describe(outcome), "exit 3");
}

TEST(ProcessRunnerTest, WritesTheInputToStdinAndReadsStdoutAndStderrApart) {
  ProcessSpec spec = shell("cat; echo oops >&2");
  spec.input = R"({"to":"ana@example.com"})";
  ProcessOutcome outcome = run_process(spec);
  EXPECT_EQ(outcome.end, ProcessEnd::kExited);
  EXPECT_EQ(outcome.exit_code, 0);
  EXPECT_EQ(outcome.output, spec.input);
  EXPECT_EQ(outcome.error_tail, "oops\n");
}

TEST(ProcessRunnerTest, AnEmptyInputIsAnImmediateEndOfFile) {
  ProcessOutcome outcome = run_process(shell("wc -c"));
  EXPECT_EQ(outcome.exit_code, 0);
  EXPECT_EQ(outcome.output.find_first_not_of(" \t"), outcome.output.find('0'));
}

TEST(ProcessRunnerTest, AChattyProgramOnBothPipesWithALargeInputDoesNotDeadlock) {
  // Far more than a pipe holds (64 KiB) in every direction at once: a runner that wrote all of
  // stdin before reading, or read stdout before stderr, would block forever here.
  ProcessSpec spec = shell(
      "head -c 1000000 /dev/zero | tr '\\0' e >&2; head -c 2000000 /dev/zero | tr '\\0' o; "
      "wc -c");
  spec.input = std::string(3'000'000, 'i');
  spec.timeout = 60s;
  ProcessOutcome outcome = run_process(spec);
  EXPECT_EQ(outcome.end, ProcessEnd::kExited);
  EXPECT_EQ(outcome.exit_code, 0);
  EXPECT_EQ(outcome.output_bytes, 2'000'000u + 8u);  // the o's, then "3000000\n"
  EXPECT_EQ(outcome.output.size(), spec.output_limit);
  EXPECT_TRUE(outcome.output_truncated());
  EXPECT_EQ(outcome.output, std::string(spec.output_limit, 'o'));
  EXPECT_EQ(outcome.error_bytes, 1'000'000u);
  EXPECT_EQ(outcome.error_tail, std::string(spec.error_tail_limit, 'e'));
}

TEST(ProcessRunnerTest, AProgramThatClosesStdinEarlyDoesNotKillUsWithSigpipe) {
  ProcessSpec spec = shell("exec 0<&-; sleep 0.1; echo fine");
  spec.input = std::string(4'000'000, 'x');
  ProcessOutcome outcome = run_process(spec);
  EXPECT_EQ(outcome.exit_code, 0);
  EXPECT_EQ(outcome.output, "fine\n");
}

TEST(ProcessRunnerTest, TheEnvironmentIsInheritedWithTheSpecsVariablesOnTop) {
  ASSERT_EQ(::setenv("SPOOL_RUNNER_TEST_INHERITED", "from-parent", 1), 0);
  ASSERT_EQ(::setenv("SPOOL_JOB_ID", "stale", 1), 0);
  ProcessSpec spec = shell(
      "echo \"$SPOOL_RUNNER_TEST_INHERITED $SPOOL_JOB_ID $SPOOL_ATTEMPT\"; "
      "env | grep -c '^SPOOL_JOB_ID='");
  spec.env = {{"SPOOL_JOB_ID", "01JD5Z8Q3N4M6P7R8S9T0V1W2X"}, {"SPOOL_ATTEMPT", "2"}};
  ProcessOutcome outcome = run_process(spec);
  ::unsetenv("SPOOL_RUNNER_TEST_INHERITED");
  ::unsetenv("SPOOL_JOB_ID");
  EXPECT_EQ(outcome.output, "from-parent 01JD5Z8Q3N4M6P7R8S9T0V1W2X 2\n1\n");
}

TEST(ProcessRunnerTest, ArgumentsArePassedAsTheyAreWithoutAShell) {
  ProcessSpec spec{.argv = {"printf", "%s|", "two words", "$HOME", "*"}};
  ProcessOutcome outcome = run_process(spec);
  EXPECT_EQ(outcome.exit_code, 0) << outcome.start_error;
  EXPECT_EQ(outcome.output, "two words|$HOME|*|");
}

TEST(ProcessRunnerTest, DeathBySignalIsReportedWithTheSignalsName) {
  ProcessOutcome outcome = run_process(shell("kill -SEGV $$"));
  EXPECT_EQ(outcome.end, ProcessEnd::kSignaled);
  EXPECT_EQ(outcome.signal, SIGSEGV);
  EXPECT_EQ(outcome.exit_code, -1);
  EXPECT_EQ(describe(outcome).rfind("killed by SIGSEGV", 0), 0u) << describe(outcome);
}

TEST(ProcessRunnerTest, ATimeoutSendsSigtermToTheProgram) {
  ProcessSpec spec = shell("sleep 30");
  spec.timeout = 200ms;
  ProcessOutcome outcome = run_process(spec);
  EXPECT_EQ(outcome.end, ProcessEnd::kTimedOut);
  EXPECT_EQ(outcome.signal, SIGTERM);
  EXPECT_GE(outcome.took, 200ms);
  EXPECT_LT(outcome.took, 5s);
  EXPECT_EQ(describe(outcome), "timed out after 200 ms");
}

TEST(ProcessRunnerTest, AProgramThatIgnoresSigtermGetsSigkillAfterTheGrace) {
  ProcessSpec spec = shell("trap '' TERM; echo started; sleep 30");
  spec.timeout = 200ms;
  spec.kill_grace = 300ms;
  ProcessOutcome outcome = run_process(spec);
  EXPECT_EQ(outcome.end, ProcessEnd::kTimedOut);
  EXPECT_EQ(outcome.signal, SIGKILL);
  EXPECT_GE(outcome.took, 500ms);
  EXPECT_LT(outcome.took, 5s);
  EXPECT_EQ(outcome.output, "started\n");
  EXPECT_EQ(describe(outcome), "timed out after 200 ms, killed by SIGKILL after the grace");
}

TEST(ProcessRunnerTest, AProgramThatExitsOnSigtermStillCountsAsTimedOut) {
  ProcessSpec spec = shell("trap 'echo bye >&2; exit 0' TERM; sleep 30 & wait");
  spec.timeout = 200ms;
  ProcessOutcome outcome = run_process(spec);
  EXPECT_EQ(outcome.end, ProcessEnd::kTimedOut);
  EXPECT_EQ(outcome.exit_code, 0);
  EXPECT_EQ(outcome.error_tail, "bye\n");
  EXPECT_LT(outcome.took, 5s);
}

TEST(ProcessRunnerTest, TheKillReachesTheProgramsOwnChildren) {
  ProcessSpec spec = shell("sleep 30 & echo $!; wait");
  spec.timeout = 300ms;
  ProcessOutcome outcome = run_process(spec);
  EXPECT_EQ(outcome.end, ProcessEnd::kTimedOut);
  pid_t grandchild = std::atoi(outcome.output.c_str());
  ASSERT_GT(grandchild, 0) << outcome.output;
  EXPECT_TRUE(gone_within(grandchild, 3s));
}

TEST(ProcessRunnerTest, WhatTheProgramLeftRunningDoesNotKeepTheJobOpen) {
  // The background sleep holds stdout open; the job still ends when the program does.
  ProcessOutcome outcome = run_process(shell("sleep 30 & echo $!"));
  EXPECT_EQ(outcome.end, ProcessEnd::kExited);
  EXPECT_EQ(outcome.exit_code, 0);
  EXPECT_LT(outcome.took, 3s);
  pid_t leftover = std::atoi(outcome.output.c_str());
  ASSERT_GT(leftover, 0) << outcome.output;
  EXPECT_TRUE(gone_within(leftover, 3s));
}

TEST(ProcessRunnerTest, ARequestedStopEndsTheProgram) {
  std::stop_source stop;
  std::jthread stopper([&] {
    std::this_thread::sleep_for(200ms);
    stop.request_stop();
  });
  ProcessOutcome outcome = run_process(shell("sleep 30"), stop.get_token());
  EXPECT_EQ(outcome.end, ProcessEnd::kStopped);
  EXPECT_EQ(outcome.signal, SIGTERM);
  EXPECT_LT(outcome.took, 5s);
  EXPECT_EQ(describe(outcome), "stopped");
}

TEST(ProcessRunnerTest, AStopRequestedBeforeTheStartStillRunsAndEndsItAtOnce) {
  std::stop_source stop;
  stop.request_stop();
  ProcessOutcome outcome = run_process(shell("sleep 30"), stop.get_token());
  EXPECT_EQ(outcome.end, ProcessEnd::kStopped);
  EXPECT_LT(outcome.took, 5s);
}

TEST(ProcessRunnerTest, TheChildInheritsNoDescriptorButItsPipes) {
  int opened = ::open("/dev/null", O_RDONLY);  // no O_CLOEXEC, on purpose
  ASSERT_GE(opened, 0);
  int leaky = ::dup2(opened, 57);
  ::close(opened);
  ASSERT_EQ(leaky, 57);
  ProcessOutcome outcome =
      run_process(shell("cd /proc/$$/fd && for f in *; do printf '%s ' \"$f\"; done"));
  ::close(leaky);
  // 3 is the directory the shell's glob is reading at that moment.
  EXPECT_EQ(outcome.output, "0 1 2 3 ");
}

TEST(ProcessRunnerTest, TheChildGetsDefaultSignalDispositionsAndAnEmptyMask) {
  struct sigaction ignore {};
  struct sigaction old_action {};
  ignore.sa_handler = SIG_IGN;
  ASSERT_EQ(::sigaction(SIGUSR1, &ignore, &old_action), 0);
  sigset_t usr2;
  sigset_t old_mask;
  sigemptyset(&usr2);
  sigaddset(&usr2, SIGUSR2);
  ASSERT_EQ(::pthread_sigmask(SIG_BLOCK, &usr2, &old_mask), 0);

  // exec, so the process that reads its status is the one spawned: a shell that forks a child
  // blocks signals in itself for a moment, and reading the shell's mask then races with that.
  ProcessOutcome masks = run_process(shell("exec grep -E '^Sig(Blk|Ign)' /proc/self/status"));
  ProcessOutcome killed = run_process(shell("kill -USR1 $$; echo survived"));

  ::pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  ::sigaction(SIGUSR1, &old_action, nullptr);
  EXPECT_NE(masks.output.find("SigBlk:\t0000000000000000"), std::string::npos) << masks.output;
  EXPECT_EQ(killed.end, ProcessEnd::kSignaled) << killed.output;
  EXPECT_EQ(killed.signal, SIGUSR1);
}

TEST(ProcessRunnerTest, TheChildLeadsAProcessGroupOfItsOwn) {
  ProcessOutcome outcome =
      run_process(shell("ps -o pid= -o pgid= -p $$ 2>/dev/null || "
                        "awk '{print $1, $5}' /proc/$$/stat"));
  std::istringstream fields(outcome.output);
  long pid = 0;
  long pgid = 0;
  fields >> pid >> pgid;
  EXPECT_GT(pid, 0) << outcome.output;
  EXPECT_EQ(pid, pgid);
  EXPECT_NE(pgid, static_cast<long>(::getpgrp()));
}

TEST(ProcessRunnerTest, AMissingProgramIsReportedNotStarted) {
  ProcessOutcome outcome = run_process(ProcessSpec{.argv = {"/nonexistent/send_email.sh"}});
  EXPECT_EQ(outcome.end, ProcessEnd::kNotStarted);
  EXPECT_NE(outcome.start_error.find("cannot run /nonexistent/send_email.sh: No such file"),
            std::string::npos)
      << outcome.start_error;
  EXPECT_EQ(describe(outcome), outcome.start_error);
}

TEST(ProcessRunnerTest, LeavesNoZombiesAfterManyRunsAtOnce) {
  std::vector<std::jthread> threads;
  threads.reserve(8);
  std::atomic<int> ok{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        ProcessSpec spec = shell("cat");
        spec.input = "x";
        if (run_process(spec).output == "x") ++ok;
      }
    });
  }
  threads.clear();
  EXPECT_EQ(ok.load(), 80);
  errno = 0;
  EXPECT_EQ(::waitpid(-1, nullptr, WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD);  // no child of ours left, reaped or not
}

TEST(ProcessRunnerTest, FormatsDurationsAndSignalNamesForPeople) {
  EXPECT_EQ(format_seconds(60s), "60 s");
  EXPECT_EQ(format_seconds(1500ms), "1.5 s");
  EXPECT_EQ(format_seconds(1005ms), "1.005 s");
  EXPECT_EQ(format_seconds(250ms), "250 ms");
  EXPECT_EQ(signal_name(SIGKILL), "SIGKILL");
  EXPECT_EQ(signal_name(SIGRTMIN + 3), "signal " + std::to_string(SIGRTMIN + 3));
}

TEST(ProcessRunnerTest, SanitizeUtf8KeepsValidTextAndReplacesTheRest) {
  EXPECT_EQ(sanitize_utf8("plain"), "plain");
  EXPECT_EQ(sanitize_utf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"),
            "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
  EXPECT_EQ(sanitize_utf8("a\xFF"
                          "b"),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(sanitize_utf8("\xC3"), "\xEF\xBF\xBD");                                  // cut short
  EXPECT_EQ(sanitize_utf8("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");                  // overlong
  EXPECT_EQ(sanitize_utf8("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
}

TEST(ProcessRunnerTest, FindProgramLooksInPathAndExplainsWhatIsWrong) {
  std::string why;
  EXPECT_EQ(find_program("/bin/sh", &why).value_or(""), "/bin/sh");
  EXPECT_TRUE(find_program("sh", &why).has_value());
  EXPECT_FALSE(find_program("/nonexistent/x.sh", &why));
  EXPECT_NE(why.find("No such file"), std::string::npos) << why;
  EXPECT_FALSE(find_program("no-such-program-anywhere", &why));
  EXPECT_EQ(why, "no program named no-such-program-anywhere in PATH");
  EXPECT_FALSE(find_program("/", &why));
  EXPECT_NE(why.find("directory"), std::string::npos) << why;

  char dir_template[] = "/tmp/spool-runner-test-XXXXXX";
  ASSERT_NE(::mkdtemp(dir_template), nullptr);
  std::string script = std::string(dir_template) + "/not_executable.sh";
  std::ofstream(script) << "#!/bin/sh\n";
  if (::geteuid() != 0) {  // root may execute anything with an x bit... and reads past modes
    EXPECT_FALSE(find_program(script, &why));
    EXPECT_NE(why.find("not executable"), std::string::npos) << why;
  }
  ::unlink(script.c_str());
  ::rmdir(dir_template);
}

}  // namespace
}  // namespace spool::work
