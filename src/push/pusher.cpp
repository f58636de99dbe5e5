#include "push/pusher.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "core/json_writer.hpp"
#include "core/thread_name.hpp"
#include "engine/engine.hpp"
#include "push/delivery_client.hpp"
#include "push/outcome.hpp"
#include "push/push_config.hpp"
#include "push/signing.hpp"

#ifndef SPOOL_VERSION
#define SPOOL_VERSION "0"
#endif

namespace spool::push {
namespace {

namespace asio = boost::asio;

constexpr int kMaxReserve = 100;               // the engine's per-reserve maximum
constexpr std::int64_t kSnoozeFloorMs = 1000;  // a snooze while a probe is out

// Jobs reserved ahead of free delivery slots: a queue's concurrency, up to one reserve's worth.
int prefetch_of(const PushConfig& config) { return std::min(config.concurrency, kMaxReserve); }

struct QueueState {
  std::string name;
  std::string push_json;
  std::shared_ptr<const PushConfig> config;  // null when push_json does not parse
  std::string config_error;
  bool configured = true;  // false once push is removed from the queue's config
  bool paused = false;
  std::string gone_message;  // a 410 paused the queue; cleared once it is resumed
  bool seen_paused_since_gone = false;
  bool reserving = false;
  engine::WaiterId waiter = 0;
  int in_flight = 0;
  // Reserved ahead of a free slot (at most prefetch_of(config)): a slot that frees starts its next
  // delivery at once instead of waiting a reserve's round trip to the engine. Their leases run
  // from the reserve; stop(), a removed or paused queue and a 410 release them.
  std::deque<Job> ready;
  std::chrono::steady_clock::time_point hold_until{};  // after a reserve error
};

std::string encode_delivery(const Job& job) {
  JsonWriter w;
  w.str().reserve(160 + job.payload_json.size());
  w.begin_object()
      .field("id", job.id)
      .field("type", job.type)
      .field("queue", job.queue)
      .field("attempt", job.attempts)
      .field("max_attempts", job.max_attempts);
  w.key("payload").raw(job.payload_json);
  w.key("created_at").time(job.created_at);
  w.end_object();
  return w.take();
}

}  // namespace

struct Pusher::Impl : std::enable_shared_from_this<Pusher::Impl> {
  engine::Engine& engine;
  const Clock& clock;
  PusherOptions options;
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
  std::thread thread;
  asio::steady_timer refresh_timer{io};
  DeliveryClient client;

  // ---- io thread only ----
  std::map<std::string, std::shared_ptr<QueueState>> queues;
  std::map<std::string, CircuitBreaker> breakers;  // by host:port
  int total_in_flight = 0;
  int reserves_out = 0;
  bool stopping = false;
  std::int64_t delivered = 0;
  // Settles answered deliveries wait for, and queues with room again: both are handed to the
  // engine once per turn of the io loop (flush), so deliveries that end together cost one engine
  // command and one reserve instead of one each (the writer commits them in one transaction).
  std::vector<engine::AckItem> pending_acks;
  std::vector<engine::FailItem> pending_fails;
  std::vector<std::shared_ptr<QueueState>> pending_pumps;
  bool pump_all_pending = false;
  bool flush_posted = false;

  // ---- health snapshot and the stop handshake ----
  mutable std::mutex mu;
  PushHealth snapshot;   // guarded by mu
  bool drained = false;  // guarded by mu: no delivery or reserve outstanding
  std::condition_variable drained_cv;

  Impl(engine::Engine& e, const Clock& c, PusherOptions o)
      : engine(e),
        clock(c),
        options(std::move(o)),
        client(io.get_executor(),
               DeliveryClientOptions{options.max_idle_per_target, std::chrono::milliseconds(30'000),
                                     options.user_agent}) {}

  template <typename F>
  void post_here(F&& f) {
    asio::post(io, std::forward<F>(f));
  }

  // ---- config ----
  void refresh() {
    std::weak_ptr<Impl> weak = weak_from_this();
    engine.list_queues([weak](StatusOr<std::vector<QueueInfo>> r) {
      // Handlers queued on the io thread hold the Impl weakly: one posted after stop() must
      // not keep it alive (its io_context owns the handler: a cycle).
      if (auto self = weak.lock()) {
        self->post_here([weak, r = std::move(r)]() mutable {
          if (auto s = weak.lock()) s->apply(std::move(r));
        });
      }
    });
  }

  void schedule_refresh() {
    refresh_timer.expires_after(std::chrono::milliseconds(options.refresh_ms));
    refresh_timer.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
      auto self = weak.lock();
      if (ec || !self || self->stopping) return;
      self->refresh();
      self->client.close_stale();
      self->schedule_refresh();
    });
  }

