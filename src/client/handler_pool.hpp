// HandlerPool: the worker's handler threads and the queue of reserved jobs waiting for one.
// Exactly `threads` threads, so never more handlers run at once than the worker's concurrency.
//
// Ownership: owned by the worker; holds the queued jobs. Threading: push(), take_unstarted()
// and close() from any thread; `run_job` runs on the pool's threads.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "client/active_job.hpp"

namespace spool::client {

class HandlerPool {
 public:
  using RunJob = std::function<void(std::shared_ptr<ActiveJob>)>;

  HandlerPool(int threads, RunJob run_job);
  ~HandlerPool();  // close_and_join()
  HandlerPool(const HandlerPool&) = delete;
  HandlerPool& operator=(const HandlerPool&) = delete;

  void push(std::shared_ptr<ActiveJob> job);
  // Empties the queue: the jobs no thread has started yet.
  std::vector<std::shared_ptr<ActiveJob>> take_unstarted();
  // No more jobs; waits for each thread to finish the job it runs. Queued jobs are dropped, so
  // take_unstarted() first.
  void close_and_join();

 private:
  void loop();

  const RunJob run_job_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<ActiveJob>> queue_;  // guarded by mutex_
  bool closed_ = false;                           // guarded by mutex_
  std::vector<std::thread> threads_;
};

}  // namespace spool::client
