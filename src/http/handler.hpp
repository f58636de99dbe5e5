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

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.hpp"
#include "http/auth.hpp"
#include "http/requests.hpp"
#include "http/watch_options.hpp"

namespace spool::engine {
class Engine;
}
namespace spool::metrics {
class JobMetrics;
}

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
};
using ExchangePtr = std::shared_ptr<Exchange>;

struct Request {
  Method method = Method::kGet;
  std::string_view path;               // as sent, without the query
  std::vector<std::string> params;     // decoded path captures ({id}, {name})
  const QueryParams* query = nullptr;  // decoded, never null when a handler runs
  std::string_view body;
  std::string_view request_id;
};

struct Context {
  engine::Engine& engine;
  // GET /metrics and /v1/metrics/summary; null: metrics off (they answer 503).
  std::shared_ptr<metrics::JobMetrics> metrics;
  WatchOptions watch;  // /readyz thresholds, the summary's overdue threshold
};

using Handler = void (*)(Context& ctx, const Request& req, ExchangePtr ex);

// Answers `status`; convenience for callbacks.
inline void respond_error(const ExchangePtr& ex, const Status& status) {
  ex->respond(error_response(status));
}

}  // namespace spool::http
