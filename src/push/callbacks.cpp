#include "push/callbacks.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <thread>

#include "core/job_view.hpp"
#include "core/thread_name.hpp"
#include "engine/engine.hpp"
#include "push/address_guard.hpp"
#include "push/delivery_client.hpp"
#include "push/outcome.hpp"
#include "push/signing.hpp"

namespace spool::push {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

// The webhook-id of one job's callback: the same on every attempt; a job retried by an operator
// and finished again gets a new one (its finished_at differs).
std::string callback_id(const Job& job) {
  return job.id + ":" + std::to_string(job.finished_at.value_or(0));
}

}  // namespace

std::int64_t callback_retry_delay_ms(const CallbackOptions& o, int attempt) {
  std::int64_t d = std::max<std::int64_t>(1, o.backoff_base_ms);
  for (int i = 1; i < attempt && d < o.backoff_max_ms; ++i) d *= 2;
  return std::min(d, o.backoff_max_ms);
}

struct CallbackDispatcher::Impl : std::enable_shared_from_this<CallbackDispatcher::Impl> {
  engine::Engine& engine;
  const Clock& clock;
  CallbackOptions options;
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
  std::thread thread;
  asio::steady_timer poll_timer{io};
  DeliveryClient client;
  std::atomic<bool> nudge_pending{false};

  // ---- io thread only ----
  int in_flight = 0;
  bool taking = false;
  bool more = false;   // the last take was full: look again as soon as there is room
  bool again = false;  // asked to take while a take was out: take again when it answers
  bool stopping = false;

