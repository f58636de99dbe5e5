// Waiters: parked reserve requests (long polls), oldest first. Owned by the engine's writer
// thread; not thread-safe.
//
// Every reserve becomes a waiter first, even one with wait_ms = 0 (its deadline is "now"), so
// one code path serves them in arrival order: an older waiter is never overtaken by a newer
// request for the same queue.
//
// Adding a new kind of wait: give it a deadline and a way to answer "nothing" (answer_empty),
// decide which events make it worth re-checking (mark the queue dirty in the engine where that
// event happens), and serve it in Engine::Impl::serve_waiters (waiter_serving.cpp) in arrival
// order.
#pragma once

#include <cstdint>
#include <list>
#include <optional>
#include <unordered_map>

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
  using List = std::list<Waiter>;

  void add(Waiter waiter);
  // Removes and returns the waiter, or nullopt if it was already answered.
  std::optional<Waiter> remove(WaiterId id);
  List& list() { return list_; }
  List::iterator erase(List::iterator it);
  std::size_t size() const { return list_.size(); }
  bool empty() const { return list_.empty(); }
  std::optional<TimeMs> earliest_deadline() const;

 private:
  List list_;
  std::unordered_map<WaiterId, List::iterator> by_id_;
};

}  // namespace spool::engine
