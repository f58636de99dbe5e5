// See process_runner.hpp. One poll() loop per child over its stdin, stdout and stderr pipes, a
// pidfd that becomes readable when it exits, and an eventfd that a stop request writes to.
#include "process_runner.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <set>

extern char** environ;  // NOLINT: POSIX

namespace spool::work {
namespace {

using Clock = std::chrono::steady_clock;

// A file descriptor closed on destruction.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() { reset(); }
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

// Moves fd above 2 when it landed on 0, 1 or 2 (possible only when the caller runs with a
// standard descriptor closed), so the child's dup2 onto 0..2 cannot overwrite another pipe end.
bool lift_above_stdio(UniqueFd& fd) {
  if (fd.get() > 2) return true;
  int lifted = ::fcntl(fd.get(), F_DUPFD_CLOEXEC, 3);
  if (lifted < 0) return false;
  fd = UniqueFd(lifted);
  return true;
}

struct Pipe {
  UniqueFd read;
  UniqueFd write;
};

// O_CLOEXEC from the start: another thread spawning at the same moment must not inherit it.
bool make_pipe(Pipe& pipe) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return false;
  pipe.read = UniqueFd(fds[0]);
  pipe.write = UniqueFd(fds[1]);
  return lift_above_stdio(pipe.read) && lift_above_stdio(pipe.write);
}

bool set_nonblocking(int fd) {
  int flags = ::fcntl(fd, F_GETFL);
  return flags >= 0 && ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0;
}

// write() without letting SIGPIPE kill the process when the child has closed its stdin: the
// signal is blocked on this thread only, and the one this write raised is taken off again.
ssize_t write_without_sigpipe(int fd, const char* data, std::size_t size) {
  sigset_t pipe_set;
  sigset_t old_mask;
  sigset_t pending;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old_mask);
  sigpending(&pending);
  bool was_pending = sigismember(&pending, SIGPIPE) == 1;
  ssize_t written = ::write(fd, data, size);
  int saved_errno = errno;
  if (written < 0 && saved_errno == EPIPE && !was_pending) {
    timespec zero{};
    while (sigtimedwait(&pipe_set, nullptr, &zero) < 0 && errno == EINTR) {
    }
  }
  pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  errno = saved_errno;
  return written;
}

// The caller's environment without the names `spec.env` sets, then `spec.env`.
std::vector<std::string> child_environment(const ProcessSpec& spec) {
  std::set<std::string, std::less<>> replaced;
  for (const auto& [name, value] : spec.env) replaced.insert(name);
  std::vector<std::string> env;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string_view text(*entry);
    std::string_view name = text.substr(0, text.find('='));
    if (replaced.find(name) == replaced.end()) env.emplace_back(text);
  }
  for (const auto& [name, value] : spec.env) env.push_back(name + "=" + value);
  return env;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> result;
  result.reserve(strings.size() + 1);
  for (std::string& s : strings) result.push_back(s.data());
  result.push_back(nullptr);
  return result;
}

std::string start_error(const std::string& program, int error) {
  std::string message = "cannot run " + program + ": " + std::strerror(error);
  if (error == ENOEXEC) message += " (a script needs a #! line, e.g. #!/bin/sh)";
  if (error == EACCES) message += " (is it executable? chmod +x " + program + ")";
  return message;
}

