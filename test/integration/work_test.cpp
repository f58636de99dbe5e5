// Black-box tests of `spool work --exec`: a real `spool serve`, a real `spool work` process, real
// /bin/sh scripts as the programs, and every check made over the HTTP API (or on files the
// scripts write). Every wait has a deadline; none of these tests sleeps a fixed time to "let
// things happen".
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <thread>

#include "support/eventually.hpp"
#include "support/http.hpp"
#include "support/server_process.hpp"
#include "support/temp_dir.hpp"

extern char** environ;  // NOLINT: POSIX

namespace spool::testing {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_script(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
  ASSERT_EQ(::chmod(path.c_str(), 0755), 0) << path;
}

// A `spool work` child with its stdout and stderr in a log file. The destructor kills it (SIGKILL)
// if a test left it running.
class WorkProcess {
 public:
  WorkProcess(std::uint16_t port, std::vector<std::string> args, std::string log_path,
              std::map<std::string, std::string> env = {})
      : log_path_(std::move(log_path)) {
    std::vector<std::string> argv_strings = {spool_binary(), "work", "--url",
                                             "http://127.0.0.1:" + std::to_string(port)};
    argv_strings.insert(argv_strings.end(), args.begin(), args.end());
    std::vector<std::string> env_strings;
    for (char** e = environ; *e != nullptr; ++e) {
      std::string_view entry(*e);
      if (env.count(std::string(entry.substr(0, entry.find('=')))) == 0) {
        env_strings.emplace_back(entry);
      }
    }
    for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
    auto pointers = [](std::vector<std::string>& strings) {
      std::vector<char*> p;
      for (auto& s : strings) p.push_back(s.data());
      p.push_back(nullptr);
      return p;
    };
    std::vector<char*> argv = pointers(argv_strings);
    std::vector<char*> envp = pointers(env_strings);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_path_.c_str(),
                                     O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    int rc = ::posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
      ADD_FAILURE() << "cannot start " << argv[0] << ": " << std::strerror(rc);
      pid_ = -1;
    }
  }
  ~WorkProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  WorkProcess(const WorkProcess&) = delete;
  WorkProcess& operator=(const WorkProcess&) = delete;

  // Sends the signal (0: none) and waits up to `limit` for the exit; the waitpid status, or -1.
  int signal_and_wait(int signo, std::chrono::milliseconds limit) {
    if (pid_ <= 0) return -1;
    if (signo != 0) ::kill(pid_, signo);
    int status = -1;
    bool ended = eventually(
        [&] {
          int s = 0;
          if (::waitpid(pid_, &s, WNOHANG) != pid_) return false;
          status = s;
          return true;
        },
        limit);
    if (!ended) return -1;
    pid_ = -1;
    return status;
  }
  bool running() const { return pid_ > 0; }
  std::string log() const { return read_file(log_path_); }

 private:
  std::string log_path_;
  pid_t pid_ = -1;
};

class WorkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<ServerProcess>(ServerProcess::Options{dir_.file("data")});
    api_ = std::make_unique<HttpConnection>("127.0.0.1", server_->port());
  }

  std::unique_ptr<WorkProcess> start_work(std::vector<std::string> args,
                                          std::map<std::string, std::string> env = {}) {
    return std::make_unique<WorkProcess>(server_->port(), std::move(args),
                                         dir_.file("work-" + std::to_string(++works_) + ".log"),
                                         std::move(env));
  }

  // Enqueues on queue "work". A retry waits ten minutes, so a retried job stays "retrying".
  std::string enqueue(const std::string& type, json::object extra = {}) {
    json::object body{
        {"type", type},
        {"queue", "work"},
        {"payload", {{"to", "ana@example.com"}}},
        {"max_attempts", 3},
        {"backoff",
         {{"type", "fixed"}, {"base_ms", 600000}, {"max_ms", 600000}, {"jitter", false}}}};
    for (auto& [k, v] : extra) body[k] = v;
    auto r = api_->request("POST", "/v1/jobs", json::serialize(body));
    EXPECT_EQ(r.status, 202) << r.body;
    return std::string(r.json().at("id").as_string());
  }

  json::object job(const std::string& id) {
    auto r = api_->request("GET", "/v1/jobs/" + id);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json().as_object();
  }

  // Waits for the job to reach `state`; answers the job as last seen.
  json::object wait_for_state(const std::string& id, const std::string& state,
                              std::chrono::milliseconds limit = 20s) {
    json::object last;
    bool reached = eventually(
        [&] {
          last = job(id);
          return last.at("state") == json::value(state);
        },
        limit);
    EXPECT_TRUE(reached) << "job " << id << " did not become " << state << ": "
                         << json::serialize(last);
    return last;
  }

  static std::string last_error(const json::object& job, const char* field) {
    const json::value* error = job.if_contains("last_error");
    if (error == nullptr || !error->is_object()) return "<no last_error>";
    const json::value* value = error->as_object().if_contains(field);
    return value != nullptr && value->is_string() ? std::string(value->as_string()) : "";
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<HttpConnection> api_;
  int works_ = 0;
};

