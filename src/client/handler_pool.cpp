#include "client/handler_pool.hpp"

namespace spool::client {

HandlerPool::HandlerPool(int threads, RunJob run_job) : run_job_(std::move(run_job)) {
  threads_.reserve(static_cast<std::size_t>(threads));
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { loop(); });
}

HandlerPool::~HandlerPool() { close_and_join(); }

void HandlerPool::push(std::shared_ptr<ActiveJob> job) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(job));
  }
  cv_.notify_one();
}

std::vector<std::shared_ptr<ActiveJob>> HandlerPool::take_unstarted() {
  std::lock_guard lock(mutex_);
  std::vector<std::shared_ptr<ActiveJob>> out(std::make_move_iterator(queue_.begin()),
                                              std::make_move_iterator(queue_.end()));
  queue_.clear();
  return out;
}

void HandlerPool::close_and_join() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
    queue_.clear();
  }
  cv_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

void HandlerPool::loop() {
  while (true) {
    std::shared_ptr<ActiveJob> job;
    {
      std::unique_lock lock(mutex_);
      cv_.wait(lock, [&] { return closed_ || !queue_.empty(); });
      if (closed_) return;
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    run_job_(std::move(job));
  }
}

}  // namespace spool::client
