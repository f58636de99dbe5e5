#include "http/server.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <random>
#include <thread>

#include "core/log.hpp"
#include "core/thread_name.hpp"
#include "engine/engine.hpp"
#include "http/handlers/handlers.hpp"
#include "http/session.hpp"
#include "metrics/readiness_cache.hpp"

namespace spool::http {
namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;

constexpr auto kRefusalLogInterval = std::chrono::seconds(10);

std::string random_prefix() {
  std::random_device rd;
  char buf[16];
  std::snprintf(buf, sizeof buf, "%08x-", static_cast<unsigned>(rd()));
  return buf;
}

std::string format_endpoint(const tcp::endpoint& ep) {
  auto addr = ep.address();
  std::string host = addr.to_string();
  if (addr.is_v6()) host = "[" + host + "]";
  return host + ":" + std::to_string(ep.port());
}

// The route table as this server's config wants it: /metrics is public when asked to be.
std::vector<Route> routes_for(const ServerOptions& options) {
  std::vector<Route> routes = api_routes();
  for (Route& r : routes) {
    if (r.pattern == "/metrics" && options.watch.metrics_public) r.access = Access{true, 0};
  }
  return routes;
}

}  // namespace

bool is_loopback_host(const std::string& host) {
  if (host == "localhost") return true;
  std::string h = host;
  if (h.size() > 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  boost::system::error_code ec;
  auto addr = net::ip::make_address(h, ec);
  return !ec && addr.is_loopback();
}

struct Server::Impl {
  Impl(engine::Engine& engine, ServerOptions opts)
      : options(std::move(opts)),
        ioc(std::max(1, options.io_threads)),
        acceptor(net::make_strand(ioc)),
        retry_timer(acceptor.get_executor()),
        shared{Context{engine, options.events.get(), options.events_keepalive, options.metrics,
                       options.watch, options.push, options.callbacks,
                       std::make_shared<metrics::ReadinessCache>(options.clock ? *options.clock
                                                                               : real_clock)},
               Router(routes_for(options)),
               Authenticator(options.tokens),
               options.body_limit_bytes,
               options.idle_timeout,
               random_prefix()} {}

  void accept() {
    acceptor.async_accept(net::make_strand(ioc),
                          [this](boost::system::error_code ec, tcp::socket socket) {
                            if (!acceptor.is_open() || ec == net::error::operation_aborted) return;
                            if (ec) {
                              // Out of file descriptors, say: back off briefly instead of spinning.
                              spdlog::warn("event=accept_failed error={}", log_quote(ec.message()));
                              retry_timer.expires_after(std::chrono::milliseconds(50));
                              retry_timer.async_wait([this](boost::system::error_code) {
                                if (acceptor.is_open()) accept();
                              });
                              return;
                            }
                            if (session_count(shared) >= options.max_connections) {
                              refuse(std::move(socket));
                            } else {
                              start_session(std::move(socket), shared);
                            }
                            accept();
                          });
  }

  // On the acceptor's strand: a connection past max_connections. Closed at once, before
  // anything is read: answering it would mean reading its request first (closing with unread
  // input resets the connection and can destroy the answer), a session's worth of work for each
  // of a flood. One log line per kRefusalLogInterval at most, however many are refused.
  void refuse(tcp::socket socket) {
    boost::system::error_code ec;
    socket.close(ec);
    ++refused_unlogged;
    auto now = std::chrono::steady_clock::now();
    if (now - last_refusal_log < kRefusalLogInterval) return;
    spdlog::warn(
        "event=connections_refused count={} max_connections={} reason=\"at the connection cap; "
        "raise [server] max_connections or add servers\"",
        refused_unlogged, options.max_connections);
    refused_unlogged = 0;
    last_refusal_log = now;
  }

  RealClock real_clock;  // for /readyz's cache when the options name no clock
  ServerOptions options;
  net::io_context ioc;
  tcp::acceptor acceptor;
  net::steady_timer retry_timer;
  // refuse()'s, on the acceptor's strand: refusals since the last log line, and when that was.
  std::uint64_t refused_unlogged = 0;
  std::chrono::steady_clock::time_point last_refusal_log{};
  SessionShared shared;
  std::vector<std::thread> threads;
};

Server::Server(engine::Engine& engine, ServerOptions options)
    : impl_(std::make_unique<Impl>(engine, std::move(options))) {}

Server::~Server() {
  if (!impl_->threads.empty()) drain_and_join(std::chrono::milliseconds(0));
}

bool Server::auth_enabled() const { return impl_->shared.auth.enabled(); }

StatusOr<std::string> Server::listen() {
  auto& o = impl_->options;
  std::string host = o.host;
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  boost::system::error_code ec;
  tcp::endpoint endpoint;
  auto addr = net::ip::make_address(host, ec);
  if (!ec) {
    endpoint = tcp::endpoint(addr, o.port);
  } else {
    tcp::resolver resolver(impl_->ioc);
    auto results = resolver.resolve(host, std::to_string(o.port), ec);
    if (ec || results.empty()) {
      return error(StatusCode::kUnavailable,
                   "cannot resolve listen host \"" + o.host + "\": " + ec.message());
    }
    endpoint = results.begin()->endpoint();
  }
  auto& a = impl_->acceptor;
  auto fail = [&](const char* what) {
    return error(StatusCode::kUnavailable, std::string("cannot ") + what + " " +
                                               format_endpoint(endpoint) + ": " + ec.message());
  };
  if (a.open(endpoint.protocol(), ec)) return fail("open a socket for");
  if (a.set_option(net::socket_base::reuse_address(true), ec)) return fail("configure");
  if (a.bind(endpoint, ec)) return fail("bind");
  if (a.listen(net::socket_base::max_listen_connections, ec)) return fail("listen on");
  auto bound = a.local_endpoint(ec);
  if (ec) return fail("read the address of");
  return format_endpoint(bound);
}

void Server::start() {
  impl_->accept();
  int n = std::max(1, impl_->options.io_threads);
  for (int i = 0; i < n; ++i) {
    impl_->threads.emplace_back([this] {
      name_this_thread("spool-io");
      // The top of every io thread: a throw from any completion handler is logged and the
      // loop resumes, so one bad request never takes the server down.
      for (;;) {
        try {
          impl_->ioc.run();
          return;
        } catch (const std::exception& e) {
          spdlog::error("event=io_exception what={}", log_quote(e.what()));
        }
      }
    });
  }
}

void Server::stop_accepting() {
  auto* impl = impl_.get();
  net::post(impl->acceptor.get_executor(), [impl] {
    boost::system::error_code ec;
    impl->acceptor.close(ec);
    impl->retry_timer.cancel();
  });
}

void Server::drain_and_join(std::chrono::milliseconds grace) {
  auto& shared = impl_->shared;
  shared.draining = true;
  drain_sessions(shared);
  auto deadline = std::chrono::steady_clock::now() + grace;
  while (session_count(shared) > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    // Sessions that finished a request since the last pass may now be idle.
    drain_sessions(shared);
  }
  if (auto left = session_count(shared); left > 0) {
    spdlog::warn("event=drain_timeout open_connections={}", left);
  }
  impl_->ioc.stop();
  for (auto& t : impl_->threads) {
    if (t.joinable()) t.join();
  }
  impl_->threads.clear();
}

}  // namespace spool::http