constexpr const char* kMappingScript = R"(#!/bin/sh
payload=$(cat)
case "$SPOOL_JOB_TYPE" in
  json) echo '{"sent":true,"n":[1,2]}' ;;
  text) echo 'sent to ana@example.com' ;;
  env) printf '%s|%s|%s|%s|%s|%s|%s' "$SPOOL_JOB_ID" "$SPOOL_JOB_TYPE" "$SPOOL_QUEUE" \
         "$SPOOL_ATTEMPT" "$SPOOL_MAX_ATTEMPTS" "$WORK_TEST_INHERITED" "$payload" ;;
  empty) ;;
  big) head -c 100000 /dev/zero | tr '\0' a ;;
  tempfail) echo 'smtp: 421 try again later' >&2; exit 75 ;;
  dataerr) echo 'no recipient in payload' >&2; exit 65 ;;
  usage) echo 'usage: send_email.sh' >&2; exit 64 ;;
  crash) echo 'something broke' >&2; exit 3 ;;
  segv) echo 'about to crash' >&2; kill -SEGV $$ ;;
  slow) trap '' TERM; echo 'sleeping' >&2; sleep 30 ;;
esac
)";

TEST_F(WorkTest, EveryExitCodeMapsToItsOutcome) {
  std::string script = dir_.file("map.sh");
  write_script(script, kMappingScript);
  auto work = start_work({"--queue", "work", "--exec", script, "--concurrency", "4", "--timeout",
                          "1s", "--kill-grace", "500ms"},
                         {{"WORK_TEST_INHERITED", "inherited"}});
  std::map<std::string, std::string> ids;
  for (const char* type : {"json", "text", "env", "empty", "big", "tempfail", "dataerr", "usage",
                           "crash", "segv", "slow"}) {
    ids[type] = enqueue(type);
  }

  // exit 0: acked, stdout is the result.
  json::object done = wait_for_state(ids["json"], "completed");
  EXPECT_EQ(done["result"], (json::value{{"sent", true}, {"n", {1, 2}}}));  // JSON, not a string
  EXPECT_EQ(done["attempts"], 1);
  done = wait_for_state(ids["text"], "completed");
  EXPECT_EQ(done["result"], json::value("sent to ana@example.com"));
  done = wait_for_state(ids["env"], "completed");
  EXPECT_EQ(done["result"],
            json::value(ids["env"] + "|env|work|1|3|inherited|" + R"({"to":"ana@example.com"})"));
  done = wait_for_state(ids["empty"], "completed");
  EXPECT_TRUE(done["result"].is_null()) << done["result"];
  done = wait_for_state(ids["big"], "completed");
  ASSERT_TRUE(done["result"].is_string()) << "the 100000-byte output was not kept as a string";
  EXPECT_EQ(done["result"].as_string(), std::string(64 * 1024, 'a'));

  // 75 and everything but 0, 64 and 65 retry; 64 and 65 fail permanently.
  json::object failed = wait_for_state(ids["tempfail"], "retrying");
  EXPECT_EQ(failed["attempts"], 1);
  EXPECT_EQ(last_error(failed, "kind"), "retry");
  EXPECT_EQ(last_error(failed, "message"), "exit 75 (EX_TEMPFAIL): smtp: 421 try again later");
  failed = wait_for_state(ids["dataerr"], "dead");
  EXPECT_EQ(failed["attempts"], 1);
  EXPECT_EQ(last_error(failed, "kind"), "permanent");
  EXPECT_EQ(last_error(failed, "message"), "exit 65 (EX_DATAERR): no recipient in payload");
  failed = wait_for_state(ids["usage"], "dead");
  EXPECT_EQ(last_error(failed, "kind"), "permanent");
  EXPECT_EQ(last_error(failed, "message"), "exit 64 (EX_USAGE): usage: send_email.sh");
  failed = wait_for_state(ids["crash"], "retrying");
  EXPECT_EQ(last_error(failed, "kind"), "retry");
  EXPECT_EQ(last_error(failed, "message"), "exit 3: something broke");
  failed = wait_for_state(ids["segv"], "retrying");
  EXPECT_EQ(last_error(failed, "message").rfind("killed by SIGSEGV", 0), 0u)
      << last_error(failed, "message");
  EXPECT_NE(last_error(failed, "message").find(": about to crash"), std::string::npos);

  // Past --timeout: SIGTERM (ignored here), SIGKILL after --kill-grace, then a retry.
  failed = wait_for_state(ids["slow"], "retrying", 15s);
  EXPECT_EQ(failed["attempts"], 1);
  EXPECT_EQ(last_error(failed, "message"),
            "timed out after 1 s, killed by SIGKILL after the grace: sleeping");

  EXPECT_EQ(work->signal_and_wait(SIGTERM, 15s), 0) << work->log();
  std::string log = work->log();
  EXPECT_NE(log.find("job=" + ids["crash"] + " stderr: something broke"), std::string::npos)
      << "the program's stderr is copied to the log:\n"
      << log;
  EXPECT_NE(log.find("event=result_cut job=" + ids["big"]), std::string::npos) << log;
}

