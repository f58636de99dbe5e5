#include "support/server_process.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "support/secrets.hpp"

namespace spool::testing {

std::string spool_binary() { return SPOOL_BINARY; }

ServerProcess::ServerProcess(Options options) : options_(std::move(options)) {
  log_path_ = options_.data_dir + ".log";
  // Debug logs every request: the secrets scan then sees every line a request can produce.
  options_.env.try_emplace("SPOOL_LOG_LEVEL", "debug");
  if (auto it = options_.env.find("SPOOL_TOKEN"); it != options_.env.end()) {
    secrets_.push_back(it->second);
  }
  for (std::size_t i = 0; i + 1 < options_.extra_args.size(); ++i) {
    if (options_.extra_args[i] == "--config") {
      for (auto& t : tokens_in_config_file(options_.extra_args[i + 1])) secrets_.push_back(t);
    }
  }
  for (const auto& s : secrets_) register_secret(s);
  int out[2];
  if (::pipe(out) != 0) throw std::runtime_error("pipe failed");
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    ::dup2(out[1], STDOUT_FILENO);
    int log = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (log >= 0) ::dup2(log, STDERR_FILENO);
    ::close(out[0]);
    ::close(out[1]);
    for (const auto& [k, v] : options_.env) ::setenv(k.c_str(), v.c_str(), 1);
    std::vector<std::string> args = {spool_binary(), "serve",  "--listen",
                                     "127.0.0.1:0",  "--data", options_.data_dir};
    args.insert(args.end(), options_.extra_args.begin(), options_.extra_args.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    std::fprintf(stderr, "exec %s failed: %s\n", argv[0], std::strerror(errno));
    ::_exit(127);
  }
  ::close(out[1]);
  // Wait for "spool listening on http://127.0.0.1:PORT".
  std::string seen;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{out[0], POLLIN, 0};
    if (::poll(&p, 1, 200) <= 0) continue;
    char buf[512];
    ssize_t n = ::read(out[0], buf, sizeof buf);
    if (n <= 0) break;
    seen.append(buf, static_cast<std::size_t>(n));
    auto at = seen.find("spool listening on http://");
    auto eol = seen.find('\n', at == std::string::npos ? 0 : at);
    if (at != std::string::npos && eol != std::string::npos) {
      std::string addr = seen.substr(at + 26, eol - at - 26);
      port_ = static_cast<std::uint16_t>(std::stoi(addr.substr(addr.rfind(':') + 1)));
      break;
    }
  }
  // Keep reading stdout in the background so the child never blocks on a full pipe.
  std::thread([fd = out[0]] {
    char buf[4096];
    while (::read(fd, buf, sizeof buf) > 0) {
    }
    ::close(fd);
  }).detach();
  if (port_ == 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    throw std::runtime_error("spool serve did not start; its log:\n" + log());
  }
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) {
    if (signal_and_wait(SIGTERM, 10) == -1) signal_and_wait(SIGKILL, 10);
  }
  check_log_for_secrets();
}

void ServerProcess::check_log_for_secrets() {
  auto secrets = registered_secrets();
  secrets.insert(secrets.end(), secrets_.begin(), secrets_.end());
  std::string leaks = secret_leaks(log(), secrets);
  EXPECT_TRUE(leaks.empty()) << "a token or an Authorization header reached the server log ("
                             << log_path_ << "):\n"
                             << leaks;
}

int ServerProcess::signal_and_wait(int signo, int seconds) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, signo);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      pid_ = -1;
      return status;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return -1;
}

std::string ServerProcess::log() const {
  std::ifstream in(log_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace spool::testing
