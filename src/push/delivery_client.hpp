// DeliveryClient: the pusher's outbound HTTP/1.1 client (Beast over Asio), http and https.
//
// Ownership and threading: created, used and destroyed on the pusher's one io thread (no
// locks); post() is a coroutine on that thread. Connections are pooled per scheme, host, port
// and CA file; an idle one is reused (keep-alive) and closed after idle_timeout. Sockets are
// bounded by the caller: one per delivery in flight (the pusher caps those) plus at most
// max_idle_per_target idle per target. Redirects are never followed.
//
// Timeouts: connect_timeout_ms covers resolve, TCP connect and the TLS handshake; timeout_ms
// covers the whole exchange from the first step to the last byte of the answer.
//
// TLS: verifies the peer against the system CA store (or the config's ca_file) and the URL's
// host name; sends SNI for names.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "push/outcome.hpp"
#include "push/push_config.hpp"

namespace spool::push {

struct Exchange {
  std::optional<Answer> answer;  // set when an HTTP answer came back
  std::string error;             // otherwise: what failed ("connect: Connection refused")
  bool cancelled = false;        // cut short by cancel_all(): say nothing about the target
  std::int64_t elapsed_ms = 0;
};

struct DeliveryClientOptions {
  std::size_t max_idle_per_target = 64;
  std::chrono::milliseconds idle_timeout{30'000};
  std::string user_agent = "spool";
};

class DeliveryClient {
 public:
  DeliveryClient(boost::asio::any_io_executor executor, DeliveryClientOptions options);
  ~DeliveryClient();
  DeliveryClient(const DeliveryClient&) = delete;
  DeliveryClient& operator=(const DeliveryClient&) = delete;

  // POSTs `body` (application/json) with `headers` to the config's endpoint.
  boost::asio::awaitable<Exchange> post(const PushConfig& config,
                                        std::vector<std::pair<std::string, std::string>> headers,
                                        std::string body);
  // As post(), but connects only to `addresses` (resolved and checked by the caller: the
  // callbacks' SSRF guard), never resolving the host again; the Host header, SNI and the
  // certificate check still use the config's host. Pooled apart from post()'s connections.
  boost::asio::awaitable<Exchange> post_to(const PushConfig& config,
                                           std::vector<boost::asio::ip::tcp::endpoint> addresses,
                                           std::vector<std::pair<std::string, std::string>> headers,
                                           std::string body);
  // Aborts every exchange in flight (each answers cancelled) and closes idle connections.
  void cancel_all();
  // Closes connections idle longer than idle_timeout.
  void close_stale();

  struct Connection;  // delivery_client.cpp

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace spool::push