  void apply(StatusOr<std::vector<QueueInfo>> r) {
    if (stopping) return;
    if (!r) {
      spdlog::warn("event=push_config_read_failed error=\"{}\"", r.error().message());
      return;
    }
    std::set<std::string> seen;
    const TimeMs now = clock.now_ms();
    for (const QueueInfo& info : *r) {
      if (!info.config.push_json) continue;
      seen.insert(info.name);
      auto& q = queues[info.name];
      if (!q) {
        q = std::make_shared<QueueState>();
        q->name = info.name;
      }
      q->configured = true;
      if (q->push_json != *info.config.push_json) q->gone_message.clear();
      q->push_json = *info.config.push_json;
      // Parsed every time: previous_secret stops signing when its overlap ends.
      auto parsed = parse_push_config(q->push_json, now);
      if (parsed) {
        q->config = std::make_shared<const PushConfig>(std::move(*parsed));
        q->config_error.clear();
      } else {
        if (q->config_error != parsed.error().message()) {
          spdlog::warn("event=push_config_invalid queue={} error=\"{}\"", q->name,
                       parsed.error().message());
        }
        q->config.reset();
        q->config_error = parsed.error().message();
      }
      q->paused = info.paused;
      if (!q->gone_message.empty()) {
        if (info.paused) {
          q->seen_paused_since_gone = true;
        } else if (q->seen_paused_since_gone) {
          q->gone_message.clear();  // resumed by an operator
        }
      }
    }
    for (auto it = queues.begin(); it != queues.end();) {
      auto& q = it->second;
      if (!seen.contains(q->name)) {
        q->configured = false;
        if (q->reserving) engine.cancel_waiter(q->waiter);
        release_ready(*q, "push was removed from the queue");
        if (q->in_flight == 0 && !q->reserving) {
          it = queues.erase(it);
          continue;
        }
      }
      ++it;
    }
    for (auto& [name, q] : queues) {
      dispatch(q);
      pump(q);
    }
    publish_health();
  }

  // ---- reserving ----
  CircuitBreaker& breaker_for(const std::string& target) {
    auto it = breakers.find(target);
    if (it == breakers.end()) it = breakers.emplace(target, CircuitBreaker(options.breaker)).first;
    return it->second;
  }

  void pump(const std::shared_ptr<QueueState>& q) {
    if (stopping || !q->configured || !q->config || q->paused || !q->gone_message.empty() ||
        q->reserving || std::chrono::steady_clock::now() < q->hold_until) {
      return;
    }
    int room = std::min({q->config->concurrency + prefetch_of(*q->config) - q->in_flight -
                             static_cast<int>(q->ready.size()),
                         options.max_in_flight - total_in_flight, kMaxReserve});
    const TimeMs now = clock.now_ms();
    CircuitBreaker& b = breaker_for(q->config->endpoint.authority());
    BreakerState state = b.state(now);
    if (state == BreakerState::kOpen) return;  // jobs wait queued, spending nothing
    if (state == BreakerState::kHalfOpen) {
      if (b.probing()) return;  // one probe at a time; its outcome re-pumps
      room = std::min(room, 1);
    }
    if (room <= 0) return;
    engine::ReserveRequest req;
    req.queues = {q->name};
    req.max = room;
    req.wait_ms = options.long_poll_ms;
    req.lease_ms =
        std::clamp<std::int64_t>(q->config->timeout_ms + kLeaseMarginMs, kMinLeaseMs, kMaxLeaseMs);
    req.worker = options.worker;
    q->reserving = true;
    ++reserves_out;
    std::weak_ptr<Impl> weak = weak_from_this();
    q->waiter = engine.reserve(std::move(req), [weak, q](StatusOr<std::vector<Job>> r) {
      if (auto self = weak.lock()) {
        self->post_here([weak, q, r = std::move(r)]() mutable {
          if (auto s = weak.lock()) s->on_reserved(q, std::move(r));
        });
      }
    });
  }

