// Engine::Impl's bulk writes: a queue's purge and retry-dead, run as a sequence of chunks of at
// most bulk_chunk rows, one chunk per transaction, interleaved with the other commands (issue
// 13, D2). A million dead jobs would otherwise be one statement holding the writer for seconds
// and one answer's worth of events in memory. The caller hears the total once the last chunk
// has committed; a failure answers the error with the count of the chunks already committed,
// which stay done (engine_impl.hpp, invariant 8).
#include <algorithm>
#include <string>

#include "engine/engine_impl.hpp"

namespace spool::engine {
namespace {

using BulkOp = Engine::Impl::BulkOp;

std::string describe(const BulkOp& op) {
  if (op.kind == BulkOp::Kind::kPurge) {
    return "purging the " + std::string(to_string(op.state)) + " jobs of queue " + op.queue;
  }
  std::string what = "retrying the dead jobs of queue " + op.queue;
  if (op.type) what += " of type " + *op.type;
  return what;
}

// The answer to a bulk write cut short by `cause`: as it is when nothing was done yet, else
// with how much was done, since those chunks stay committed.
Status interrupted(const BulkOp& op, const Status& cause) {
  if (op.committed == 0) return cause;
  const char* verb = op.kind == BulkOp::Kind::kPurge ? "deleted" : "requeued";
  return Status(cause.code(),
                describe(op) + " stopped after " + std::to_string(op.committed) + " jobs were " +
                    verb + ": " + cause.message(),
                cause.field());
}

}  // namespace

void Engine::Impl::run_bulk_chunk() {
  if (bulk_.empty()) return;
  BulkOp& op = bulk_.front();  // one chunk per transaction in all, taken in turns (answer_bulk)
  if (op.kind == BulkOp::Kind::kPurge) {
    auto deleted = store_->purge(op.queue, op.state, options_.bulk_chunk);
    note_batch_failure(deleted);
    if (!deleted) {
      op.error = deleted.error();
      return;
    }
    op.chunk = *deleted;
    return;
  }
  auto requeued = store_->retry_dead(op.queue, op.type, now_, options_.bulk_chunk);
  note_batch_failure(requeued);
  if (!requeued) {
    op.error = requeued.error();
    return;
  }
  if (!requeued->empty()) mark_dirty(op.queue);
  for (const ops::SettleResult& r : *requeued) emit_settle(JobEventKind::kRetried, r, std::nullopt);
  op.chunk = static_cast<std::int64_t>(requeued->size());
}

void Engine::Impl::answer_bulk(const Status* batch_failure) {
  if (bulk_.empty()) return;
  // The front one had this batch's turn, whether or not the batch reached its chunk: a batch
  // that failed ends it, or a store that keeps failing would keep the writer spinning on it.
  BulkOp& op = bulk_.front();
  std::optional<StatusOr<std::int64_t>> answer;
  if (batch_failure || op.error) {
    answer = tl::unexpected(interrupted(op, batch_failure ? *batch_failure : *op.error));
  } else {
    op.committed += op.chunk;
    // A short chunk: nothing of the kind is left in the queue.
    if (op.chunk < options_.bulk_chunk) answer = op.committed;
  }
  op.chunk = 0;
  op.error.reset();
  if (answer) {
    Callback<std::int64_t> done = std::move(op.done);
    bulk_.pop_front();
    done(std::move(*answer));
  } else {
    bulk_.splice(bulk_.end(), bulk_, bulk_.begin());  // the next bulk write's turn
  }
}

bool Engine::Impl::bulk_rested() const {
  // A wall clock stepped back would otherwise hold the bulk write for as long as the step.
  constexpr TimeMs kLongestRest = 1'000;
  return now_ >= bulk_ready_at_ || bulk_ready_at_ - now_ > kLongestRest;
}

void Engine::Impl::rest_after_chunk(TimeMs took_ms) {
  // At a duty of 0.5 the writer rests as long as the chunk took: a million-row retry-dead then
  // takes about twice as long, and the commands beside it keep half the writer (D2).
  double duty = std::clamp(options_.bulk_duty, 0.01, 1.0);
  auto rest = static_cast<TimeMs>(static_cast<double>(took_ms) * (1.0 - duty) / duty);
  bulk_ready_at_ = now_ + took_ms + rest;
}

void Engine::Impl::answer_bulk_at_stop() {
  for (BulkOp& op : bulk_) {
    Status stopping(StatusCode::kUnavailable,
                    "the server is shutting down; run it again to finish");
    op.done(tl::unexpected(op.committed == 0 ? shutting_down() : interrupted(op, stopping)));
  }
  bulk_.clear();
}

}  // namespace spool::engine