int poll_timeout_ms(Clock::time_point now, std::optional<Clock::time_point> wake_at) {
  if (!wake_at) return -1;
  if (*wake_at <= now) return 0;
  auto wait = std::chrono::ceil<std::chrono::milliseconds>(*wake_at - now).count();
  return static_cast<int>(std::min<std::int64_t>(wait, 60'000));
}

void earliest(std::optional<Clock::time_point>& current, Clock::time_point candidate) {
  if (!current || candidate < *current) current = candidate;
}

}  // namespace

ProcessOutcome run_process(const ProcessSpec& spec, std::stop_token stop) {
  ProcessOutcome outcome;
  outcome.timeout = spec.timeout;
  const Clock::time_point started = Clock::now();
  auto not_started = [&](std::string why) {
    outcome.end = ProcessEnd::kNotStarted;
    outcome.start_error = std::move(why);
    outcome.took = Clock::now() - started;
    return outcome;
  };

  Pipe in;
  Pipe out;
  Pipe err;
  if (!make_pipe(in) || !make_pipe(out) || !make_pipe(err)) {
    return not_started(std::string("cannot create a pipe: ") + std::strerror(errno));
  }
  UniqueFd wake(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!wake.valid())
    return not_started(std::string("cannot create an eventfd: ") + strerror(errno));

  std::vector<std::string> argv_strings = spec.argv;
  std::vector<char*> argv = pointers(argv_strings);
  std::vector<std::string> env_strings = child_environment(spec);
  std::vector<char*> envp = pointers(env_strings);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in.read.get(), STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out.write.get(), STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err.write.get(), STDERR_FILENO);
  // Descriptors opened without O_CLOEXEC elsewhere in the process (sockets, logs) stay ours.
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);

  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setflags(&attributes,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setpgroup(&attributes, 0);  // a group of its own, led by the child
  sigset_t empty_mask;
  sigemptyset(&empty_mask);
  posix_spawnattr_setsigmask(&attributes, &empty_mask);
  sigset_t all_default;  // an ignored SIGPIPE or SIGTERM of ours must not be inherited
  sigfillset(&all_default);
  sigdelset(&all_default, SIGKILL);
  sigdelset(&all_default, SIGSTOP);
  posix_spawnattr_setsigdefault(&attributes, &all_default);

  pid_t pid = -1;
  int spawn_error = ::posix_spawnp(&pid, argv[0], &actions, &attributes, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (spawn_error != 0) return not_started(start_error(spec.argv[0], spawn_error));

  in.read.reset();
  out.write.reset();
  err.write.reset();
  // Readable once the child has exited. Without pidfds (old kernels) the loop polls on a tick.
  // (glibc 2.36's <sys/pidfd.h> lacks extern "C", hence the raw syscall.)
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  set_nonblocking(in.write.get());
  set_nonblocking(out.read.get());
  set_nonblocking(err.read.get());

  std::stop_callback wake_on_stop(stop, [fd = wake.get()] {
    std::uint64_t one = 1;
    [[maybe_unused]] ssize_t ignored = ::write(fd, &one, sizeof one);
  });

  std::size_t input_sent = 0;
  if (spec.input.empty()) in.write.reset();
  bool exited = false;
  bool ending = false;  // we sent SIGTERM (timeout or stop)
  bool killed = false;  // we sent SIGKILL
  std::optional<Clock::time_point> deadline;
  if (spec.timeout.count() > 0) deadline = started + spec.timeout;
  std::optional<Clock::time_point> kill_at;
  std::optional<Clock::time_point> drain_until;  // after the exit: leftovers holding the pipes
  std::array<char, 16 * 1024> buffer;

  auto end_child = [&](ProcessEnd why, Clock::time_point now) {
    ending = true;
    outcome.end = why;
    ::kill(-pid, SIGTERM);
    kill_at = now + spec.kill_grace;
  };
  auto read_from = [&](UniqueFd& fd, bool is_stdout) {
    while (fd.valid()) {
      ssize_t n = ::read(fd.get(), buffer.data(), buffer.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) return;
      if (n <= 0) {
        fd.reset();
        return;
      }
      std::string_view chunk(buffer.data(), static_cast<std::size_t>(n));
      if (is_stdout) {
        outcome.output_bytes += chunk.size();
        std::size_t room = spec.output_limit - std::min(spec.output_limit, outcome.output.size());
        outcome.output.append(chunk.substr(0, room));
      } else {
        outcome.error_bytes += chunk.size();
        outcome.error_tail.append(chunk);
        if (outcome.error_tail.size() > 2 * spec.error_tail_limit + buffer.size()) {
          outcome.error_tail.erase(0, outcome.error_tail.size() - spec.error_tail_limit);
        }
        if (spec.on_stderr) spec.on_stderr(chunk);
      }
    }
  };

  while (!exited || out.read.valid() || err.read.valid()) {
    Clock::time_point now = Clock::now();
    if (!exited && !ending) {
      if (deadline && now >= *deadline) {
        end_child(ProcessEnd::kTimedOut, now);
      } else if (stop.stop_requested()) {
        end_child(ProcessEnd::kStopped, now);
      }
    }
    if (!exited && kill_at && !killed && now >= *kill_at) {
      ::kill(-pid, SIGKILL);
      killed = true;
    }
    if (exited && drain_until && now >= *drain_until) {
      ::kill(-pid, SIGKILL);  // the leader is a zombie still, so the group id is still its own
      break;
    }

    std::optional<Clock::time_point> wake_at;
    if (!exited) {
      if (deadline && !ending) earliest(wake_at, *deadline);
      if (kill_at && !killed) earliest(wake_at, *kill_at);
      if (!pidfd.valid()) earliest(wake_at, now + std::chrono::milliseconds(10));
    } else if (drain_until) {
      earliest(wake_at, *drain_until);
    }

    std::array<pollfd, 5> fds{};
    nfds_t count = 0;
    auto watch = [&](const UniqueFd& fd, short events) -> pollfd* {
      if (!fd.valid()) return nullptr;
      fds[count] = pollfd{fd.get(), events, 0};
      return &fds[count++];
    };
    pollfd* in_poll = watch(in.write, POLLOUT);
    pollfd* out_poll = watch(out.read, POLLIN);
    pollfd* err_poll = watch(err.read, POLLIN);
    if (!exited) watch(pidfd, POLLIN);
    if (!exited && !ending) watch(wake, POLLIN);

    int ready = ::poll(fds.data(), count, poll_timeout_ms(now, wake_at));
    if (ready < 0 && errno != EINTR) break;  // not expected with valid descriptors

    if (in_poll != nullptr && in_poll->revents != 0) {
      if ((in_poll->revents & POLLOUT) != 0) {
        ssize_t n = write_without_sigpipe(in.write.get(), spec.input.data() + input_sent,
                                          spec.input.size() - input_sent);
        if (n > 0) input_sent += static_cast<std::size_t>(n);
        if ((n < 0 && errno != EAGAIN && errno != EINTR) || input_sent == spec.input.size()) {
          in.write.reset();  // all sent, or the child closed its stdin: either way, done
        }
      } else {
        in.write.reset();
      }
    }
    if (out_poll != nullptr && out_poll->revents != 0) read_from(out.read, true);
    if (err_poll != nullptr && err_poll->revents != 0) read_from(err.read, false);

    if (!exited) {
      siginfo_t info{};
      if (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
          info.si_pid == pid) {
        exited = true;
        in.write.reset();
        if (out.read.valid() || err.read.valid()) {
          // The program is done; what it left running in its group goes with it. The pipes
          // are read until those leftovers let go of them, for one grace at most.
          ::kill(-pid, SIGTERM);
          drain_until = Clock::now() + spec.kill_grace;
        }
      }
    }
  }

  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  outcome.took = Clock::now() - started;
  if (WIFEXITED(status)) {
    outcome.exit_code = WEXITSTATUS(status);
    if (!ending) outcome.end = ProcessEnd::kExited;
  } else if (WIFSIGNALED(status)) {
    outcome.signal = WTERMSIG(status);
    outcome.core_dumped = WCOREDUMP(status);
    if (!ending) outcome.end = ProcessEnd::kSignaled;
  }
  if (outcome.error_tail.size() > spec.error_tail_limit) {
    outcome.error_tail.erase(0, outcome.error_tail.size() - spec.error_tail_limit);
    // Start at a character, not inside one.
    std::size_t skip = 0;
    while (skip < 3 && skip < outcome.error_tail.size() &&
           (static_cast<unsigned char>(outcome.error_tail[skip]) & 0xC0) == 0x80) {
      ++skip;
    }
    outcome.error_tail.erase(0, skip);
  }
  return outcome;
}

std::string signal_name(int signo) {
  const char* abbrev = ::sigabbrev_np(signo);
  if (abbrev == nullptr) return "signal " + std::to_string(signo);
  return std::string("SIG") + abbrev;
}

std::string format_seconds(std::chrono::milliseconds duration) {
  std::int64_t ms = duration.count();
  if (ms < 1000) return std::to_string(ms) + " ms";
  std::string text = std::to_string(ms / 1000);
  if (std::int64_t rest = ms % 1000; rest != 0) {
    std::string fraction = std::to_string(1000 + rest).substr(1);  // 5 -> "005"
    while (fraction.back() == '0') fraction.pop_back();
    text += "." + fraction;
  }
  return text + " s";
}

std::string describe(const ProcessOutcome& outcome) {
  std::string killed_after_grace =
      outcome.signal == SIGKILL ? ", killed by SIGKILL after the grace" : "";
  switch (outcome.end) {
    case ProcessEnd::kExited:
      return "exit " + std::to_string(outcome.exit_code);
    case ProcessEnd::kSignaled:
      return "killed by " + signal_name(outcome.signal) +
             (outcome.core_dumped ? " (core dumped)" : "");
    case ProcessEnd::kTimedOut:
      return "timed out after " + format_seconds(outcome.timeout) + killed_after_grace;
    case ProcessEnd::kStopped:
      return "stopped" + killed_after_grace;
    case ProcessEnd::kNotStarted:
      return outcome.start_error;
  }
  return "unknown end";
}

std::string sanitize_utf8(std::string_view text) {
  static constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
  std::string result;
  result.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
    unsigned char lead = byte(i);
    std::size_t length = 0;
    unsigned char low = 0x80;
    unsigned char high = 0xBF;  // the allowed range of the second byte
    if (lead < 0x80) {
      length = 1;
    } else if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3;
      if (lead == 0xE0) low = 0xA0;   // no overlong forms
      if (lead == 0xED) high = 0x9F;  // no surrogates
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4;
      if (lead == 0xF0) low = 0x90;
      if (lead == 0xF4) high = 0x8F;  // nothing past U+10FFFF
    }
    bool valid = length > 0 && i + length <= text.size();
    for (std::size_t k = 1; valid && k < length; ++k) {
      unsigned char b = byte(i + k);
      valid = k == 1 ? (b >= low && b <= high) : (b >= 0x80 && b <= 0xBF);
    }
    if (valid) {
      result.append(text.substr(i, length));
      i += length;
    } else {
      result.append(kReplacement);
      ++i;
    }
  }
  return result;
}

