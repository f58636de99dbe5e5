// The seam between the network (session.cpp, the only Beast code) and the endpoints
// (handlers/): a decoded Request in, a Response out through an Exchange. Beast-free on purpose,
// so handlers and their tests compile fast.
//
// Threading: a handler is called on its session's strand and must not block. It copies what it
// needs from the Request (the views die when the handler returns), calls the engine, and answers
// through the Exchange from any thread (usually the engine's writer thread, from a callback):
// Exchange::respond() only posts the answer back to the session's strand.
//
// Ownership: the Exchange is shared; each engine callback keeps it (and so the session) alive
// until it has answered. An Exchange answers at most once: the first respond() wins.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/callback_url.hpp"
#include "core/status.hpp"
#include "http/auth.hpp"
#include "http/requests.hpp"
#include "http/watch_options.hpp"
#include "metrics/push_health.hpp"

namespace spool::engine {
class Engine;
}
namespace spool::metrics {
class JobMetrics;
class ReadinessCache;
}  // namespace spool::metrics

namespace spool::http {

enum class Method { kGet, kPost, kPut, kPatch, kDelete, kHead, kOptions, kOther };
std::string_view to_string(Method m);

struct Response {
  int status = 200;
  std::string body;  // JSON unless content_type says otherwise
  std::string_view content_type = "application/json";
  std::vector<std::pair<std::string_view, std::string>> headers;  // extra: Allow, ...
  // Called on the session's strand once the answer was written (true) or could not be (false),
  // e.g. to hand reserved jobs back when the worker vanished.
  std::function<void(bool written)> on_written;
};

// The body of a response that is written over time (Server-Sent Events): the session writes the
// head, then asks the source for bytes whenever the source wakes it, writes `keepalive_bytes`
// when nothing was written for `keepalive`, and ends the stream when the source says so, when
// the client leaves, or at once when the server drains (shutdown). Streams are never kept alive
// for another request: the connection closes when the stream ends.
class StreamSource {
 public:
  virtual ~StreamSource() = default;
  struct Chunk {
    std::string bytes;            // empty: nothing to write now
    bool end = false;             // close the stream after `bytes`
    std::string_view end_reason;  // for the log when `end`
  };
  // On the session's strand, once the head is written. `wake` may be called from any thread,
  // often: it posts a call to next() (or, during a write, to overrun()) to the strand.
  virtual void start(std::function<void()> wake) = 0;
  // On the strand, never during a write: what to write next.
  virtual Chunk next() = 0;
  // On the strand, when woken during a write: true ends the stream now (a consumer too slow to
  // keep up must not hold anything back).
  virtual bool overrun() = 0;
  // On the strand, once: the stream is over, for whatever reason.
  virtual void stop() = 0;
};

struct StreamResponse {
  int status = 200;
  std::string_view content_type = "text/event-stream";
  std::shared_ptr<StreamSource> source;
  std::chrono::milliseconds keepalive{15000};
  std::string keepalive_bytes;
};

Response json_response(int status, std::string body);
Response error_response(const Status& status, std::string_view extra_json = {});

class Exchange {
 public:
  virtual ~Exchange() = default;
  // Answers the request; false (and nothing sent) when an answer was already given.
  virtual bool respond(Response response) = 0;
  // As respond(), but `make` builds the answer on the session's strand: heavy encoding (job
  // lists, payloads) then runs on an io thread instead of the engine's writer thread.
  virtual bool respond_with(std::function<Response()> make) = 0;
  // Long polls: run `on_gone` on the session's strand if the client disconnects before the
  // answer is written. At most one watcher per exchange.
  virtual void watch_disconnect(std::function<void()> on_gone) = 0;
  // Answers with a stream instead of a body (see StreamSource); false (and the source's stop()
  // called) when an answer was already given.
  virtual bool respond_stream(StreamResponse response) = 0;
};
using ExchangePtr = std::shared_ptr<Exchange>;

struct Request {
  Method method = Method::kGet;
  std::string_view path;               // as sent, without the query
  std::vector<std::string> params;     // decoded path captures ({id}, {name})
  const QueryParams* query = nullptr;  // decoded, never null when a handler runs
  std::string_view body;
  std::string_view request_id;
  std::string_view last_event_id;  // the Last-Event-ID header (SSE resume); empty when absent
  RoleSet roles = 0;               // the caller's roles (Authenticator::check); 0 on public routes
  bool auth_enabled = true;        // false: no token configured, every caller is admin
};

class EventBus;

struct Context {
  engine::Engine& engine;
  EventBus* events = nullptr;  // GET /v1/events; null: live events off
  std::chrono::milliseconds events_keepalive{15000};
  // GET /metrics and /v1/metrics/summary; null: metrics off (they answer 503).
  std::shared_ptr<metrics::JobMetrics> metrics;
  WatchOptions watch;            // /readyz thresholds, the summary's overdue threshold
  metrics::PushViewSource push;  // push delivery's state; null: push is off
  CallbackAllowlist callbacks;   // who may be a job's callback_url; empty: callbacks are off
  // GET /readyz's last probe, reused for about a second (metrics/readiness_cache.hpp); null:
  // every call probes.
  std::shared_ptr<metrics::ReadinessCache> readiness;
};

using Handler = void (*)(Context& ctx, const Request& req, ExchangePtr ex);

// Answers `status`; convenience for callbacks.
inline void respond_error(const ExchangePtr& ex, const Status& status) {
  ex->respond(error_response(status));
}

}  // namespace spool::http