TEST_F(WorkTest, ConcurrencyIsNeverExceeded) {
  std::string dir = dir_.file("running");
  std::filesystem::create_directory(dir);
  std::string script = dir_.file("count.sh");
  // Each run marks itself in `dir` while it runs and records how many marks it saw: a count can
  // only be lower than what ran at that moment, never higher.
  write_script(script, R"(#!/bin/sh
touch "$WORK_TEST_DIR/run.$SPOOL_JOB_ID"
ls "$WORK_TEST_DIR" | grep -c '^run\.' >> "$WORK_TEST_DIR/../counts"
sleep 0.3
rm "$WORK_TEST_DIR/run.$SPOOL_JOB_ID"
)");
  auto work = start_work({"--queue", "work", "--exec", script, "--concurrency", "3", "--quiet"},
                         {{"WORK_TEST_DIR", dir}});
  std::vector<std::string> ids;
  for (int i = 0; i < 12; ++i) ids.push_back(enqueue("count"));
  for (const auto& id : ids) wait_for_state(id, "completed", 30s);

  std::istringstream counts(read_file(dir_.file("counts")));
  int runs = 0;
  int most = 0;
  for (int n; counts >> n; ++runs) most = std::max(most, n);
  EXPECT_EQ(runs, 12);
  EXPECT_LE(most, 3);
  EXPECT_GE(most, 2) << "the jobs never ran side by side";
  EXPECT_EQ(work->signal_and_wait(SIGTERM, 15s), 0) << work->log();
}

TEST_F(WorkTest, SigtermLetsTheRunningProgramFinishLeavesTheRestQueuedAndExitsZero) {
  std::string script = dir_.file("finish.sh");
  write_script(script, R"(#!/bin/sh
touch "$WORK_TEST_DIR/started.$SPOOL_JOB_ID"
sleep 1.5
echo finished
)");
  auto work = start_work({"--queue", "work", "--exec", script, "--concurrency", "1"},
                         {{"WORK_TEST_DIR", dir_.path()}});
  std::string first = enqueue("finish");
  std::string second = enqueue("finish");
  ASSERT_TRUE(eventually([&] { return std::filesystem::exists(dir_.file("started." + first)); }))
      << work->log();

  int status = work->signal_and_wait(SIGTERM, 20s);
  ASSERT_NE(status, -1) << "spool work did not exit after SIGTERM:\n" << work->log();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status << "\n" << work->log();

  json::object done = job(first);
  EXPECT_EQ(done["state"], "completed") << json::serialize(done);
  EXPECT_EQ(done["result"], "finished");
  json::object waiting = job(second);
  EXPECT_EQ(waiting["state"], "queued") << json::serialize(waiting);
  EXPECT_EQ(waiting["attempts"], 0);
  EXPECT_FALSE(std::filesystem::exists(dir_.file("started." + second)));
}

