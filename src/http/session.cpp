#include "http/session.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <optional>
#include <vector>

#include "core/log.hpp"
#include "http/errors.hpp"
#include "metrics/job_metrics.hpp"

namespace spool::http {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

constexpr std::size_t kHeaderLimit = 16 * 1024;
constexpr auto kBodyTimeout = std::chrono::seconds(30);
constexpr auto kWriteTimeout = std::chrono::seconds(30);
// After a 413 the rest of the body is read and dropped, up to these bounds, so the client reads
// the answer instead of a connection reset (a close with unread data sends RST).
constexpr std::size_t kMaxDrainBytes = 16 << 20;
constexpr auto kDrainTimeout = std::chrono::seconds(5);
// Bytes a parked long poll may buffer from its client (pipelined requests) before it stops
// watching for a disconnect.
constexpr std::size_t kMaxWatchBuffer = 1 << 20;
constexpr std::size_t kMaxRequestIdBytes = 64;
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
// A stream's kernel send buffer: events are small, and a fixed bound (autotuning could grow it to
// megabytes) makes a consumer that stopped reading show up as lag within a few hundred KiB.
constexpr int kStreamSendBuffer = 256 * 1024;

bool sane_request_id(std::string_view id) {
  if (id.empty() || id.size() > kMaxRequestIdBytes) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.' || c == ':';
    if (!ok) return false;
  }
  return true;
}