  Impl(engine::Engine& e, const Clock& c, CallbackOptions o)
      : engine(e),
        clock(c),
        options(std::move(o)),
        client(io.get_executor(),
               DeliveryClientOptions{8, std::chrono::milliseconds(30'000), options.user_agent}) {}

  void nudge() {
    if (nudge_pending.exchange(true)) return;
    asio::post(io, [weak = weak_from_this()] {
      if (auto self = weak.lock()) {
        self->nudge_pending = false;
        self->take();
      }
    });
  }

  void schedule_poll() {
    poll_timer.expires_after(std::chrono::milliseconds(options.poll_ms));
    poll_timer.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
      auto self = weak.lock();
      if (ec || !self || self->stopping) return;
      self->take();
      self->client.close_stale();
      self->schedule_poll();
    });
  }

  void take() {
    if (stopping) return;
    if (taking) {
      again = true;  // a job may have finished after the take's transaction: look once more
      return;
    }
    int room = options.concurrency - in_flight;
    if (room <= 0) {
      more = true;
      return;
    }
    taking = true;
    std::weak_ptr<Impl> weak = weak_from_this();
    engine.take_callbacks(room, options.timeout_ms + kCallbackHoldMarginMs,
                          [weak, room](StatusOr<std::vector<Job>> r) {
                            auto self = weak.lock();
                            if (!self) return;
                            asio::post(self->io, [weak, room, r = std::move(r)]() mutable {
                              if (auto s = weak.lock()) s->taken(room, std::move(r));
                            });
                          });
  }

  void taken(int room, StatusOr<std::vector<Job>> r) {
    taking = false;
    if (!r) {
      spdlog::warn("event=callback_take_failed error=\"{}\"", r.error().message());
      return;
    }
    more = static_cast<int>(r->size()) >= room;
    if (stopping) return;  // held: they go again after their hold
    if (again) {
      again = false;
      more = true;
    }
    for (Job& job : *r) {
      ++in_flight;
      asio::co_spawn(io, deliver(std::move(job)), asio::detached);
    }
    if (more) take();
  }

  void finished() {
    --in_flight;
    if (more) take();
  }

  void settle(const Job& job, CallbackState state, std::int64_t retry_in_ms, std::string error) {
    const int attempt = job.callback ? job.callback->attempts : 0;
    if (state == CallbackState::kDelivered) {
      spdlog::info("event=callback_delivered job={} attempt={}", job.id, attempt);
    } else {
      spdlog::info("event=callback_{} job={} attempt={} error=\"{}\"",
                   state == CallbackState::kFailed ? "failed" : "retry", job.id, attempt, error);
    }
    engine.settle_callback(
        engine::CallbackOutcome{job.id, attempt, state, retry_in_ms, std::move(error)},
        [id = job.id](StatusOr<bool> r) {
          if (!r)
            spdlog::warn("event=callback_settle_failed job={} error=\"{}\"", id,
                         r.error().message());
        });
  }

  // A retryable failure: again after the backoff (or Retry-After), unless attempts are spent.
  void retry_or_fail(const Job& job, std::optional<std::int64_t> retry_after_ms,
                     std::string error) {
    const int attempt = job.callback ? job.callback->attempts : 0;
    if (attempt >= options.max_attempts) {
      settle(job, CallbackState::kFailed, 0,
             "gave up after " + std::to_string(attempt) + " attempts: " + error);
      return;
    }
    // Retry-After is honoured up to backoff_max_ms: a job with a callback is kept only so long
    // past its end (kCallbackRetainFloorMs), so a far-off retry could outlive the job.
    std::int64_t delay = retry_after_ms ? std::min(*retry_after_ms, options.backoff_max_ms)
                                        : callback_retry_delay_ms(options, attempt);
    settle(job, CallbackState::kPending, delay, std::move(error));
  }

  // Resolves the host once for this attempt and checks every address. Answers the addresses to
  // connect to, or sets `refusal` (permanent) or `error` (retryable).
  asio::awaitable<std::vector<tcp::endpoint>> addresses_for(const CallbackTarget& t,
                                                            bool host_named, std::string& refusal,
                                                            std::string& error) {
    std::vector<tcp::endpoint> out;
    HostForm form = read_host(t.host, t.host_is_ipv6);
    if (!form.refusal.empty()) {
      refusal = "callback_url refused: " + form.refusal;
      co_return out;
    }
    if (form.literal) {
      out.emplace_back(*form.literal, t.port);
    } else {
      tcp::resolver resolver(io);
      asio::steady_timer timer(io, std::chrono::milliseconds(options.timeout_ms));
      timer.async_wait([&resolver](boost::system::error_code ec) {
        if (!ec) resolver.cancel();
      });
      auto [ec, results] = co_await resolver.async_resolve(t.host, std::to_string(t.port), kTuple);
      timer.cancel();
      if (ec) {
        error = "resolving " + t.host + ": " + ec.message();
        co_return out;
      }
      for (const auto& r : results) out.push_back(r.endpoint());
    }
    if (host_named) co_return out;
    for (const auto& ep : out) {
      std::string why = denied_reason(ep.address());
      if (!why.empty()) {
        refusal = "callback_url refused: " + t.host + " resolves to " + ep.address().to_string() +
                  ", " + why + "; only a host named in [callbacks] allow may reach it";
        out.clear();
        co_return out;
      }
    }
    co_return out;
  }

  asio::awaitable<void> deliver(Job job) {
    auto self = shared_from_this();
    struct Done {
      Impl& im;
      ~Done() { im.finished(); }
    } done{*this};

    auto target = parse_callback_url(job.callback_url.value_or(""));
    if (!target) {
      settle(job, CallbackState::kFailed, 0, target.error().message());
      co_return;
    }
    if (!options.allow.enabled()) {
      settle(job, CallbackState::kFailed, 0,
             "completion callbacks are off on this server (no [callbacks] allow list)");
      co_return;
    }
    auto match = options.allow.match(*target);
    if (!match.allowed) {
      settle(job, CallbackState::kFailed, 0,
             "callback_url no longer matches the [callbacks] allow list (" +
                 options.allow.describe() + ")");
      co_return;
    }
    std::string refusal, error;
    auto addresses = co_await addresses_for(*target, match.host_named, refusal, error);
    if (stopping) co_return;
    if (!refusal.empty()) {
      // Not the URL: its query may carry a producer's token.
      spdlog::warn("event=callback_refused job={} reason=\"{}\"", job.id, refusal);
      settle(job, CallbackState::kFailed, 0, std::move(refusal));
      co_return;
    }
    if (addresses.empty()) {
      retry_or_fail(job, std::nullopt,
                    error.empty() ? "resolving " + target->host + ": no address" : error);
      co_return;
    }

    PushConfig config;
    config.endpoint.tls = target->tls;
    config.endpoint.host = target->host;
    config.endpoint.port = target->port;
    config.endpoint.target = target->target;
    config.timeout_ms = options.timeout_ms;
    config.connect_timeout_ms = options.timeout_ms;
    config.ca_file = options.ca_file;

    const std::string id = callback_id(job);
    std::string body = encode_job_view(job);
    const std::int64_t timestamp = clock.now_ms() / 1000;
    std::vector<std::pair<std::string, std::string>> headers = {
        {"webhook-id", id},
        {"webhook-timestamp", std::to_string(timestamp)},
        {"webhook-signature", signature_header({options.key}, id, timestamp, body)},
    };
    Exchange ex =
        co_await client.post_to(config, std::move(addresses), std::move(headers), std::move(body));
    if (ex.cancelled || stopping) co_return;  // held: it goes again after its hold
    Outcome o = ex.answer ? classify_answer(*ex.answer, target->host, ex.elapsed_ms, clock.now_ms())
                          : classify_transport_error(ex.error, target->host, ex.elapsed_ms);
    switch (o.verdict) {
      case Verdict::kAck:
        settle(job, CallbackState::kDelivered, 0, "");
        break;
      case Verdict::kRetry:
        retry_or_fail(job, o.retry_after_ms, std::move(o.message));
        break;
      case Verdict::kPermanent:
      case Verdict::kGone:
        settle(job, CallbackState::kFailed, 0, std::move(o.message));
        break;
    }
  }

  class Nudger final : public engine::JobObserver {
   public:
    explicit Nudger(std::weak_ptr<Impl> impl) : impl_(std::move(impl)) {}
    void on_commit(const engine::CommitInfo&, std::span<const engine::JobEvent> events) override {
      // Only jobs that carry a callback: a take is a write command, and most finished jobs
      // have none, so waking on every completion would add one to nearly every batch.
      for (const auto& e : events) {
        if (e.callback_armed) {
          if (auto impl = impl_.lock()) impl->nudge();
          return;
        }
      }
    }

   private:
    std::weak_ptr<Impl> impl_;
  };
};

CallbackDispatcher::CallbackDispatcher(engine::Engine& engine, const Clock& clock,
                                       CallbackOptions options) {
  options.user_agent = "spool/" SPOOL_VERSION;
  impl_ = std::make_shared<Impl>(engine, clock, std::move(options));
}

CallbackDispatcher::~CallbackDispatcher() {
  if (impl_->thread.joinable()) stop();
}

std::shared_ptr<engine::JobObserver> CallbackDispatcher::observer() {
  return std::make_shared<Impl::Nudger>(impl_);
}

void CallbackDispatcher::start() {
  auto impl = impl_;
  asio::post(impl->io, [impl] {
    impl->take();
    impl->schedule_poll();
  });
  impl->thread = std::thread([impl] {
    name_this_thread("spool-callback");
    impl->io.run();
  });
}

void CallbackDispatcher::stop() {
  auto impl = impl_;
  if (!impl->thread.joinable()) return;
  asio::post(impl->io, [impl] {
    impl->stopping = true;
    impl->poll_timer.cancel();
    impl->client.cancel_all();
    impl->work.reset();
  });
  impl->thread.join();
}

}  // namespace spool::push
