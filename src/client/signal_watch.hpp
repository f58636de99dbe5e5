// SignalWatch: while one is alive, SIGTERM and SIGINT no longer end the process; each calls
// `on_signal(signo, count)` on the watch's own thread (count: 1 for the first signal, 2 for the
// second, ...). The handlers that were installed before come back when it goes away.
//
// How: a self-pipe. The signal handler only write(2)s the signal number to a pipe, which is
// async-signal-safe; the thread reads it and calls on_signal outside signal context, where any
// code may run.
//
// At most one per process at a time (signal dispositions are per process): start() answers
// nullptr when another is alive.
#pragma once

#include <functional>
#include <memory>
#include <thread>

namespace spool::client {

class SignalWatch {
 public:
  using OnSignal = std::function<void(int signo, int count)>;
  static std::unique_ptr<SignalWatch> start(OnSignal on_signal);
  ~SignalWatch();
  SignalWatch(const SignalWatch&) = delete;
  SignalWatch& operator=(const SignalWatch&) = delete;

 private:
  SignalWatch() = default;
  struct Saved;
  std::unique_ptr<Saved> saved_;
  int read_fd_ = -1;
  int write_fd_ = -1;
  std::thread thread_;
};

}  // namespace spool::client