bool is_http_parse_error(const beast::error_code& ec) {
  return ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category();
}

}  // namespace

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, SessionShared& shared) : stream_(std::move(socket)), shared_(shared) {
    std::lock_guard lock(shared_.mu);
    shared_.sessions.insert(this);
  }
  ~Session() {
    std::lock_guard lock(shared_.mu);
    shared_.sessions.erase(this);
  }

  net::any_io_executor executor() { return stream_.get_executor(); }

  void start() {
    net::dispatch(stream_.get_executor(),
                  beast::bind_front_handler(&Session::read_header, shared_from_this()));
  }

  // On the strand.
  void drain() {
    // A stream has no end of its own: shutdown ends it now; the client resumes elsewhere or later
    // with Last-Event-ID.
    if (streaming_) return end_stream("shutdown");
    // Idle between requests: close now. Busy: the answer goes out with Connection: close.
    if (idle_ && buffer_.size() == 0) {
      beast::error_code ec;
      stream_.socket().cancel(ec);
    }
  }

  // On the strand: the answer to request `seq`.
  void deliver(std::uint64_t seq, Response response) {
    if (seq != seq_ || answered_) return;
    answered_ = true;
    if (watching_) {
      // The watch read completes (aborted) and writes the answer; see on_watch_read.
      pending_ = std::move(response);
      beast::error_code ec;
      stream_.socket().cancel(ec);
      return;
    }
    write(std::move(response));
  }

  // On the strand, from a handler: report the client's disconnect while request `seq` waits.
  void watch(std::uint64_t seq, std::function<void()> on_gone) {
    if (seq != seq_ || answered_ || watching_) return;
    on_gone_ = std::move(on_gone);
    watching_ = true;
    // A long poll may wait longer than any read timeout; the engine bounds it (wait_ms).
    stream_.expires_never();
    watch_read();
  }

  std::uint64_t seq() const { return seq_; }

  // On the strand: answer request `seq` with a stream (see StreamSource in handler.hpp).
  void deliver_stream(std::uint64_t seq, StreamResponse r) {
    if (seq != seq_ || answered_ || watching_) {
      r.source->stop();
      return;
    }
    answered_ = true;
    if (shared_.draining) {
      r.source->stop();
      return write(error_response(
          Status(StatusCode::kUnavailable, "the server is shutting down; reconnect shortly")));
    }
    streaming_ = true;
    source_ = std::move(r.source);
    keepalive_ = r.keepalive;
    keepalive_bytes_ = std::move(r.keepalive_bytes);
    auto status = bhttp::int_to_status(static_cast<unsigned>(r.status));
    // The head by hand: a Beast response would want a length or chunking. The body ends when the
    // connection closes, which every HTTP/1.x client understands.
    stream_out_ = std::string(version_ == 10 ? "HTTP/1.0 " : "HTTP/1.1 ") +
                  std::to_string(r.status) + " " + std::string(bhttp::obsolete_reason(status)) +
                  "\r\nContent-Type: " + std::string(r.content_type) +
                  "\r\nCache-Control: no-cache\r\nConnection: close\r\nX-Accel-Buffering: no"
                  "\r\nx-request-id: " +
                  request_id_ + "\r\n\r\n";
    beast::error_code ec;
    stream_.socket().set_option(net::socket_base::send_buffer_size(kStreamSendBuffer), ec);
    spdlog::debug("event=request method={} path={} status={} stream=open request_id={}",
                  to_string(method_), path_, r.status, request_id_);
    stream_writing_ = true;
    stream_.expires_after(kWriteTimeout);
    net::async_write(stream_, net::buffer(stream_out_),
                     beast::bind_front_handler(&Session::on_stream_head, shared_from_this()));
  }

 private:
  enum class AfterWrite { kContinue, kClose, kDrainThenClose };

  void read_header() {
    if (shared_.draining && buffer_.size() == 0) return close();
    parser_.emplace();
    parser_->body_limit(shared_.body_limit_bytes);
    parser_->header_limit(kHeaderLimit);
    idle_ = true;
    stream_.expires_after(shared_.idle_timeout);
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             beast::bind_front_handler(&Session::on_header, shared_from_this()));
  }

  void on_header(beast::error_code ec, std::size_t) {
    idle_ = false;
    if (ec) return on_read_error(ec);
    started_ = std::chrono::steady_clock::now();
    route_ = "unmatched";
    if (parser_->is_done()) return on_request();
    stream_.expires_after(kBodyTimeout);
    auto& req = parser_->get();
    if (beast::iequals(req[bhttp::field::expect], "100-continue")) {
      // curl waits a second for this before it sends a body past 1 KiB.
      net::async_write(stream_, net::buffer(kContinue.data(), kContinue.size()),
                       beast::bind_front_handler(&Session::on_continue, shared_from_this()));
      return;
    }
    read_body();
  }

  void on_continue(beast::error_code ec, std::size_t) {
    if (ec) return close();
    read_body();
  }

  void read_body() {
    bhttp::async_read(stream_, buffer_, *parser_,
                      beast::bind_front_handler(&Session::on_body, shared_from_this()));
  }

  void on_body(beast::error_code ec, std::size_t) {
    if (ec) return on_read_error(ec);
    on_request();
  }

  void on_read_error(beast::error_code ec) {
    if (ec == bhttp::error::body_limit) {
      if (started_ == std::chrono::steady_clock::time_point{}) {
        started_ = std::chrono::steady_clock::now();
      }
      take_request_id();
      after_write_ = AfterWrite::kDrainThenClose;
      return write(json_response(
          413, error_body("too_large", "the request body is larger than the limit of " +
                                           std::to_string(shared_.body_limit_bytes) +
                                           " bytes; send less (a batch of fewer jobs)")));
    }
    if (ec == bhttp::error::header_limit || is_http_parse_error(ec)) {
      if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message) {
        return close();
      }
      take_request_id();
      after_write_ = AfterWrite::kDrainThenClose;
      int status = ec == bhttp::error::header_limit ? 431 : 400;
      return write(json_response(
          status, error_body("invalid_request", "malformed HTTP request: " + ec.message())));
    }
    // EOF between requests, timeouts, resets, drain: nothing to answer.
    close();
  }

  void take_request_id() {
    std::string_view given;
    if (parser_ && parser_->is_header_done()) {
      given = parser_->get()["x-request-id"];
      version_ = parser_->get().version();
    }
    if (sane_request_id(given)) {
      request_id_.assign(given.data(), given.size());
    } else {
      char buf[24];
      auto n = shared_.request_counter.fetch_add(1, std::memory_order_relaxed);
      int len = std::snprintf(buf, sizeof buf, "%llx", static_cast<unsigned long long>(n));
      request_id_ = shared_.request_id_prefix;
      request_id_.append(buf, static_cast<std::size_t>(len));
    }
  }

  void on_request() {
    auto& req = parser_->get();
    ++seq_;
    answered_ = false;
    route_ = "unmatched";
    keep_alive_ = req.keep_alive();
    version_ = req.version();
    take_request_id();
    method_ = parse_method(req.method_string());
    std::string_view target = req.target();
    path_.assign(target.substr(0, target.find('?')));

    auto parsed = parse_target(target);
    if (!parsed) return answer_now(error_response(parsed.error()));
    auto match = shared_.router.match(method_, parsed->segments);
    // spool_http_request_seconds is labelled by pattern, never by raw path (bounded labels).
    route_ = match.route ? match.route->pattern : std::string_view("unmatched");
    if (!match.route) {
      if (match.allow.empty()) {
        return answer_now(error_response(Status(
            StatusCode::kNotFound,
            "no endpoint " + std::string(to_string(method_)) + " " + path_ + "; see docs/api.md")));
      }
      Response r =
          json_response(405, error_body("method_not_allowed",
                                        std::string(to_string(method_)) + " is not " +
                                            "allowed on " + path_ + "; allowed: " + match.allow));
      r.headers.emplace_back("Allow", std::move(match.allow));
      return answer_now(std::move(r));
    }
    RoleSet roles = 0;
    Status auth = shared_.auth.check(req[bhttp::field::authorization], match.route->access, &roles);
    if (!auth.ok()) {
      Response r = error_response(auth);
      if (auth.code() == StatusCode::kUnauthenticated) {
        r.headers.emplace_back("WWW-Authenticate", "Bearer");
      }
      return answer_now(std::move(r));
    }
    query_ = std::move(parsed->query);
    Request request;
    request.method = method_;
    request.path = path_;
    request.params = std::move(match.params);
    request.query = &query_;
    request.body = req.body();
    request.request_id = request_id_;
    request.last_event_id = req["Last-Event-ID"];
    request.roles = roles;
    request.auth_enabled = shared_.auth.enabled();
    auto exchange = make_exchange();
    try {
      match.route->handler(shared_.context, request, exchange);
    } catch (const std::exception& e) {
      spdlog::error("event=handler_exception method={} path={} request_id={} what={}",
                    to_string(method_), path_, request_id_, log_quote(e.what()));
      exchange->respond(error_response(Status(
          StatusCode::kInternal, "internal error; the server log has request id " + request_id_)));
    }
  }

  ExchangePtr make_exchange();

  void answer_now(Response r) {
    answered_ = true;
    write(std::move(r));
  }

  void write(Response r) {
    res_ = {};
    res_.version(version_);
    res_.result(static_cast<unsigned>(r.status));
    res_.set(bhttp::field::content_type, r.content_type);
    res_.set("x-request-id", request_id_);
    for (auto& [name, value] : r.headers) res_.set(name, value);
    bool keep =
        keep_alive_ && !shared_.draining && !peer_gone_ && after_write_ == AfterWrite::kContinue;
    if (!keep && after_write_ == AfterWrite::kContinue) after_write_ = AfterWrite::kClose;
    res_.keep_alive(keep);
    res_.body() = std::move(r.body);
    res_.prepare_payload();
    on_written_ = std::move(r.on_written);
    stream_.expires_after(kWriteTimeout);
    bhttp::async_write(stream_, res_,
                       beast::bind_front_handler(&Session::on_write, shared_from_this()));
  }

  void on_write(beast::error_code ec, std::size_t) {
    if (on_written_) {
      auto cb = std::move(on_written_);
      on_written_ = nullptr;
      cb(!ec);
    }
    // One line per request at debug; answers the server failed (5xx) also at warn, so an
    // operator sees them at the default level. Never headers, never bodies: a token or a payload
    // must not reach the log.
    auto level = res_.result_int() >= 500 ? spdlog::level::warn : spdlog::level::debug;
    if (spdlog::should_log(level)) {
      auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                    std::chrono::steady_clock::now() - started_)
                    .count();
      spdlog::log(level, "event=request method={} path={} status={} duration_us={} request_id={}{}",
                  to_string(method_), path_, res_.result_int(), us, request_id_,
                  ec ? " write_error=" + log_quote(ec.message()) : std::string());
    }
    if (shared_.context.metrics && started_ != std::chrono::steady_clock::time_point{}) {
      shared_.context.metrics->observe_request(
          route_, res_.result_int(),
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count());
    }
    started_ = {};
    if (ec) return close();
    switch (after_write_) {
      case AfterWrite::kContinue:
        return read_header();
      case AfterWrite::kClose:
        return close();
      case AfterWrite::kDrainThenClose:
        return start_drain();
    }
  }

  void watch_read() {
    stream_.async_read_some(buffer_.prepare(4096),
                            beast::bind_front_handler(&Session::on_watch_read, shared_from_this()));
  }

  void on_watch_read(beast::error_code ec, std::size_t n) {
    if (!ec) buffer_.commit(n);
    if (pending_) {
      watching_ = false;
      on_gone_ = nullptr;
      Response r = std::move(*pending_);
      pending_.reset();
      return write(std::move(r));
    }
    if (!ec && buffer_.size() < kMaxWatchBuffer) return watch_read();
    watching_ = false;
    auto on_gone = std::move(on_gone_);
    on_gone_ = nullptr;
    if (!ec) return;  // too much pipelined input to keep watching; the answer still comes
    // EOF or an error: the client is gone (or shut its side). Drop the waiter; whatever answer
    // follows is written if the socket still takes it, then the connection closes.
    peer_gone_ = true;
    if (on_gone) on_gone();
  }

  // ---- Streams (SSE) ----
  void on_stream_head(beast::error_code ec, std::size_t) {
    stream_writing_ = false;
    if (!streaming_) return;
    if (ec) return end_stream("write_failed");
    stream_.expires_never();
    stream_read();
    keepalive_timer_ = std::make_unique<net::steady_timer>(stream_.get_executor());
    arm_keepalive();
    std::weak_ptr<Session> weak = weak_from_this();
    source_->start([weak, ex = executor()] {
      if (auto self = weak.lock()) {
        net::post(ex, [self] { self->on_stream_wake(); });
      }
    });
    pump();
  }

  void on_stream_wake() {
    if (!streaming_) return;
    if (stream_writing_) {
      if (source_->overrun()) end_stream("slow_consumer");
      return;
    }
    pump();
  }

  void pump() {
    if (!streaming_ || stream_writing_) return;
    StreamSource::Chunk chunk = source_->next();
    if (!chunk.bytes.empty()) {
      stream_end_after_write_ = chunk.end;
      stream_end_reason_ = chunk.end_reason;
      return write_stream(std::move(chunk.bytes));
    }
    if (chunk.end) end_stream(chunk.end_reason);
  }

  void write_stream(std::string bytes) {
    stream_writing_ = true;
    wrote_since_tick_ = true;
    stream_out_ = std::move(bytes);
    // A client that stopped reading fills the socket buffers; the write then waits. The source
    // ends such a stream once it lags (overrun); this bounds the wait when no events come.
    stream_.expires_after(kWriteTimeout);
    net::async_write(stream_, net::buffer(stream_out_),
                     beast::bind_front_handler(&Session::on_stream_write, shared_from_this()));
  }

  void on_stream_write(beast::error_code ec, std::size_t n) {
    stream_writing_ = false;
    stream_bytes_ += n;
    if (!streaming_) return;
    if (ec) return end_stream(ec == beast::error::timeout ? "write_timeout" : "write_failed");
    stream_.expires_never();
    if (stream_end_after_write_) return end_stream(stream_end_reason_);
    pump();
  }

  void arm_keepalive() {
    keepalive_timer_->expires_after(keepalive_);
    keepalive_timer_->async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec || !self->streaming_) return;
      if (!self->stream_writing_ && !self->wrote_since_tick_) {
        self->write_stream(self->keepalive_bytes_);
      }
      self->wrote_since_tick_ = false;
      self->arm_keepalive();
    });
  }

  // Watches the client's side: EOF or an error means it left. Anything it sends is dropped.
  void stream_read() {
    stream_.async_read_some(
        buffer_.prepare(4096),
        beast::bind_front_handler(&Session::on_stream_read, shared_from_this()));
  }

  void on_stream_read(beast::error_code ec, std::size_t n) {
    if (!streaming_) return;
    if (ec) return end_stream(ec == beast::error::timeout ? "write_timeout" : "client_gone");
    buffer_.commit(n);
    buffer_.consume(buffer_.size());
    stream_read();
  }

  void end_stream(std::string_view reason) {
    if (!streaming_) return;
    streaming_ = false;
    if (keepalive_timer_) keepalive_timer_->cancel();
    source_->stop();
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::steady_clock::now() - started_)
                  .count();
    // A dropped slow consumer is worth an operator's attention; the rest is routine.
    spdlog::log(reason == "slow_consumer" ? spdlog::level::warn : spdlog::level::info,
                "event=stream_closed path={} reason={} bytes={} duration_ms={} request_id={}",
                path_, reason, stream_bytes_, ms, request_id_);
    close();
  }

  void start_drain() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    drained_ = 0;
    drain_buf_ = std::make_unique<std::array<char, 16384>>();
    stream_.expires_after(kDrainTimeout);
    drain_read();
  }

  void drain_read() {
    stream_.async_read_some(net::buffer(*drain_buf_),
                            beast::bind_front_handler(&Session::on_drain, shared_from_this()));
  }

  void on_drain(beast::error_code ec, std::size_t n) {
    drained_ += n;
    if (ec || drained_ > kMaxDrainBytes) return close();
    drain_read();
  }

  void close() {
    on_gone_ = nullptr;
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.close();
  }

  beast::tcp_stream stream_;
  SessionShared& shared_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  bhttp::response<bhttp::string_body> res_;

  std::uint64_t seq_ = 0;
  bool answered_ = false;
  bool idle_ = false;
  bool keep_alive_ = true;
  bool watching_ = false;
  bool peer_gone_ = false;
  unsigned version_ = 11;
  AfterWrite after_write_ = AfterWrite::kContinue;
  Method method_ = Method::kOther;
  std::string path_;
  std::string_view route_ = "unmatched";  // the matched route's pattern (static storage)
  std::string request_id_;
  QueryParams query_;
  std::chrono::steady_clock::time_point started_{};
  std::optional<Response> pending_;
  std::function<void()> on_gone_;
  std::function<void(bool)> on_written_;
  // Streams: set while the connection carries a stream instead of requests.
  bool streaming_ = false;
  bool stream_writing_ = false;
  bool stream_end_after_write_ = false;
  bool wrote_since_tick_ = false;
  std::string_view stream_end_reason_;
  std::shared_ptr<StreamSource> source_;
  std::string stream_out_;
  std::uint64_t stream_bytes_ = 0;
  std::chrono::milliseconds keepalive_{};
  std::string keepalive_bytes_;
  std::unique_ptr<net::steady_timer> keepalive_timer_;
  std::size_t drained_ = 0;
  std::unique_ptr<std::array<char, 16384>> drain_buf_;
};