TEST_F(WorkTest, WhenTheShutdownGraceRunsOutTheProgramIsStoppedAndItsJobHandedBack) {
  std::string script = dir_.file("forever.sh");
  write_script(script, R"(#!/bin/sh
echo $$ > "$WORK_TEST_DIR/shell.pid"
sleep 30 &
echo $! > "$WORK_TEST_DIR/sleep.pid"
wait
)");
  auto work = start_work(
      {"--queue", "work", "--exec", script, "--shutdown-grace", "1s", "--kill-grace", "1s"},
      {{"WORK_TEST_DIR", dir_.path()}});
  std::string id = enqueue("forever");
  ASSERT_TRUE(eventually([&] { return !read_file(dir_.file("sleep.pid")).empty(); }))
      << work->log();
  pid_t shell = std::stoi(read_file(dir_.file("shell.pid")));
  pid_t sleeper = std::stoi(read_file(dir_.file("sleep.pid")));

  auto signalled = Clock::now();
  int status = work->signal_and_wait(SIGTERM, 20s);
  ASSERT_NE(status, -1) << "spool work did not exit after SIGTERM:\n" << work->log();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status << "\n" << work->log();
  EXPECT_LT(Clock::now() - signalled, 10s);

  json::object back = job(id);
  EXPECT_EQ(back["state"], "queued") << json::serialize(back);
  EXPECT_EQ(back["attempts"], 0) << "a job handed back at shutdown spends no attempt";
  // The program and what it started are gone (a zombie waiting for init counts as gone).
  auto gone = [](pid_t pid) {
    std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
    std::size_t paren = stat.rfind(')');
    return stat.empty() ||
           (paren != std::string::npos && stat.size() > paren + 2 && stat[paren + 2] == 'Z');
  };
  EXPECT_TRUE(eventually([&] { return gone(shell) && gone(sleeper); }, 5s));
}

TEST_F(WorkTest, TheLeaseIsRenewedWhileTheProgramRunsPastIt) {
  std::string script = dir_.file("long.sh");
  write_script(script, "#!/bin/sh\nsleep 2.5\necho '{\"ok\":1}'\n");
  auto work = start_work({"--queue", "work", "--exec", script});
  std::string id = enqueue("long", {{"lease_ms", 1000}});
  json::object done = wait_for_state(id, "completed", 20s);
  EXPECT_EQ(done["attempts"], 1) << json::serialize(done);
  EXPECT_EQ(done["result"], (json::value{{"ok", 1}}));
  const json::value* errors = done.if_contains("errors");
  EXPECT_TRUE(errors == nullptr || errors->is_null() || errors->as_array().empty())
      << json::serialize(done);
  EXPECT_EQ(work->signal_and_wait(SIGTERM, 15s), 0) << work->log();
}

TEST_F(WorkTest, AProgramThatCannotRunIsABadUsageBeforeAnyJobIsTaken) {
  std::string id = enqueue("anything");
  auto work = start_work({"--queue", "work", "--exec", "./no such program.sh"});
  int status = work->signal_and_wait(0, 10s);
  ASSERT_NE(status, -1) << work->log();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 2) << status;
  std::string log = work->log();
  EXPECT_NE(log.find("--exec: cannot run ./no such program.sh"), std::string::npos) << log;
  EXPECT_NE(log.find("put its arguments after `--`"), std::string::npos) << log;
  EXPECT_EQ(job(id)["attempts"], 0);
}

}  // namespace
}  // namespace spool::testing