  void on_reserved(const std::shared_ptr<QueueState>& q, StatusOr<std::vector<Job>> r) {
    q->reserving = false;
    --reserves_out;
    if (!r) {
      if (!stopping) {
        spdlog::warn("event=push_reserve_failed queue={} error=\"{}\"", q->name,
                     r.error().message());
        q->hold_until = std::chrono::steady_clock::now() + std::chrono::seconds(1);
      }
      check_drained();
      return;
    }
    for (Job& job : *r) q->ready.push_back(std::move(job));
    dispatch(q);
    pump(q);
    check_drained();
  }

  // Starts deliveries of the queue's reserved jobs while it has free slots; releases them when
  // the queue may not push now.
  void dispatch(const std::shared_ptr<QueueState>& q) {
    if (q->ready.empty()) return;
    if (stopping || !q->configured || !q->config || q->paused || !q->gone_message.empty()) {
      release_ready(*q, stopping ? "the push delivery stopped before sending"
                                 : "the queue stopped pushing before this job was sent");
      return;
    }
    std::shared_ptr<const PushConfig> config = q->config;
    // A reserve that was answered after its target's breaker opened (its cancel can reach the
    // engine before the reserve itself does): those jobs wait queued, as the breaker wants.
    const std::string target = config->endpoint.authority();
    if (breaker_for(target).state(clock.now_ms()) == BreakerState::kOpen) {
      release_ready(*q, "the circuit breaker of " + target + " is open; the job waits queued");
      return;
    }
    while (!q->ready.empty() && q->in_flight < config->concurrency &&
           total_in_flight < options.max_in_flight) {
      ++q->in_flight;
      ++total_in_flight;
      // Taken off the deque first: co_spawn may run deliver() inline up to its first wait, and a
      // snoozed delivery finishes there and dispatches again (re-entering this loop).
      Job job = std::move(q->ready.front());
      q->ready.pop_front();
      asio::co_spawn(io, deliver(q, config, std::move(job)), asio::detached);
    }
  }

  // The breaker of `target` opened: drop the long polls (prefetches) parked for its queues, so a
  // job enqueued from now on waits queued instead of being reserved and then snoozed.
  void stop_reserving_for(const std::string& target) {
    for (auto& [name, q] : queues) {
      if (q->reserving && q->config && q->config->endpoint.authority() == target) {
        engine.cancel_waiter(q->waiter);
      }
    }
  }

  void release_ready(QueueState& q, const std::string& why) {
    for (const Job& job : q.ready) release(job, why);
    q.ready.clear();
  }

  // ---- delivering ----
  void release(const Job& job, std::string why) {
    queue_fail(engine::FailItem{job.id, job.lease_token, std::move(why), FailKind::kRelease,
                                std::nullopt});
  }

  // ---- settling (batched per io-loop turn) ----
  // Durability: an item is queued only once its delivery's answer (or its cut-off) is known,
  // and flushed to the engine before this io turn's later handlers run; stop() joins the io
  // thread only after the last flush, and engine.stop() applies whatever was submitted.
  void queue_ack(engine::AckItem item) {
    pending_acks.push_back(std::move(item));
    schedule_flush();
  }
  void queue_fail(engine::FailItem item) {
    pending_fails.push_back(std::move(item));
    schedule_flush();
  }
  void schedule_flush() {
    if (flush_posted) return;
    flush_posted = true;
    post_here([weak = weak_from_this()] {
      if (auto self = weak.lock()) self->flush();
    });
  }

  void flush() {
    flush_posted = false;
    if (!pending_acks.empty() || !pending_fails.empty()) {
      std::vector<std::string> ids;
      ids.reserve(pending_acks.size() + pending_fails.size());
      for (const auto& a : pending_acks) ids.push_back(a.id);
      for (const auto& f : pending_fails) ids.push_back(f.id);
      engine.settle(std::move(pending_acks), std::move(pending_fails),
                    [ids = std::move(ids)](std::vector<StatusOr<ops::SettleResult>> results) {
                      for (std::size_t i = 0; i < results.size() && i < ids.size(); ++i) {
                        if (!results[i]) {
                          spdlog::info("event=push_settle_failed job={} error=\"{}\"", ids[i],
                                       results[i].error().message());
                        }
                      }
                    });
      pending_acks.clear();
      pending_fails.clear();
    }
    // After the settles: the engine applies them first, so a reserve below can be served with
    // the room they made in the same transaction.
    if (pump_all_pending) {
      for (auto& [name, q] : queues) {
        dispatch(q);
        pump(q);
      }
    } else {
      for (auto& q : pending_pumps) pump(q);
    }
    pump_all_pending = false;
    pending_pumps.clear();
    check_drained();
  }

