// GET /v1/events: Server-Sent Events of job changes (docs/api.md "Live events"). The handler
// parses the filters and the resume point, subscribes to the EventBus and hands the session a
// stream source; the source runs on the session's strand from then on, pulling events from the
// bus's ring, filtering and encoding them there (never on the engine's writer thread).
#include <mutex>

#include "http/event_bus.hpp"
#include "http/handlers/handlers.hpp"
#include "http/sse.hpp"

namespace spool::http::handlers {
namespace {

// The bus calls the wake function from the writer thread at any time after subscribe(), but the
// session's own wake exists only once the stream starts, and is gone after it stops: the slot
// holds whichever is current. Calling it only posts, so holding `mu` meanwhile is cheap.
class WakeSlot {
 public:
  void set(std::function<void()> wake) {
    std::lock_guard lock(mu_);
    wake_ = std::move(wake);
  }
  void wake() {
    std::lock_guard lock(mu_);
    if (wake_) wake_();
  }

 private:
  std::mutex mu_;
  std::function<void()> wake_;  // GUARDED_BY(mu_)
};

// Events taken from the ring per write: bounds one write's size and the time a strand spends
// encoding before other connections get a turn.
constexpr std::size_t kEventsPerWrite = 256;

class EventStream final : public StreamSource {
 public:
  EventStream(EventBus& bus, EventFilter filter, SubscribeResult subscribed)
      : bus_(bus), filter_(std::move(filter)), subscription_(std::move(subscribed.subscription)) {
    pending_ = sse_preamble();
    if (subscribed.gap) pending_ += encode_sse_gap(subscribed.requested, subscribed.oldest);
  }

  void set_wake_slot(std::shared_ptr<WakeSlot> slot) { slot_ = std::move(slot); }

  void start(std::function<void()> wake) override { slot_->set(std::move(wake)); }

  Chunk next() override {
    Chunk chunk;
    chunk.bytes = std::move(pending_);
    pending_.clear();
    while (chunk.bytes.size() < 64 * 1024) {
      auto batch = subscription_->take(kEventsPerWrite);
      if (batch.overrun) {
        // Everything taken so far still goes out; the client then resumes with Last-Event-ID
        // and is told of the gap.
        chunk.end = true;
        chunk.end_reason = "slow_consumer";
        return chunk;
      }
      for (const auto& e : batch.events) {
        if (filter_.matches(e->job)) chunk.bytes += encode_sse_event(*e);
      }
      if (!batch.more) break;
    }
    return chunk;
  }

  bool overrun() override { return subscription_->overrun(); }

  void stop() override {
    bus_.unsubscribe(subscription_);
    if (slot_) slot_->set(nullptr);
  }

 private:
  EventBus& bus_;
  EventFilter filter_;
  std::shared_ptr<Subscription> subscription_;
  std::shared_ptr<WakeSlot> slot_;
  std::string pending_;
};

}  // namespace

void events(Context& ctx, const Request& req, ExchangePtr ex) {
  if (ctx.events == nullptr) {
    return respond_error(ex, Status(StatusCode::kUnavailable, "live events are not enabled"));
  }
  auto parsed = parse_events_request(*req.query, req.last_event_id);
  if (!parsed) return respond_error(ex, parsed.error());
  // Until the stream starts there is nothing to wake; its first next() takes whatever came.
  auto slot = std::make_shared<WakeSlot>();
  auto subscribed = ctx.events->subscribe(parsed->last_event_id, [slot] { slot->wake(); });
  auto source =
      std::make_shared<EventStream>(*ctx.events, std::move(parsed->filter), std::move(subscribed));
  source->set_wake_slot(slot);
  StreamResponse response;
  response.source = std::move(source);
  response.keepalive = ctx.events_keepalive;
  response.keepalive_bytes = std::string(kSseKeepAlive);
  ex->respond_stream(std::move(response));
}

}  // namespace spool::http::handlers
