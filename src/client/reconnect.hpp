// Waiting for a server that went away: the delay between attempts (RetryBackoff) and the one
// record of whether the server answers (ServerPresence), shared by the worker's threads so that
// losing the server and finding it again are each logged once however many threads notice.
//
// Threading: RetryBackoff belongs to one thread. ServerPresence is thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

#include "client/worker_log.hpp"
#include "spool/result.hpp"

namespace spool::client {

// 100 ms, 200 ms, 400 ms ... up to 5 s; each delay is drawn uniformly from [d/2, d] so that
// workers that lost the same server do not come back in lockstep.
class RetryBackoff {
 public:
  explicit RetryBackoff(Millis first = Millis(100), Millis max = Millis(5000));
  Millis next();
  void reset() { current_ = first_; }

 private:
  Millis first_, max_, current_;
  std::uint64_t rng_;
};

class ServerPresence {
 public:
  ServerPresence(std::string url, LogSink log);

  // A request got no answer (Error::transient()). The first of a run of these logs a warning.
  void failed(const Error& error);
  // The server answered (any HTTP status). After failures, logs "reconnected ... after 4.2 s".
  void answered();
  bool away() const;

 private:
  const std::string url_;
  const LogSink log_;
  mutable std::mutex mutex_;
  bool away_ = false;                            // guarded by mutex_
  std::chrono::steady_clock::time_point since_;  // guarded by mutex_: when it went away
};

}  // namespace spool::client
