#include "push/delivery_client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

namespace spool::push {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using SteadyTime = std::chrono::steady_clock::time_point;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

std::int64_t ms_since(SteadyTime start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               start)
      .count();
}

bool is_ip_literal(const std::string& host) {
  boost::system::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

// The Host header: the port only when it is not the scheme's default.
std::string host_header(const Endpoint& e) {
  bool v6 = e.host.find(':') != std::string::npos;
  std::string h = v6 ? "[" + e.host + "]" : e.host;
  if (e.port != (e.tls ? 443 : 80)) h += ":" + std::to_string(e.port);
  return h;
}

std::string describe(const boost::system::error_code& ec, std::string_view step,
                     std::int64_t budget_ms) {
  if (ec == beast::error::timeout || ec == asio::error::operation_aborted) {
    return std::string(step) + " timed out (" + format_elapsed(budget_ms) + " allowed)";
  }
  return std::string(step) + ": " + ec.message();
}

}  // namespace

struct DeliveryClient::Connection {
  std::string key;
  std::unique_ptr<beast::tcp_stream> plain;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> tls;
  std::shared_ptr<tcp::resolver> resolver;
  beast::flat_buffer buffer;
  SteadyTime idle_since;
  bool cancelled = false;

  beast::tcp_stream& lowest() { return plain ? *plain : beast::get_lowest_layer(*tls); }
  void abort() {
    cancelled = true;
    if (resolver) resolver->cancel();
    if (plain || tls) {
      boost::system::error_code ignored;
      lowest().socket().close(ignored);
    }
  }
};

struct DeliveryClient::Impl {
  asio::any_io_executor executor;
  DeliveryClientOptions options;
  std::map<std::string, std::vector<std::unique_ptr<Connection>>> idle;
  std::set<Connection*> active;
  std::map<std::string, std::unique_ptr<ssl::context>> tls_contexts;  // by CA file ("": system)

  Impl(asio::any_io_executor ex, DeliveryClientOptions o)
      : executor(std::move(ex)), options(std::move(o)) {}

  std::unique_ptr<Connection> take_idle(const std::string& key) {
    auto it = idle.find(key);
    if (it == idle.end()) return nullptr;
    auto& list = it->second;
    while (!list.empty()) {
      std::unique_ptr<Connection> c = std::move(list.back());
      list.pop_back();
      if (std::chrono::steady_clock::now() - c->idle_since < options.idle_timeout) return c;
    }
    return nullptr;
  }

  void put_idle(std::unique_ptr<Connection> c) {
    auto& list = idle[c->key];
    if (list.size() >= options.max_idle_per_target) return;  // closed by its destructor
    c->idle_since = std::chrono::steady_clock::now();
    list.push_back(std::move(c));
  }

  StatusOr<ssl::context*> context_for(const std::string& ca_file) {
    auto it = tls_contexts.find(ca_file);
    if (it != tls_contexts.end()) return it->second.get();
    auto ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
    boost::system::error_code ec;
    if (ca_file.empty()) {
      ctx->set_default_verify_paths(ec);
    } else {
      ctx->load_verify_file(ca_file, ec);
    }
    if (ec) {
      return tl::unexpected(Status(StatusCode::kUnavailable,
                                   (ca_file.empty() ? std::string("cannot load the system CA store")
                                                    : "cannot load push.ca_file " + ca_file) +
                                       ": " + ec.message()));
    }
    ctx->set_verify_mode(ssl::verify_peer);
    ssl::context* raw = ctx.get();
    tls_contexts.emplace(ca_file, std::move(ctx));
    return raw;
  }

