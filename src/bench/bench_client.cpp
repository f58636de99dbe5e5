#include "bench/bench_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/url/parse.hpp>
#include <stdexcept>

namespace spool::bench {

namespace http = boost::beast::http;
using boost::system::error_code;

ServerAddress parse_server_address(const std::string& url, const std::string& token) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) throw std::invalid_argument("--url " + url + " is not a URL (http://HOST:PORT)");
  const auto& u = *parsed;
  if (u.scheme() == "https")
    throw std::invalid_argument(
        "--url: https is not supported by the bench; use http:// on a "
        "loopback or private address");
  if (u.scheme() != "http") throw std::invalid_argument("--url must start with http://");
  ServerAddress server;
  server.url = url;
  while (!server.url.empty() && server.url.back() == '/') server.url.pop_back();
  server.host = std::string(u.host_address());
  if (server.host.empty()) throw std::invalid_argument("--url has no host: " + url);
  server.port = u.has_port() ? std::string(u.port()) : "80";
  server.host_header = std::string(u.encoded_host_and_port());
  server.token = token;
  return server;
}

std::string preflight(ServerAddress& target) {
  asio::io_context io;
  tcp::resolver resolver(io);
  error_code ec;
  std::string host = target.host;
  // Boost.URL keeps the brackets of an IPv6 literal; the resolver wants them off.
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  target.endpoints = resolver.resolve(host, target.port, ec);
  if (ec) return "cannot resolve " + target.host + " (" + ec.message() + ")";
  tcp::socket sock(io);
  asio::connect(sock, target.endpoints, ec);
  if (ec) {
    std::string why = ec == asio::error::connection_refused ? "connection refused" : ec.message();
    return "cannot connect to " + target.url + " (" + why + "). Is `spool serve` running?";
  }
  return {};
}

std::string build_request(const ServerAddress& server, std::string_view method,
                          std::string_view path, std::string_view body) {
  std::string out;
  out.reserve(160 + server.token.size() + body.size());
  out.append(method).append(" ").append(path).append(" HTTP/1.1\r\nHost: ");
  out.append(server.host_header).append("\r\n");
  if (!server.token.empty())
    out.append("Authorization: Bearer ").append(server.token).append("\r\n");
  if (!body.empty() || method == "POST") {
    out.append("Content-Type: application/json\r\nContent-Length: ");
    out.append(std::to_string(body.size())).append("\r\n");
  }
  out.append("\r\n").append(body);
  return out;
}

Conn::Conn(asio::io_context& io, const ServerAddress& target)
    : io_(io), target_(target), sock_(io) {}

error_code Conn::connect_now() {
  error_code ec;
  if (sock_.is_open()) return ec;
  asio::connect(sock_, target_.endpoints, ec);
  if (!ec) sock_.set_option(tcp::no_delay(true), ec);
  return ec;
}

void Conn::close() {
  closed_ = true;
  reset();
}

void Conn::reset() {
  error_code ignored;
  sock_.shutdown(tcp::socket::shutdown_both, ignored);
  sock_.close(ignored);
}

asio::awaitable<void> Conn::roundtrip(std::string_view wire, Reply& out) {
  out.ec = {};
  out.connect_failed = false;
  out.status = 0;
  out.body.clear();
  error_code ec;
  if (closed_) {
    out.ec = asio::error::operation_aborted;
    co_return;
  }
  if (!sock_.is_open()) {
    buf_.clear();
    co_await asio::async_connect(sock_, target_.endpoints,
                                 asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      out.ec = ec;
      out.connect_failed = true;
      reset();
      co_return;
    }
    sock_.set_option(tcp::no_delay(true), ec);
  }
  co_await asio::async_write(sock_, asio::buffer(wire.data(), wire.size()),
                             asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    out.ec = ec;
    reset();
    co_return;
  }
  // A parser per response is Beast's rule (parsers are single use); the buffer is reused.
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  co_await http::async_read(sock_, buf_, parser, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    out.ec = ec;
    reset();
    co_return;
  }
  auto& msg = parser.get();
  out.status = msg.result_int();
  out.body = std::move(msg.body());
  if (!msg.keep_alive()) reset();
}

void Shared::error(std::string message, std::uint64_t count) {
  errors.fetch_add(count, std::memory_order_relaxed);
  std::lock_guard lock(mu);
  if (first_error.empty()) first_error = std::move(message);
}