  asio::awaitable<void> deliver(std::shared_ptr<QueueState> q,
                                std::shared_ptr<const PushConfig> config, Job job) {
    auto self = shared_from_this();
    const std::string target = config->endpoint.authority();
    TimeMs now = clock.now_ms();
    CircuitBreaker& b = breaker_for(target);
    auto admit = b.admit(now);
    if (admit == CircuitBreaker::Admit::kNo) {
      std::int64_t wait = std::max(b.retry_in_ms(now), kSnoozeFloorMs);
      queue_fail(engine::FailItem{job.id, job.lease_token,
                                  "the circuit breaker of " + target + " is open; waiting " +
                                      format_elapsed(wait) + " without spending an attempt",
                                  FailKind::kSnooze, wait});
      finish(q);
      co_return;
    }
    std::string body = encode_delivery(job);
    const std::int64_t timestamp = now / 1000;
    std::vector<std::pair<std::string, std::string>> headers = {
        {"webhook-id", job.id},
        {"webhook-timestamp", std::to_string(timestamp)},
        {"webhook-signature", signature_header(config->keys, job.id, timestamp, body)},
    };
    Exchange ex = co_await client.post(*config, std::move(headers), std::move(body));
    now = clock.now_ms();
    if (ex.cancelled) {
      if (admit == CircuitBreaker::Admit::kProbe) b.abandon_probe();
      release(job, "the server stopped during the delivery");
      finish(q);
      co_return;
    }
    ++delivered;
    Outcome o = ex.answer
                    ? classify_answer(*ex.answer, config->endpoint.host, ex.elapsed_ms, now)
                    : classify_transport_error(ex.error, config->endpoint.host, ex.elapsed_ms);
    BreakerState before = b.state(now);
    b.record(o.breaker_failure, now);
    BreakerState after = b.state(now);
    if (before != after) {
      spdlog::warn("event=push_breaker target={} state={} consecutive_failures={}", target,
                   to_string(after), b.consecutive_failures());
      if (after == BreakerState::kOpen) stop_reserving_for(target);
    }
    spdlog::debug("event=push_delivery queue={} job={} attempt={} status={} elapsed_ms={}{}",
                  q->name, job.id, job.attempts, ex.answer ? ex.answer->status : 0, ex.elapsed_ms,
                  o.verdict == Verdict::kAck ? "" : " error=\"" + o.message + "\"");
    switch (o.verdict) {
      case Verdict::kAck:
        queue_ack(engine::AckItem{std::move(job.id), std::move(job.lease_token),
                                  std::move(o.result_json)});
        break;
      case Verdict::kRetry:
        queue_fail(engine::FailItem{std::move(job.id), std::move(job.lease_token),
                                    std::move(o.message), FailKind::kRetry, o.retry_after_ms});
        break;
      case Verdict::kPermanent:
        queue_fail(engine::FailItem{std::move(job.id), std::move(job.lease_token),
                                    std::move(o.message), FailKind::kPermanent, std::nullopt});
        break;
      case Verdict::kGone: {
        std::string why =
            "the endpoint answered 410 Gone: push is paused until the queue is "
            "resumed (" +
            o.message + ")";
        spdlog::warn("event=push_gone queue={} target={} message=\"{}\"", q->name, target,
                     o.message);
        queue_fail(engine::FailItem{std::move(job.id), std::move(job.lease_token),
                                    std::move(o.message), FailKind::kPermanent, std::nullopt});
        if (q->gone_message.empty()) {
          q->gone_message = std::move(why);
          q->seen_paused_since_gone = false;
          if (q->reserving) engine.cancel_waiter(q->waiter);
          release_ready(*q, "the endpoint answered 410 Gone before this job was sent");
          engine.set_paused(q->name, true, [name = q->name](StatusOr<QueueInfo> r) {
            if (!r)
              spdlog::warn("event=push_pause_failed queue={} error=\"{}\"", name,
                           r.error().message());
          });
        }
        break;
      }
    }
    bool changed = before != after || o.verdict == Verdict::kGone;
    finish(q);
    if (changed) publish_health();
  }