namespace {

class SessionExchange final : public Exchange {
 public:
  SessionExchange(std::shared_ptr<Session> session, std::uint64_t seq, std::string request_id)
      : session_(std::move(session)), seq_(seq), request_id_(std::move(request_id)) {}

  bool respond(Response response) override {
    if (answered_.exchange(true)) return false;
    net::post(session_->executor(), [s = session_, seq = seq_, r = std::move(response)]() mutable {
      s->deliver(seq, std::move(r));
    });
    return true;
  }

  bool respond_with(std::function<Response()> make) override {
    if (answered_.exchange(true)) return false;
    net::post(
        session_->executor(), [s = session_, seq = seq_, id = request_id_, make = std::move(make)] {
          Response r;
          try {
            r = make();
          } catch (const std::exception& e) {
            spdlog::error("event=encode_exception request_id={} what={}", id, log_quote(e.what()));
            r = error_response(Status(StatusCode::kInternal, "internal error while encoding"));
          }
          s->deliver(seq, std::move(r));
        });
    return true;
  }

  bool respond_stream(StreamResponse response) override {
    if (answered_.exchange(true)) {
      response.source->stop();
      return false;
    }
    net::post(session_->executor(), [s = session_, seq = seq_, r = std::move(response)]() mutable {
      s->deliver_stream(seq, std::move(r));
    });
    return true;
  }

