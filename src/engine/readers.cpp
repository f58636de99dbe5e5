// Engine::Impl's readers: the reader threads that answer every read beside the writer, and the
// view of writer state the writer publishes for them after each batch (engine_impl.hpp,
// invariant 9).
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "core/thread_name.hpp"
#include "engine/engine_impl.hpp"

namespace spool::engine {
namespace {

// Lowers the calling thread's CPU priority by `nice` steps (Linux: a nice value is per thread).
// When the cores are short, a reader scanning 10,000 rows for a list then yields to the writer
// and the io threads instead of taking its equal share (D2). Raising one's own nice value needs
// no privilege; if it fails anyway the reader runs at the usual priority, which is only slower.
void lower_priority(int nice) {
  if (nice <= 0) return;
  auto tid = static_cast<id_t>(::syscall(SYS_gettid));
  errno = 0;
  int current = ::getpriority(PRIO_PROCESS, tid);
  if (current == -1 && errno != 0) return;
  ::setpriority(PRIO_PROCESS, tid, std::min(current + nice, 19));
}

}  // namespace

void Engine::Impl::start_readers() {
  int wanted = std::max(options_.read_threads, 1);
  for (int i = 0; i < wanted; ++i) {
    auto reader = store_->open_reader();
    // Fewer readers than asked still take the reads off the writer; none leaves them on it
    // (a storage that cannot open a second connection), which is slower but still correct.
    if (!reader) break;
    readers_.push_back(std::move(*reader));
  }
  if (readers_.empty()) return;
  {
    std::lock_guard lock(mu_);
    reads_on_threads_ = true;
  }
  for (auto& reader : readers_) {
    reader_threads_.emplace_back([this, r = reader.get()] { run_reader(*r); });
  }
}

void Engine::Impl::run_reader(store::StoreReader& reader) {
  name_this_thread("spool-reader");
  lower_priority(options_.reader_nice);
  for (;;) {
    ReadOp op;
    {
      std::unique_lock lock(mu_);
      read_cv_.wait(lock, [this] { return readers_stop_ || !pending_reads_.empty(); });
      // finish() takes what is pending (to refuse it) as it sets readers_stop_.
      if (pending_reads_.empty()) return;
      op = std::move(pending_reads_.front());
      pending_reads_.pop_front();
    }
    op.apply(*this, reader);
  }
}

void Engine::Impl::join_readers() {
  for (std::thread& t : reader_threads_) t.join();
  reader_threads_.clear();
  readers_.clear();  // before the store, as Store::open_reader requires
}

store::StoreReader& Engine::Impl::inline_reader() {
  if (!inline_reader_ && !inline_reader_tried_) {
    inline_reader_tried_ = true;
    if (auto reader = store_->open_reader()) inline_reader_ = std::move(*reader);
  }
  return inline_reader_ ? *inline_reader_ : static_cast<store::StoreReader&>(*store_);
}

void Engine::Impl::publish_writer_view() {
  bool waiters_changed = waiters_.version() != view_waiters_version_;
  std::lock_guard lock(view_mu_);
  if (waiters_changed) {
    view_.waiters = waiters_.count_by_queue();
    view_waiters_version_ = waiters_.version();
  }
  view_.last_write_failure = last_write_failure_;
  view_.last_write_failure_at = last_write_failure_at_;
}

Engine::Impl::WriterView Engine::Impl::writer_view() const {
  std::lock_guard lock(view_mu_);
  return view_;
}

}  // namespace spool::engine
