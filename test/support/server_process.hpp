// ServerProcess: a real `spool serve` child process on a free loopback port with its data in a
// temp dir, for black-box tests. The destructor stops it (SIGKILL if SIGTERM is not enough).
//
// Every server logs at debug level unless the test sets SPOOL_LOG_LEVEL or --log-level, and when
// it stops its log is scanned for secrets (secrets.hpp): its SPOOL_TOKEN, the tokens of its
// --config file, and every token a test connection sent. A leak fails the test that ran it.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace spool::testing {

class ServerProcess {
 public:
  struct Options {
    std::string data_dir;  // required
    std::vector<std::string> extra_args;
    std::map<std::string, std::string> env;  // added to the child's environment
  };

  explicit ServerProcess(Options options);
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  std::uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  // Sends the signal and waits up to `seconds` for the exit; answers the exit status as
  // waitpid reports it, or -1 on timeout.
  int signal_and_wait(int signo, int seconds = 10);
  // Everything the server wrote to stderr so far (its log).
  std::string log() const;

 private:
  void check_log_for_secrets();

  Options options_;
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
  std::string log_path_;
  std::vector<std::string> secrets_;  // this server's own tokens
};

// The path of the spool binary under test.
std::string spool_binary();

}  // namespace spool::testing
