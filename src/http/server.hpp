// Server: the HTTP listener, its io threads and every open connection (Beast + Asio, kept out of
// this header so including it stays cheap).
//
// Ownership: the Server borrows the Engine, which must outlive it and must be stopped before
// the Server is destroyed (engine callbacks hold connections). It owns the io_context, the
// acceptor, the io threads and, through them, the sessions.
//
// Threading: listen()/start()/stop_accepting()/drain_and_join() are called from one control
// thread (serve.cpp's main). Sessions run on the io threads, each on its own strand.
//
// Shutdown order (serve.cpp): stop_accepting(); engine.stop() (answers parked long polls);
// drain_and_join() (in-flight requests finish, idle keep-alive connections close).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/callback_url.hpp"
#include "core/clock.hpp"
#include "core/status.hpp"
#include "http/auth.hpp"
#include "http/event_bus.hpp"
#include "http/watch_options.hpp"
#include "metrics/push_health.hpp"

namespace spool::metrics {
class JobMetrics;
}

namespace spool::engine {
class Engine;
}

namespace spool::http {

struct ServerOptions {
  std::string host = "127.0.0.1";  // an IP address or a name that resolves to one
  std::uint16_t port = 7070;       // 0: any free port (see listen())
  int io_threads = 2;
  std::size_t body_limit_bytes = 1 << 20;
  // Open connections (long polls and event streams included) at most; one more is closed as soon
  // as it is accepted, so a flood of clients costs a file descriptor for an instant, not a
  // session each (docs/configuration.md "Overload").
  std::size_t max_connections = 10'000;
  std::vector<TokenSpec> tokens;  // none: auth off (loopback only, checked by the caller)
  // Idle keep-alive connections are kept this long; API.md promises at least 75 s, longer than
  // the longest long poll (60 s).
  std::chrono::seconds idle_timeout{120};
  // GET /v1/events reads this bus (also an engine observer: the caller registers it with the
  // engine). Null: live events answer 503.
  std::shared_ptr<EventBus> events;
  std::chrono::milliseconds events_keepalive{15000};  // a comment on an idle stream this often
  // GET /metrics, /v1/metrics/summary and request timing (also an engine observer and its
  // MinuteRecorder a transaction hook: the caller registers them). Null: metrics answer 503.
  std::shared_ptr<metrics::JobMetrics> metrics;
  WatchOptions watch;
  // Push delivery's breakers and queue states for /readyz, /metrics and GET /v1/queues/{name}
  // (docs/push.md). Null: push delivery is off.
  metrics::PushViewSource push;
  // [callbacks] allow: the prefixes a job's callback_url must match (docs/push.md). Empty:
  // callback_url is refused.
  CallbackAllowlist callbacks;
  // Ages GET /readyz's cached probe (metrics/readiness_cache.hpp); must outlive the Server.
  // Null: the real clock.
  const Clock* clock = nullptr;
};

class Server {
 public:
  Server(engine::Engine& engine, ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens. Answers the bound address as "HOST:PORT" (the real port when 0 was asked;
  // IPv6 in brackets), or kUnavailable naming the address and the cause.
  StatusOr<std::string> listen();
  // Starts the io threads; connections are accepted from then on.
  void start();
  // Closes the acceptor: no new connections.
  void stop_accepting();
  // Lets in-flight requests finish (each answered with Connection: close), closes idle
  // connections, waits up to `grace` for all to end, then stops the io threads and joins them.
  void drain_and_join(std::chrono::milliseconds grace);

  bool auth_enabled() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// True for 127.0.0.0/8, ::1 and "localhost".
bool is_loopback_host(const std::string& host);

}  // namespace spool::http