void Shared::fail(std::string message) {
  {
    std::lock_guard lock(mu);
    if (fatal_message.empty()) fatal_message = std::move(message);
  }
  fatal.store(true);
  stopping.store(true);
  for (auto* io : contexts) io->stop();
}

void Shared::progress(std::uint64_t n) {
  done.fetch_add(n, std::memory_order_relaxed);
  last_progress_ns.store(now_ns(), std::memory_order_relaxed);
}

bool Shared::check(const Reply& r, const ServerAddress& server) {
  if (r.ok()) return true;
  if (stopping.load(std::memory_order_relaxed)) return false;
  if (r.connect_failed) {
    std::string why =
        r.ec == asio::error::connection_refused ? "connection refused" : r.ec.message();
    fail("cannot connect to " + server.url + " (" + why + "). Is `spool serve` running?");
    return false;
  }
  if (r.ec) {
    error("connection error: " + r.ec.message());
    return false;
  }
  error(describe_http_error(r.status, r.body));
  return false;
}

namespace {
std::size_t skip_ws(std::string_view s, std::size_t i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\n' || s[i] == '\r' || s[i] == '\t')) ++i;
  return i;
}

// Position just after `"key"` and the colon, or npos.
std::size_t after_key(std::string_view body, std::string_view quoted_key, std::size_t from) {
  for (;;) {
    auto p = body.find(quoted_key, from);
    if (p == std::string_view::npos) return p;
    auto i = skip_ws(body, p + quoted_key.size());
    if (i < body.size() && body[i] == ':') return skip_ws(body, i + 1);
    from = p + 1;  // the text was a value, not a key
  }
}

std::string quoted(std::string_view key) {
  std::string quoted_key;
  quoted_key.reserve(key.size() + 2);
  quoted_key.push_back('"');
  quoted_key.append(key);
  quoted_key.push_back('"');
  return quoted_key;
}
}  // namespace

void find_string_values(std::string_view body, std::string_view key,
                        std::vector<std::string_view>& out) {
  const std::string quoted_key = quoted(key);
  std::size_t from = 0;
  for (;;) {
    auto i = after_key(body, quoted_key, from);
    if (i == std::string_view::npos) return;
    if (i < body.size() && body[i] == '"') {
      auto end = body.find('"', i + 1);
      if (end == std::string_view::npos) return;
      out.push_back(body.substr(i + 1, end - i - 1));
      from = end + 1;
    } else {
      from = i;
    }
  }
}

std::optional<std::int64_t> find_int_value(std::string_view body, std::string_view key) {
  auto i = after_key(body, quoted(key), 0);
  if (i == std::string_view::npos) return std::nullopt;
  std::int64_t v = 0;
  bool any = false;
  for (; i < body.size() && body[i] >= '0' && body[i] <= '9'; ++i) {
    v = v * 10 + (body[i] - '0');
    any = true;
  }
  if (!any) return std::nullopt;
  return v;
}

std::size_t count_occurrences(std::string_view body, std::string_view needle) {
  std::size_t n = 0;
  for (auto p = body.find(needle); p != std::string_view::npos; p = body.find(needle, p + 1)) ++n;
  return n;
}

std::string describe_http_error(unsigned status, std::string_view body) {
  std::string out = "HTTP " + std::to_string(status);
  std::vector<std::string_view> code, message;
  find_string_values(body, "code", code);
  find_string_values(body, "message", message);
  if (!code.empty()) out.append(" ").append(code.front());
  if (!message.empty()) {
    out.append(": ").append(message.front());
  } else if (!body.empty()) {
    out.append(": ").append(body.substr(0, 200));
  }
  return out;
}

std::string make_payload(std::size_t bytes, std::uint64_t seq, std::string_view prefix) {
  std::string s = "{";
  s.append(prefix);
  s.append("\"transactionId\":\"esc-").append(std::to_string(seq));
  s.append("\",\"recipientEmail\":\"user").append(std::to_string(seq % 10000));
  s.append("@example.com\",\"pad\":\"");
  const std::size_t closing = 2;  // "}
  if (s.size() + closing < bytes) s.append(bytes - s.size() - closing, 'x');
  s.append("\"}");
  return s;
}

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(SteadyClock::now().time_since_epoch())
      .count();
}

}  // namespace spool::bench
