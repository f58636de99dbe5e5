// EventBus: the job events behind GET /v1/events (Server-Sent Events). The engine hands it each
// committed transaction's events (it is an engine::JobObserver); it numbers them, keeps the
// newest `capacity` in a ring buffer so a client that reconnects with Last-Event-ID gets what it
// missed, and wakes the subscribed streams. Fan-out (filtering, encoding, writing) happens on
// the io threads, each stream pulling from the ring on its own strand.
//
// Ownership: `spool serve` owns the bus (shared with the engine as an observer and with the
// server through ServerOptions). Subscriptions are shared by their stream and the bus until
// unsubscribed. Events are immutable once stored and shared by pointer.
//
// Threading: on_commit() runs on the engine's writer thread; it takes `mu_` for the time it takes
// to append pointers and to mark subscribers, never waits on an io thread, and calls the wake
// functions (which only post) after releasing it. Everything else may be called from any thread.
//
// Invariants:
//   1. Event ids increase by one per event, starting at `first_id`. `spool serve` starts them at
//      the start time in microseconds, so ids keep increasing across restarts and a client's
//      Last-Event-ID from an earlier run is recognised as too old (a gap), not as a future id.
//   2. The ring holds the ids (last_id - size, last_id]; nothing older.
//   3. A subscriber is "lagging" when more than `capacity` events arrived that it has not taken:
//      the ring no longer holds what it needs, so it is told to end (overrun) instead of slowing
//      anyone down; its client may resume with Last-Event-ID and is told of the gap.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <vector>

#include "engine/job_events.hpp"

namespace spool::http {

struct StoredEvent {
  std::uint64_t id = 0;
  engine::JobEvent job;
};
using EventPtr = std::shared_ptr<const StoredEvent>;

struct EventBusOptions {
  std::size_t capacity = 16384;  // events kept for resume; also the most a subscriber may lag
  std::uint64_t first_id = 1;
};

class EventBus;

// One stream's place in the bus. take() is called by the stream's own strand only.
class Subscription {
 public:
  struct Batch {
    std::vector<EventPtr> events;  // in id order, unfiltered
    bool overrun = false;          // fell too far behind: end the stream (invariant 3)
    bool more = false;             // `max` was reached: call take() again
  };
  // The events after the last one taken, at most `max`.
  Batch take(std::size_t max);
  // True once the subscriber fell too far behind (may be read while a write is in flight).
  bool overrun() const;

 private:
  friend class EventBus;
  Subscription(EventBus& bus, std::function<void()> wake) : bus_(bus), wake_(std::move(wake)) {}

  EventBus& bus_;
  const std::function<void()> wake_;
  // GUARDED_BY(bus_.mu_):
  std::uint64_t cursor_ = 0;  // the last id taken
  bool wake_pending_ = false;
  bool overrun_ = false;
};

// Where a new subscription starts, and whether the client missed events no longer kept.
struct SubscribeResult {
  std::shared_ptr<Subscription> subscription;
  bool gap = false;
  std::uint64_t requested = 0;  // the Last-Event-ID given, when gap
  std::uint64_t oldest = 0;     // the oldest id still kept (0 when none yet), when gap
};

class EventBus final : public engine::JobObserver {
 public:
  explicit EventBus(EventBusOptions options = {});

  void on_commit(const engine::CommitInfo& commit,
                 std::span<const engine::JobEvent> events) override;

  // A new subscriber. Without `last_event_id` it starts after the newest event. With one it
  // starts right after it when every later event is still kept; otherwise (older than the ring,
  // or newer than any id issued, e.g. from before a restart) it starts at the oldest event kept
  // and the answer says gap. `wake` is called from any thread, without locks held, when new
  // events are ready and the subscriber has taken everything before; it must only post.
  SubscribeResult subscribe(std::optional<std::uint64_t> last_event_id, std::function<void()> wake);
  void unsubscribe(const std::shared_ptr<Subscription>& subscription);

  std::uint64_t last_id() const;
  std::size_t subscriber_count() const;
  std::size_t capacity() const { return options_.capacity; }

 private:
  friend class Subscription;

  const EventBusOptions options_;
  mutable std::mutex mu_;
  std::deque<EventPtr> ring_;                               // GUARDED_BY(mu_)
  std::uint64_t last_id_;                                   // GUARDED_BY(mu_)
  std::vector<std::shared_ptr<Subscription>> subscribers_;  // GUARDED_BY(mu_)
};

}  // namespace spool::http
