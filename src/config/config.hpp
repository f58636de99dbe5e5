// `spool serve` configuration: defaults, the TOML file, SPOOL_* environment variables and flags,
// merged in that order (flags win). Every key is documented with its default in
// docs/configuration.md; a new key => a row there and a case in config_test.cpp.
// Plain values and pure functions (the environment is passed in); no threading concerns.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/job.hpp"
#include "core/status.hpp"
#include "engine/engine.hpp"
#include "http/auth.hpp"
#include "http/watch_options.hpp"
#include "push/pusher.hpp"

namespace spool::config {

// One core is the engine's writer; the rest serve the network, up to 4. On the 2-core machines
// we benchmark on, one io thread beat two by 5-15% in every workload (docs/benchmarks.md).
inline int default_io_threads() {
  int cores = static_cast<int>(std::thread::hardware_concurrency());
  return std::clamp(cores - 1, 1, 4);
}

// [callbacks]: per-job completion callbacks (docs/push.md "Completion callbacks").
struct CallbacksConfig {
  std::vector<std::string> allow;  // URL prefixes a job's callback_url must match; none: off
  std::string secret;              // whsec_...: signs every callback; required with `allow`
  int max_attempts = 10;
  std::int64_t backoff_base_ms = 10'000;
  std::int64_t backoff_max_ms = 900'000;
  std::int64_t timeout_ms = 10'000;
  std::string ca_file;  // empty: the system CA store
};

struct ServeConfig {
  std::string listen = "127.0.0.1:7070";
  std::string data = "./spool-data";
  std::string durability = "fast";  // fast | strict
  std::size_t body_limit_bytes = 1 << 20;
  int io_threads = default_io_threads();
  std::string log_level = "info";   // trace | debug | info | warn | error | off
  std::string log_format = "text";  // text (key=value) | json (one object per line)
  // GET /v1/events: events kept for clients that reconnect (also how far a stream may lag before
  // it is dropped), and how often an idle stream gets a keep-alive comment.
  std::size_t events_buffer = 16384;
  std::int64_t events_keepalive_ms = 15000;
  // Admission control (docs/configuration.md "Overload"): open connections beyond this are
  // closed as soon as they are accepted; commands waiting for the engine beyond this are
  // answered 503.
  std::size_t max_connections = 10'000;
  std::size_t max_pending_commands = engine::EngineOptions{}.max_pending_commands;
  // timeout_ms of jobs whose request and queue set none (core/job.hpp); unset: no limit.
  std::optional<std::int64_t> job_timeout_ms;
  std::vector<http::TokenSpec> tokens;
  std::vector<std::pair<std::string, QueueConfig>> queues;  // [queues.<name>]
  http::WatchOptions watch;  // [watch]: /metrics access, /readyz thresholds, summary overdue
  push::PusherOptions push;  // [push]: the pusher's tuning (docs/push.md); SPOOL_PUSH_* override
  // [[schedules]]: created or brought up to date by name at start (schedules made over the API
  // are left alone).
  std::vector<engine::ScheduleSpec> schedules;
  CallbacksConfig callbacks;
};

inline constexpr std::size_t kMinBodyLimit = 1024;
inline constexpr std::size_t kMaxBodyLimit = 256u << 20;
inline constexpr int kMaxIoThreads = 64;
inline constexpr std::size_t kMinEventsBuffer = 16;
inline constexpr std::size_t kMaxEventsBuffer = 1 << 22;
inline constexpr std::int64_t kMinEventsKeepaliveMs = 100;
inline constexpr std::int64_t kMaxEventsKeepaliveMs = 600'000;
inline constexpr std::size_t kMaxMaxConnections = 1'000'000;
inline constexpr std::size_t kMaxMaxPendingCommands = 100'000'000;

// Reads a TOML file into `config` (keys present override). Errors are kInvalidArgument naming
// the file, the key ("queues.email.lease_ms") and what is allowed; unknown keys are errors too,
// so a typo never silently keeps a default.
Status load_config_file(const std::string& path, ServeConfig& config);
// The same from TOML text (tests).
Status load_config_text(const std::string& text, const std::string& origin, ServeConfig& config);

// SPOOL_LISTEN, SPOOL_DATA, SPOOL_DURABILITY, SPOOL_BODY_LIMIT_BYTES, SPOOL_IO_THREADS,
// SPOOL_LOG_LEVEL, SPOOL_LOG_FORMAT, SPOOL_EVENTS_BUFFER, SPOOL_EVENTS_KEEPALIVE_MS,
// SPOOL_MAX_CONNECTIONS, SPOOL_MAX_PENDING_COMMANDS override;
// SPOOL_CALLBACKS_SECRET sets callbacks.secret; SPOOL_TOKEN adds an admin token;
// SPOOL_METRICS_PUBLIC=true|false sets watch.metrics_public;
// SPOOL_PUSH_<KEY> overrides push.<key> of the [push] table (SPOOL_PUSH_BREAKER_FAILURES, ...).
using GetEnv = std::function<const char*(const char*)>;
Status apply_env(const GetEnv& getenv, ServeConfig& config);

// Checks the values that any source may have set (flags included).
Status validate(const ServeConfig& config);

struct ListenAddress {
  std::string host;  // without brackets
  std::uint16_t port = 0;
};
// "HOST:PORT", "[::1]:7070"; port 0 picks a free one.
StatusOr<ListenAddress> parse_listen(const std::string& text);

}  // namespace spool::config