  void finish(const std::shared_ptr<QueueState>& q) {
    --q->in_flight;
    bool was_full = total_in_flight >= options.max_in_flight;
    --total_in_flight;
    dispatch(q);
    // The re-pump waits for this turn's flush, so deliveries ending together share one reserve.
    if (was_full) {
      pump_all_pending = true;
    } else if (std::find(pending_pumps.begin(), pending_pumps.end(), q) == pending_pumps.end()) {
      pending_pumps.push_back(q);
    }
    schedule_flush();
  }

  void check_drained() {
    if (!stopping || total_in_flight > 0 || reserves_out > 0 || flush_posted) return;
    std::lock_guard lock(mu);
    drained = true;
    drained_cv.notify_all();
  }

  void publish_health() {
    PushHealth h;
    const TimeMs now = clock.now_ms();
    for (const auto& [name, q] : queues) {
      if (!q->configured) continue;
      PushQueueHealth qh;
      qh.queue = name;
      qh.in_flight = q->in_flight;
      if (!q->config) {
        qh.state = "invalid_config";
        qh.message = q->config_error;
      } else {
        qh.target = q->config->endpoint.authority();
        auto b = breakers.find(qh.target);
        if (!q->gone_message.empty()) {
          qh.state = "gone";
          qh.message = q->gone_message;
        } else if (q->paused) {
          qh.state = "paused";
          qh.message = "the queue is paused";
        } else if (b != breakers.end() && b->second.state(now) != BreakerState::kClosed) {
          qh.state = "breaker_open";
          qh.message = "the circuit breaker of " + qh.target + " is " +
                       std::string(to_string(b->second.state(now)));
        } else {
          qh.state = "delivering";
        }
      }
      h.queues.push_back(std::move(qh));
    }
    for (const auto& [target, b] : breakers) {
      h.breakers.push_back(
          BreakerHealth{target, b.state(now), b.consecutive_failures(), b.retry_in_ms(now)});
    }
    h.delivered = delivered;
    std::lock_guard lock(mu);
    snapshot = std::move(h);
  }
};

Pusher::Pusher(engine::Engine& engine, const Clock& clock, PusherOptions options) {
  options.user_agent = "spool/" SPOOL_VERSION;
  impl_ = std::make_shared<Impl>(engine, clock, std::move(options));
}

Pusher::~Pusher() {
  if (impl_->thread.joinable()) stop();
}

void Pusher::start() {
  auto impl = impl_;
  impl->post_here([impl] {
    impl->refresh();
    impl->schedule_refresh();
  });
  impl->thread = std::thread([impl] {
    name_this_thread("spool-push");
    impl->io.run();
  });
}

void Pusher::stop() {
  auto impl = impl_;
  if (!impl->thread.joinable()) return;
  impl->post_here([impl] {
    impl->stopping = true;
    impl->refresh_timer.cancel();
    for (auto& [name, q] : impl->queues) {
      if (q->reserving) impl->engine.cancel_waiter(q->waiter);
      impl->release_ready(*q, "the push delivery stopped before sending");
    }
    impl->check_drained();
  });
  std::unique_lock lock(impl->mu);
  if (!impl->drained_cv.wait_for(lock, impl->options.stop_grace, [&] { return impl->drained; })) {
    lock.unlock();
    // Cut the rest off: each delivery answers cancelled and releases its job.
    impl->post_here([impl] { impl->client.cancel_all(); });
    lock.lock();
    impl->drained_cv.wait_for(lock, std::chrono::seconds(2), [&] { return impl->drained; });
  }
  lock.unlock();
  impl->post_here([impl] {
    impl->client.cancel_all();
    impl->work.reset();  // io.run() returns once the last handler is done
  });
  impl->thread.join();
}

PushHealth Pusher::health() const {
  std::lock_guard lock(impl_->mu);
  return impl_->snapshot;
}

}  // namespace spool::push