  void watch_disconnect(std::function<void()> on_gone) override {
    session_->watch(seq_, std::move(on_gone));
  }

 private:
  std::shared_ptr<Session> session_;
  std::uint64_t seq_;
  std::string request_id_;  // for log lines written on this request's behalf
  std::atomic<bool> answered_{false};
};

}  // namespace

ExchangePtr Session::make_exchange() {
  return std::make_shared<SessionExchange>(shared_from_this(), seq_, request_id_);
}

void start_session(tcp::socket socket, SessionShared& shared) {
  beast::error_code ec;
  socket.set_option(tcp::no_delay(true), ec);
  std::make_shared<Session>(std::move(socket), shared)->start();
}

void drain_sessions(SessionShared& shared) {
  std::vector<std::shared_ptr<Session>> live;
  {
    std::lock_guard lock(shared.mu);
    live.reserve(shared.sessions.size());
    for (Session* s : shared.sessions) {
      // A session whose destructor waits on `mu` has expired: lock() answers null.
      if (auto session = s->weak_from_this().lock()) live.push_back(std::move(session));
    }
  }
  // Outside the lock: once a posted drain has run on an io thread, the reference held here may
  // be a session's last, and its destructor takes `mu` (dropping it under the lock deadlocked
  // shutdown now and then).
  for (auto& session : live) {
    net::post(session->executor(), [session] { session->drain(); });
  }
}

std::size_t session_count(SessionShared& shared) {
  std::lock_guard lock(shared.mu);
  return shared.sessions.size();
}

}  // namespace spool::http
