// Waiters: parked reserve requests (long polls), oldest first. Owned by the engine's writer
// thread; not thread-safe.
//
// Every reserve becomes a waiter first, even one with wait_ms = 0 (its deadline is "now"), so
// one code path serves them in arrival order: an older waiter is never overtaken by a newer
// request for the same queue.
//
// Cost (issue 13, D8): with thousands of long polls parked, a batch must not walk them all.
// Waiters keeps three indexes beside the waiters themselves, so each batch pays for the
// waiters it concerns, not for all of them:
//  - by queue, in arrival order: serving visits only the waiters of queues that may have work;
//  - by deadline: the earliest deadline and the expired waiters cost O(log n) each;
//  - the fresh ones (not yet tried), which are tried whatever their queues.
// Ids grow in arrival order (the engine hands them out under one lock, in submission order),
// so "oldest first" is "smallest id first"; a waiter put back (its batch rolled back) keeps
// its place.
//
// Adding a new kind of wait: give it a deadline and a way to answer "nothing" (answer_empty),
// decide which events make it worth re-checking (mark the queue dirty in the engine where that
// event happens), and serve it in Engine::Impl::serve_waiters (waiter_serving.cpp) in arrival
// order, through visit().
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/clock.hpp"
#include "engine/engine.hpp"

namespace spool::engine {

struct Waiter {
  WaiterId id = 0;
  ReserveRequest request;
  TimeMs deadline = 0;
  bool fresh = true;  // not yet tried: try it whatever the dirty queues are
  Callback<std::vector<Job>> done;
};

class Waiters {
 public:
  // REQUIRES: no parked waiter has this id.
  void add(Waiter waiter);
  // Removes and returns the waiter, or nullopt if it was already answered.
  std::optional<Waiter> remove(WaiterId id);
  std::size_t size() const { return by_id_.size(); }
  bool empty() const { return by_id_.empty(); }

  std::optional<TimeMs> earliest_deadline() const;
  // Removes and returns, earliest deadline first, the waiters whose deadline is <= now.
  std::vector<Waiter> take_expired(TimeMs now);
  // Removes and returns every waiter, oldest first.
  std::vector<Waiter> take_all();
  // Parked waiters per queue they name, by queue name. O(queues).
  std::vector<std::pair<std::string, std::size_t>> count_by_queue() const;
  // Changes each time a waiter is added or removed: count_by_queue() is worth reading again.
  std::uint64_t version() const { return version_; }

  // Calls try_waiter, oldest first, with each waiter that is fresh, or names a queue in
  // `dirty` (any queue when all_dirty) for which skip_queue answers false; a queue is asked
  // again after each waiter, so one found empty stops costing visits at once. try_waiter may
  // remove the waiter it is given (and no other), and answers false to stop the pass. The
  // waiters visited are no longer fresh.
  void visit(const std::set<std::string>& dirty, bool all_dirty,
             const std::function<bool(const std::string& queue)>& skip_queue,
             const std::function<bool(Waiter& waiter)>& try_waiter);

 private:
  std::map<WaiterId, Waiter> by_id_;                    // oldest first
  std::map<std::string, std::set<WaiterId>> by_queue_;  // each waiter under every queue it names
  std::set<std::pair<TimeMs, WaiterId>> by_deadline_;
  std::set<WaiterId> fresh_;
  std::uint64_t version_ = 0;
  bool visiting_ = false;             // visit() is running: empty queue entries wait for its end
  std::vector<std::string> emptied_;  // queues whose last waiter left during visit()
};

}  // namespace spool::engine
