#include "support/push_receiver.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <cctype>
#include <condition_variable>
#include <cstdlib>
#include <future>
#include <mutex>
#include <set>
#include <thread>

namespace spool::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

void run_openssl(const std::string& args) {
  std::string cmd = "openssl " + args + " >/dev/null 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
}

}  // namespace

std::string ReceivedRequest::header(const std::string& name) const {
  auto it = headers.find(lower(name));
  return it == headers.end() ? std::string() : it->second;
}

TestPki make_test_pki(const std::string& dir) {
  TestPki p{dir + "/ca.pem", dir + "/server.pem", dir + "/server.key"};
  std::string ca_key = dir + "/ca.key", csr = dir + "/server.csr", ext = dir + "/server.ext";
  run_openssl("req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=spool-test-ca -keyout " +
              ca_key + " -out " + p.ca_file);
  run_openssl("req -newkey rsa:2048 -nodes -subj /CN=localhost -keyout " + p.key_file + " -out " +
              csr);
  {
    FILE* f = std::fopen(ext.c_str(), "w");
    std::fputs("subjectAltName=DNS:localhost,IP:127.0.0.1\n", f);
    std::fclose(f);
  }
  run_openssl("x509 -req -days 2 -in " + csr + " -CA " + p.ca_file + " -CAkey " + ca_key +
              " -CAcreateserial -extfile " + ext + " -out " + p.cert_file);
  return p;
}

// Coroutines hold the Impl by `this` only. close() closes every socket and cancels every timer,
// so each coroutine ends and io.run() returns by itself: a frame left parked in a stopped
// io_context would leak.
struct PushReceiver::Impl {
  asio::io_context io;
  tcp::acceptor acceptor{io};
  std::unique_ptr<ssl::context> tls;
  std::thread thread;
  std::uint16_t port = 0;

  mutable std::mutex mu;
  std::condition_variable cv;
  std::vector<ReceivedRequest> received;
  std::deque<ScriptedAnswer> script;
  ScriptedAnswer fallback;
  std::size_t connections = 0;
  std::set<tcp::socket*> sockets;        // io thread only
  std::set<asio::steady_timer*> timers;  // io thread only
  bool closed = false;                   // io thread only
  std::atomic<bool> close_requested{false};

  ScriptedAnswer next_answer(ReceivedRequest r) {
    std::lock_guard lock(mu);
    received.push_back(std::move(r));
    cv.notify_all();
    if (script.empty()) return fallback;
    ScriptedAnswer a = std::move(script.front());
    script.pop_front();
    return a;
  }

  template <typename Stream>
  asio::awaitable<void> serve(Stream& stream, std::size_t conn) {
    beast::flat_buffer buffer;
    for (;;) {
      bhttp::request<bhttp::string_body> req;
      auto [rec, n] = co_await bhttp::async_read(stream, buffer, req, kTuple);
      if (rec) co_return;
      ReceivedRequest r;
      r.method = std::string(req.method_string());
      r.target = std::string(req.target());
      for (const auto& f : req)
        r.headers[lower(std::string(f.name_string()))] = std::string(f.value());
      r.body = req.body();
      r.connection = conn;
      bool keep = req.keep_alive();
      ScriptedAnswer a = next_answer(std::move(r));
      if (a.delay.count() > 0) {
        asio::steady_timer t(io, a.delay);
        timers.insert(&t);
        co_await t.async_wait(kTuple);
        timers.erase(&t);
        if (closed) co_return;
      }
      if (a.hang_up) co_return;
      bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(a.status), 11};
      for (const auto& [k, v] : a.headers) res.set(k, v);
      res.body() = a.body;
      res.keep_alive(keep);
      res.prepare_payload();
      auto [wec, w] = co_await bhttp::async_write(stream, res, kTuple);
      if (wec || !keep) co_return;
    }
  }

  asio::awaitable<void> connection(tcp::socket socket, std::size_t conn) {
    if (!tls) {
      beast::tcp_stream stream(std::move(socket));
      sockets.insert(&stream.socket());
      co_await serve(stream, conn);
      sockets.erase(&stream.socket());
      co_return;
    }
    beast::ssl_stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(socket)), *tls);
    tcp::socket* raw = &beast::get_lowest_layer(stream).socket();
    sockets.insert(raw);
    auto [hec] = co_await stream.async_handshake(ssl::stream_base::server, kTuple);
    if (!hec) co_await serve(stream, conn);
    sockets.erase(raw);
  }

  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(kTuple);
      if (ec) co_return;
      std::size_t conn;
      {
        std::lock_guard lock(mu);
        conn = ++connections;
      }
      asio::co_spawn(io, connection(std::move(socket), conn), asio::detached);
    }
  }

  void close_all() {
    closed = true;
    boost::system::error_code ignored;
    acceptor.close(ignored);
    for (tcp::socket* s : sockets) s->close(ignored);
    for (asio::steady_timer* t : timers) t->cancel();
  }
};

PushReceiver::PushReceiver() : PushReceiver(Options{}) {}

PushReceiver::PushReceiver(Options options) : impl_(std::make_shared<Impl>()) {
  if (options.tls) {
    impl_->tls = std::make_unique<ssl::context>(ssl::context::tls_server);
    impl_->tls->use_certificate_chain_file(options.tls->cert_file);
    impl_->tls->use_private_key_file(options.tls->key_file, ssl::context::pem);
  }
  tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), 0);
  impl_->acceptor.open(ep.protocol());
  impl_->acceptor.set_option(tcp::acceptor::reuse_address(true));
  impl_->acceptor.bind(ep);
  impl_->acceptor.listen();
  impl_->port = impl_->acceptor.local_endpoint().port();
  asio::co_spawn(impl_->io, impl_->accept_loop(), asio::detached);
  impl_->thread = std::thread([impl = impl_] { impl->io.run(); });
}

PushReceiver::~PushReceiver() {
  close();
  impl_->thread.join();
}

std::uint16_t PushReceiver::port() const { return impl_->port; }

std::string PushReceiver::url(const std::string& path) const {
  return (impl_->tls ? "https://localhost:" : "http://127.0.0.1:") + std::to_string(impl_->port) +
         path;
}

void PushReceiver::script(std::vector<ScriptedAnswer> answers) {
  std::lock_guard lock(impl_->mu);
  for (auto& a : answers) impl_->script.push_back(std::move(a));
}

void PushReceiver::set_default(ScriptedAnswer answer) {
  std::lock_guard lock(impl_->mu);
  impl_->fallback = std::move(answer);
}

std::vector<ReceivedRequest> PushReceiver::requests() const {
  std::lock_guard lock(impl_->mu);
  return impl_->received;
}

std::size_t PushReceiver::request_count() const {
  std::lock_guard lock(impl_->mu);
  return impl_->received.size();
}

std::size_t PushReceiver::connections() const {
  std::lock_guard lock(impl_->mu);
  return impl_->connections;
}

bool PushReceiver::wait_for_requests(std::size_t n, std::chrono::milliseconds limit) {
  std::unique_lock lock(impl_->mu);
  return impl_->cv.wait_for(lock, limit, [&] { return impl_->received.size() >= n; });
}

void PushReceiver::close() {
  if (impl_->close_requested.exchange(true)) return;  // once: the io thread ends after it
  std::promise<void> done;
  auto f = done.get_future();
  asio::post(impl_->io, [impl = impl_, &done] {
    impl->close_all();
    done.set_value();
  });
  f.wait_for(std::chrono::seconds(5));
}

}  // namespace spool::testing