  // Opens a connection for `config`: resolve, connect, TLS handshake. Answers "" or what failed.
  asio::awaitable<std::string> open(Connection& c, const PushConfig& config, SteadyTime deadline,
                                    const std::vector<tcp::endpoint>& pinned) {
    const Endpoint& e = config.endpoint;
    SteadyTime connect_deadline =
        std::min(deadline, std::chrono::steady_clock::now() +
                               std::chrono::milliseconds(config.connect_timeout_ms));
    std::vector<tcp::endpoint> endpoints = pinned;
    if (endpoints.empty()) {
      c.resolver = std::make_shared<tcp::resolver>(executor);
      asio::steady_timer resolve_timer(executor, connect_deadline);
      resolve_timer.async_wait([r = c.resolver](boost::system::error_code ec) {
        if (!ec) r->cancel();
      });
      auto [rec, resolved] =
          co_await c.resolver->async_resolve(e.host, std::to_string(e.port), kTuple);
      resolve_timer.cancel();
      c.resolver.reset();
      if (c.cancelled) co_return "cancelled";
      if (rec) co_return describe(rec, "resolving " + e.host, config.connect_timeout_ms);
      for (const auto& r : resolved) endpoints.push_back(r.endpoint());
    }

    auto stream = std::make_unique<beast::tcp_stream>(executor);
    beast::tcp_stream* raw = stream.get();
    c.plain = std::move(stream);  // so abort() can reach it while connecting
    raw->expires_at(connect_deadline);
    auto [cec, ep] = co_await raw->async_connect(endpoints, kTuple);
    if (c.cancelled) co_return "cancelled";
    if (cec) co_return describe(cec, "connecting to " + e.authority(), config.connect_timeout_ms);
    raw->socket().set_option(tcp::no_delay(true));
    if (!e.tls) co_return "";

    auto ctx = context_for(config.ca_file);
    if (!ctx) co_return ctx.error().message();
    c.tls = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(std::move(*c.plain), **ctx);
    c.plain.reset();
    if (!is_ip_literal(e.host)) {
      if (!SSL_set_tlsext_host_name(c.tls->native_handle(), e.host.c_str())) {
        co_return "TLS: cannot set the server name";
      }
    }
    c.tls->set_verify_callback(ssl::host_name_verification(e.host));
    c.lowest().expires_at(connect_deadline);
    auto [hec] = co_await c.tls->async_handshake(ssl::stream_base::client, kTuple);
    if (c.cancelled) co_return "cancelled";
    if (hec) co_return describe(hec, "TLS handshake with " + e.host, config.connect_timeout_ms);
    co_return "";
  }

  struct Sent {
    std::optional<Answer> answer;
    std::string error;
    bool retry_fresh = false;  // a reused connection that the peer had closed: try a new one
    bool reusable = false;
  };

  template <typename Stream>
  asio::awaitable<Sent> exchange(Stream& stream, Connection& c,
                                 const bhttp::request<bhttp::string_body>& req, bool reused,
                                 std::int64_t timeout_ms) {
    Sent out;
    auto [wec, written] = co_await bhttp::async_write(stream, req, kTuple);
    if (wec) {
      out.retry_fresh = reused && !c.cancelled && wec != beast::error::timeout;
      out.error = describe(wec, "sending the request", timeout_ms);
      co_return out;
    }
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(kMaxResultBytes);
    auto [rec, read] = co_await bhttp::async_read(stream, c.buffer, parser, kTuple);
    if (rec == bhttp::error::body_limit && parser.is_header_done()) {
      Answer a;
      a.status = static_cast<int>(parser.get().result_int());
      a.retry_after = std::string(parser.get()[bhttp::field::retry_after]);
      a.body_truncated = true;
      out.answer = std::move(a);
      co_return out;
    }
    if (rec) {
      out.retry_fresh = reused && !c.cancelled && read == 0 && rec != beast::error::timeout;
      out.error = describe(rec, "waiting for the answer", timeout_ms);
      co_return out;
    }
    auto& res = parser.get();
    Answer a;
    a.status = static_cast<int>(res.result_int());
    a.retry_after = std::string(res[bhttp::field::retry_after]);
    a.body = std::move(res.body());
    out.answer = std::move(a);
    out.reusable = res.keep_alive();
    co_return out;
  }
};

