// A queue's push configuration as the pusher uses it: parsed from the JSON that PATCH
// /v1/queues/{name} (or the TOML config) stored in QueueConfig::push_json. The HTTP layer checks
// url, secret, timeout_ms and concurrency; the keys it stores without checking (headers,
// ca_file, previous_secret, ...) are checked here, and a queue whose config does not parse is
// not pushed (its error shows in /readyz). Plain values; no threading concerns.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/clock.hpp"
#include "core/status.hpp"

namespace spool::push {

inline constexpr std::int64_t kDefaultTimeoutMs = 30'000;
inline constexpr std::int64_t kDefaultConnectTimeoutMs = 10'000;
inline constexpr int kDefaultConcurrency = 10;

struct Endpoint {
  bool tls = false;  // https
  std::string host;  // as written in the URL (a name or an address; IPv6 without brackets)
  std::uint16_t port = 0;
  std::string target;  // path and query, at least "/"
  // Connections are pooled by this: scheme, host, port and the CA file that checks them.
  std::string pool_key() const;
  // What breakers are kept by and named after: "host:port".
  std::string authority() const;
};

struct PushConfig {
  Endpoint endpoint;
  // Key bytes that sign each request, newest first: the secret, then previous_secret while its
  // overlap lasts. Never logged.
  std::vector<std::string> keys;
  std::int64_t timeout_ms = kDefaultTimeoutMs;  // the whole exchange, connect included
  std::int64_t connect_timeout_ms = kDefaultConnectTimeoutMs;
  int concurrency = kDefaultConcurrency;  // deliveries in flight for this queue at most
  std::vector<std::pair<std::string, std::string>> headers;  // added to every request
  std::string ca_file;                                       // empty: the system CA store
};

// Parses push_json. `now` decides whether previous_secret still signs
// (previous_secret_expires_at, RFC 3339; absent: until it is removed).
StatusOr<PushConfig> parse_push_config(std::string_view push_json, TimeMs now);

}  // namespace spool::push
