// ChildProcess: a real child process for the client library's process-level tests (a
// spool_test_worker to kill -9 or SIGTERM, a `spool serve` on a fixed port to stop and start
// again). Its stdout and stderr go to a file the test can read and wait on. The destructor
// kills (SIGKILL) and reaps a child still alive.
//
// Threading: one test thread.
#pragma once

#include <sys/types.h>
#include <time.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace spool::testing {

class ChildProcess {
 public:
  struct Options {
    std::vector<std::string> argv;           // argv[0] is the path to execute
    std::map<std::string, std::string> env;  // added to the test's environment
    std::string output_path;                 // stdout and stderr, appended
  };

  explicit ChildProcess(Options options);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  void signal(int signo);
  // The wait status once it exited within `timeout`, nullopt if it is still running.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);
  std::string output() const;
  // Polls the output file until it contains `needle` or the time is up.
  bool wait_output(const std::string& needle, std::chrono::milliseconds timeout) const;

 private:
  Options options_;
  pid_t pid_ = -1;
};

// A loopback port nothing listened on a moment ago (bind to 0, read it, close).
std::uint16_t free_port();

// Polls `condition` every 10 ms until it holds or `timeout` passes; answers the last result.
template <typename F>
bool eventually(F condition, std::chrono::milliseconds timeout) {
  auto end = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= end) return false;
    struct timespec ts {
      0, 10'000'000
    };
    ::nanosleep(&ts, nullptr);
  }
}

}  // namespace spool::testing