DeliveryClient::DeliveryClient(asio::any_io_executor executor, DeliveryClientOptions options)
    : impl_(std::make_unique<Impl>(std::move(executor), std::move(options))) {}

DeliveryClient::~DeliveryClient() = default;

asio::awaitable<Exchange> DeliveryClient::post(
    const PushConfig& config, std::vector<std::pair<std::string, std::string>> headers,
    std::string body) {
  co_return co_await post_to(config, {}, std::move(headers), std::move(body));
}

asio::awaitable<Exchange> DeliveryClient::post_to(
    const PushConfig& config, std::vector<tcp::endpoint> addresses,
    std::vector<std::pair<std::string, std::string>> headers, std::string body) {
  Impl& im = *impl_;
  const SteadyTime start = std::chrono::steady_clock::now();
  const SteadyTime deadline = start + std::chrono::milliseconds(config.timeout_ms);
  std::string key = config.endpoint.pool_key() + "|" + config.ca_file;
  // A connection made to checked addresses is reused only for the same addresses.
  for (const auto& a : addresses) key += "|" + a.address().to_string();

  bhttp::request<bhttp::string_body> req{bhttp::verb::post, config.endpoint.target, 11};
  req.set(bhttp::field::host, host_header(config.endpoint));
  req.set(bhttp::field::user_agent, im.options.user_agent);
  req.set(bhttp::field::content_type, "application/json");
  for (auto& [name, value] : headers) req.set(name, value);
  for (const auto& [name, value] : config.headers) req.set(name, value);
  req.keep_alive(true);
  req.body() = std::move(body);
  req.prepare_payload();

  Exchange result;
  for (int round = 0; round < 2; ++round) {
    std::unique_ptr<Connection> c = im.take_idle(key);
    const bool reused = c != nullptr;
    if (!c) {
      c = std::make_unique<Connection>();
      c->key = key;
    }
    im.active.insert(c.get());
    struct Unregister {
      Impl& im;
      Connection* c;
      ~Unregister() { im.active.erase(c); }
    } unregister{im, c.get()};

    if (!reused) {
      std::string failed = co_await im.open(*c, config, deadline, addresses);
      if (c->cancelled) {
        result.cancelled = true;
        result.error = "cancelled";
        break;
      }
      if (!failed.empty()) {
        result.error = std::move(failed);
        break;
      }
    }
    c->lowest().expires_at(deadline);
    // Not a ?: with two co_awaits: GCC 12 destroys the result twice.
    Impl::Sent sent;
    if (c->plain) {
      sent = co_await im.exchange(*c->plain, *c, req, reused, config.timeout_ms);
    } else {
      sent = co_await im.exchange(*c->tls, *c, req, reused, config.timeout_ms);
    }
    if (c->cancelled) {
      result.cancelled = true;
      result.error = "cancelled";
      break;
    }
    if (sent.retry_fresh && round == 0) continue;
    if (sent.answer) {
      result.answer = std::move(sent.answer);
      if (sent.reusable) {
        c->lowest().expires_never();
        im.active.erase(c.get());
        im.put_idle(std::move(c));
      }
    } else {
      result.error = std::move(sent.error);
    }
    break;
  }
  result.elapsed_ms = ms_since(start);
  co_return result;
}

void DeliveryClient::cancel_all() {
  for (Connection* c : impl_->active) c->abort();
  impl_->idle.clear();
}

void DeliveryClient::close_stale() {
  auto now = std::chrono::steady_clock::now();
  for (auto it = impl_->idle.begin(); it != impl_->idle.end();) {
    std::erase_if(it->second, [&](const std::unique_ptr<Connection>& c) {
      return now - c->idle_since >= impl_->options.idle_timeout;
    });
    it = it->second.empty() ? impl_->idle.erase(it) : std::next(it);
  }
}

}  // namespace spool::push
