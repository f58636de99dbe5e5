#include "client/signal_watch.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>

namespace spool::client {

namespace {

// The write end of the live watch's pipe, or -1. Read by the signal handler.
std::atomic<int> g_write_fd{-1};
static_assert(std::atomic<int>::is_always_lock_free, "read from a signal handler");

extern "C" void on_signal_write(int signo) {
  int saved_errno = errno;
  int fd = g_write_fd.load();
  if (fd >= 0) {
    unsigned char byte = static_cast<unsigned char>(signo);
    [[maybe_unused]] ssize_t n = ::write(fd, &byte, 1);
  }
  errno = saved_errno;
}

constexpr unsigned char kQuit = 0;  // not a signal number: the destructor asks the thread to end

}  // namespace

struct SignalWatch::Saved {
  struct sigaction term {};
  struct sigaction intr {};
};

std::unique_ptr<SignalWatch> SignalWatch::start(OnSignal on_signal) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return nullptr;
  int expected = -1;
  if (!g_write_fd.compare_exchange_strong(expected, fds[1])) {
    ::close(fds[0]);
    ::close(fds[1]);
    return nullptr;
  }
  std::unique_ptr<SignalWatch> watch(new SignalWatch());
  watch->read_fd_ = fds[0];
  watch->write_fd_ = fds[1];
  watch->saved_ = std::make_unique<Saved>();
  struct sigaction action {};
  action.sa_handler = on_signal_write;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  ::sigaction(SIGTERM, &action, &watch->saved_->term);
  ::sigaction(SIGINT, &action, &watch->saved_->intr);
  watch->thread_ = std::thread([fd = fds[0], on_signal = std::move(on_signal)] {
    int count = 0;
    while (true) {
      unsigned char byte = 0;
      ssize_t n = ::read(fd, &byte, 1);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0 || byte == kQuit) return;
      on_signal(byte, ++count);
    }
  });
  return watch;
}

SignalWatch::~SignalWatch() {
  // Restore first: a signal arriving from here on takes the old road, not a closing pipe.
  ::sigaction(SIGTERM, &saved_->term, nullptr);
  ::sigaction(SIGINT, &saved_->intr, nullptr);
  g_write_fd.store(-1);
  unsigned char quit = kQuit;
  [[maybe_unused]] ssize_t n = ::write(write_fd_, &quit, 1);
  if (thread_.joinable()) thread_.join();
  ::close(read_fd_);
  ::close(write_fd_);
}

}  // namespace spool::client