std::optional<std::string> find_program(const std::string& program, std::string* why) {
  auto usable = [](const std::string& path, std::string* reason) {
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0) {
      *reason = std::strerror(errno);
      return false;
    }
    if (S_ISDIR(info.st_mode)) {
      *reason = "it is a directory";
      return false;
    }
    if (::access(path.c_str(), X_OK) != 0) {
      *reason = "it is not executable (chmod +x " + path + ")";
      return false;
    }
    return true;
  };
  std::string reason;
  if (program.empty()) {
    *why = "the program name is empty";
    return std::nullopt;
  }
  if (program.find('/') != std::string::npos) {
    if (usable(program, &reason)) return program;
    *why = program + ": " + reason;
    return std::nullopt;
  }
  const char* path_env = std::getenv("PATH");
  std::string_view path = path_env != nullptr ? path_env : "/usr/local/bin:/usr/bin:/bin";
  while (true) {
    std::size_t colon = path.find(':');
    std::string dir(path.substr(0, colon));
    std::string candidate = (dir.empty() ? "." : dir) + "/" + program;
    if (usable(candidate, &reason)) return candidate;
    if (colon == std::string_view::npos) break;
    path.remove_prefix(colon + 1);
  }
  *why = "no program named " + program + " in PATH";
  return std::nullopt;
}

}  // namespace spool::work
