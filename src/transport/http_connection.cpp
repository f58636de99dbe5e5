#include "transport/http_connection.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>

namespace spool::transport {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

std::optional<Endpoint> parse_endpoint(std::string_view url, std::string* why) {
  std::string text(url);
  if (text.find("://") == std::string::npos) text = "http://" + text;
  auto parsed = boost::urls::parse_absolute_uri(text);
  if (!parsed) {
    *why = "cannot read \"" + std::string(url) + "\" as a URL; expected http://HOST:PORT";
    return std::nullopt;
  }
  std::string scheme(parsed->scheme());
  if (scheme == "https") {
    *why = "https URLs are not supported by the spool CLI yet (" + std::string(url) +
           "); reach the server over http, e.g. through an SSH tunnel";
    return std::nullopt;
  }
  if (scheme != "http") {
    *why = "the URL " + std::string(url) + " must start with http://";
    return std::nullopt;
  }
  Endpoint endpoint;
  endpoint.host = std::string(parsed->encoded_host());
  // An IPv6 literal arrives bracketed ("[::1]"); the resolver wants it bare.
  if (endpoint.host.size() > 2 && endpoint.host.front() == '[') {
    endpoint.host = endpoint.host.substr(1, endpoint.host.size() - 2);
  }
  if (endpoint.host.empty()) {
    *why = "the URL " + std::string(url) + " has no host";
    return std::nullopt;
  }
  endpoint.port = parsed->has_port() ? std::string(parsed->port()) : "80";
  endpoint.base_path = std::string(parsed->encoded_path());
  while (!endpoint.base_path.empty() && endpoint.base_path.back() == '/') {
    endpoint.base_path.pop_back();
  }
  endpoint.display_url = text;  // with the scheme added when it was left out
  while (!endpoint.display_url.empty() && endpoint.display_url.back() == '/') {
    endpoint.display_url.pop_back();
  }
  return endpoint;
}

// Beast's sync calls ignore tcp_stream's timeouts, so each step starts the async form with a
// deadline and runs the io_context until that one operation finishes.
struct HttpConnection::Impl {
  asio::io_context io;
  beast::tcp_stream stream{io};
  beast::flat_buffer buffer;
  bool connected = false;
  // Which run() a cancel posted from another thread was meant for. Read and written only on the
  // thread running io, so a cancel that arrives after its run() finished cannot hit the next one.
  std::uint64_t generation = 0;

  template <typename Start>
  beast::error_code run(Start&& start, const std::stop_token& stop = {}) {
    if (stop.stop_requested()) return asio::error::operation_aborted;
    beast::error_code result = asio::error::would_block;
    std::uint64_t mine = ++generation;
    start([&result](beast::error_code ec, auto&&...) { result = ec; });
    {
      std::stop_callback on_stop(stop, [this, mine] {
        asio::post(io, [this, mine] {
          if (generation == mine) stream.cancel();
        });
      });
      io.restart();
      io.run();
    }
    return result;
  }

  void close() {
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream.close();
    buffer.clear();
    connected = false;
  }
};

HttpConnection::HttpConnection(Endpoint endpoint, Options options)
    : endpoint_(std::move(endpoint)),
      options_(std::move(options)),
      impl_(std::make_unique<Impl>()) {}

HttpConnection::~HttpConnection() {
  if (impl_->connected) impl_->close();
}

namespace {

TransportError classify(const beast::error_code& ec, bool connecting) {
  if (ec == asio::error::operation_aborted) {
    return {TransportFailure::kCancelled, "cancelled", connecting};
  }
  if (ec == beast::error::timeout) return {TransportFailure::kTimeout, "timed out", connecting};
  if (ec == asio::error::connection_refused) {
    return {TransportFailure::kRefused, "connection refused", connecting};
  }
  if (connecting &&
      (ec == asio::error::host_unreachable || ec == asio::error::network_unreachable)) {
    return {TransportFailure::kRefused, ec.message(), connecting};
  }
  return {TransportFailure::kBroken, ec.message(), connecting};
}

}  // namespace

bool HttpConnection::connected() const { return impl_->connected; }

bool HttpConnection::request(std::string_view method, std::string_view target,
                             std::string_view body, HttpResponse* response, TransportError* error,
                             std::chrono::milliseconds extra_wait, std::stop_token stop) {
  Impl& s = *impl_;
  for (int attempt = 0; attempt < 2; ++attempt) {
    bool reused = s.connected;
    if (!s.connected) {
      tcp::resolver resolver(s.io);
      beast::error_code resolve_ec;
      auto results = resolver.resolve(endpoint_.host, endpoint_.port, resolve_ec);
      if (resolve_ec) {
        *error = {TransportFailure::kResolve, resolve_ec.message(), true};
        return false;
      }
      s.stream.expires_after(options_.connect_timeout);
      beast::error_code ec =
          s.run([&](auto handler) { s.stream.async_connect(results, std::move(handler)); }, stop);
      if (ec) {
        s.close();
        *error = classify(ec, /*connecting=*/true);
        return false;
      }
      s.connected = true;
    }

    http::request<http::string_body> req;
    req.method_string(std::string(method));
    req.target(endpoint_.base_path + std::string(target));
    req.version(11);
    bool ipv6 = endpoint_.host.find(':') != std::string::npos;
    req.set(http::field::host,
            (ipv6 ? "[" + endpoint_.host + "]" : endpoint_.host) + ":" + endpoint_.port);
    req.set(http::field::user_agent, options_.user_agent);
    req.set(http::field::accept, "application/json");
    req.keep_alive(true);
    if (!options_.token.empty()) req.set(http::field::authorization, "Bearer " + options_.token);
    if (!body.empty()) {
      req.set(http::field::content_type, "application/json");
      req.body() = std::string(body);
    }
    req.prepare_payload();

    s.stream.expires_after(options_.request_timeout + extra_wait);
    beast::error_code ec =
        s.run([&](auto handler) { http::async_write(s.stream, req, handler); }, stop);
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);  // a page of jobs with large payloads; far past 1 MiB
    if (!ec) {
      ec =
          s.run([&](auto handler) { http::async_read(s.stream, s.buffer, parser, handler); }, stop);
    }
    if (ec) {
      if (ec == asio::error::operation_aborted) {
        s.close();
        *error = classify(ec, /*connecting=*/false);
        return false;
      }
      bool nothing_answered = !parser.got_some();
      bool stale = ec == http::error::end_of_stream || ec == asio::error::connection_reset ||
                   ec == asio::error::eof || ec == asio::error::broken_pipe;
      s.close();
      if (reused && stale && nothing_answered) continue;  // idle keep-alive closed; try fresh
      *error = classify(ec, /*connecting=*/false);
      return false;
    }
    auto& res = parser.get();
    response->status = static_cast<int>(res.result_int());
    response->reason = std::string(res.reason());
    response->content_type = std::string(res[http::field::content_type]);
    response->body = std::move(res.body());
    if (!res.keep_alive()) s.close();
    s.stream.expires_never();
    return true;
  }
  *error = {TransportFailure::kBroken, "the server closed the connection twice"};
  return false;
}

}  // namespace spool::transport
