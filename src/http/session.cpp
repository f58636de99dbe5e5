// Session (session.hpp): one connection while it carries requests, driven by one State (see
// the enum); the client's keep-alive wish stays a field beside it. SessionExchange, the Exchange
// a handler answers through, posts every answer to the session's strand, where deliver() checks
// it still concerns the request in flight. Ownership and threading: see the header.
#include "http/session.hpp"

#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <array>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <chrono>
#include <optional>
#include <vector>

#include "core/log.hpp"
#include "http/dispatch.hpp"
#include "http/errors.hpp"
#include "http/stream_session.hpp"
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
// After a refusal (413, 431, 400) the rest of the input is read and dropped, up to these bounds, so
// the client reads the answer instead of a connection reset (a close with unread data sends RST).
constexpr std::size_t kMaxDrainBytes = 16 << 20;
constexpr auto kDrainTimeout = std::chrono::seconds(5);
// Bytes a parked long poll may buffer from its client (pipelined requests) before it stops
// watching for a disconnect.
constexpr std::size_t kMaxWatchBuffer = 1 << 20;
constexpr std::size_t kMaxRequestIdBytes = 64;
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

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

class Session final : public Connection, public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, SessionShared& shared) : stream_(std::move(socket)), shared_(shared) {
    shared_.enter(this);
  }
  ~Session() override { shared_.leave(this); }

  std::shared_ptr<Connection> share() override { return weak_from_this().lock(); }
  net::any_io_executor executor() override { return stream_.get_executor(); }

  void start() {
    net::dispatch(stream_.get_executor(),
                  beast::bind_front_handler(&Session::read_header, shared_from_this()));
  }

  // On the strand. Idle between requests: close now. Busy: the answer goes out with
  // Connection: close. A stream is its StreamSession's to end.
  void drain() override {
    if (state_ == State::kIdle && buffer_.size() == 0) {
      beast::error_code ec;
      stream_.socket().cancel(ec);
    }
  }

  // On the strand: the answer to request `seq`.
  void deliver(std::uint64_t seq, Response response) {
    if (seq != seq_ || !awaiting_answer()) return;
    if (state_ == State::kWatching) {
      // The watch read completes (aborted) and writes the answer; see on_watch_read.
      state_ = State::kWatchAnswered;
      pending_ = std::move(response);
      beast::error_code ec;
      stream_.socket().cancel(ec);
      return;
    }
    write(std::move(response));
  }

  // On the strand, from a handler: report the client's disconnect while request `seq` waits.
  void watch(std::uint64_t seq, std::function<void()> on_gone) {
    if (seq != seq_ || state_ != State::kHandling) return;
    on_gone_ = std::move(on_gone);
    state_ = State::kWatching;
    // A long poll may wait longer than any read timeout; the engine bounds it (wait_ms).
    stream_.expires_never();
    watch_read();
  }

  // On the strand: answer request `seq` with a stream (see StreamSource in handler.hpp). The
  // socket goes to a StreamSession; this Session ends once the last Exchange lets go of it.
  void deliver_stream(std::uint64_t seq, StreamResponse r) {
    if (seq != seq_ || (state_ != State::kHandling && state_ != State::kOrphaned)) {
      r.source->stop();
      return;
    }
    if (shared_.draining) {
      r.source->stop();
      return write(error_response(
          Status(StatusCode::kUnavailable, "the server is shutting down; reconnect shortly")));
    }
    state_ = State::kStreaming;
    start_stream_session(stream_.release_socket(), shared_, std::move(r),
                         StreamRequest{version_, method_, path_, request_id_, started_});
  }

 private:
  // One request at a time (see session.hpp), so one state says where the connection is:
  //
  //   kIdle -> kReading -> kHandling -> kWriting -> kIdle ...           (keep-alive)
  //                        kHandling -> kWritingLast -> kClosed           (Connection: close)
  //                        kHandling -> kWatching -> kWatchAnswered -> kWriting...
  //                                     kWatching -> kOrphaned -> kWritingLast -> kClosed
  //                        kHandling -> kStreaming                        (socket handed off)
  //   kIdle/kReading -> kWritingRefusal -> kDrainingInput -> kClosed     (413, 431, 400)
  //   any -> kClosed                                                     (EOF, errors, timeouts)
  enum class State {
    kIdle,            // waiting for the next request's header; drain closes the connection now
    kReading,         // reading the body (after a 100 Continue when asked for one)
    kHandling,        // the handler has the request; nothing is read until it answers
    kWatching,        // as kHandling, while a read watches for the client leaving (long poll)
    kWatchAnswered,   // answered while watching: the watch read is cancelled, then pending_ goes
    kOrphaned,        // as kHandling, but the client left: the answer, if any, is the last
    kWriting,         // an answer is being written; the next request is read after it
    kWritingLast,     // an answer with Connection: close is being written; then close
    kWritingRefusal,  // the answer to a request we could not read (413, 431, 400); then drain
    kDrainingInput,   // reading and dropping what the client still sends, then close
    kStreaming,       // the socket belongs to a StreamSession now
    kClosed,
  };

  bool awaiting_answer() const {
    return state_ == State::kHandling || state_ == State::kWatching || state_ == State::kOrphaned;
  }

  void read_header() {
    if (shared_.draining && buffer_.size() == 0) return close();
    parser_.emplace();
    parser_->body_limit(shared_.body_limit_bytes);
    parser_->header_limit(kHeaderLimit);
    state_ = State::kIdle;
    stream_.expires_after(shared_.idle_timeout);
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             beast::bind_front_handler(&Session::on_header, shared_from_this()));
  }

  void on_header(beast::error_code ec, std::size_t) {
    state_ = State::kReading;
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
      return refuse(json_response(
          413, error_body("too_large", "the request body is larger than the limit of " +
                                           std::to_string(shared_.body_limit_bytes) +
                                           " bytes; send less (a batch of fewer jobs)")));
    }
    if (ec == bhttp::error::header_limit || is_http_parse_error(ec)) {
      if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message) {
        return close();
      }
      take_request_id();
      int status = ec == bhttp::error::header_limit ? 431 : 400;
      return refuse(json_response(
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
    state_ = State::kHandling;
    route_ = "unmatched";
    keep_alive_ = req.keep_alive();
    version_ = req.version();
    take_request_id();
    method_ = parse_method(req.method_string());
    std::string_view target = req.target();
    path_.assign(target.substr(0, target.find('?')));

    RequestHead head;
    head.method = method_;
    head.target = target;
    head.path = path_;
    head.authorization = req[bhttp::field::authorization];
    head.body = req.body();
    head.request_id = request_id_;
    head.last_event_id = req["Last-Event-ID"];
    Dispatch d = dispatch_request(shared_.router, shared_.auth, shared_.context, head, query_,
                                  [this] { return make_exchange(); });
    route_ = d.route;
    if (d.refusal) return write(std::move(*d.refusal));
  }

  ExchangePtr make_exchange();

  // Answers the request in flight; kept alive when the client asked for it and nothing speaks
  // against it (shutdown, the client gone).
  void write(Response r) {
    if (r.on_written && client_left()) return abandon(std::move(r));
    bool keep = keep_alive_ && !shared_.draining && state_ != State::kOrphaned;
    start_write(std::move(r), keep ? State::kWriting : State::kWritingLast);
  }

  // True when the client has shut its side or is gone: a watch saw it leave, or the socket
  // holds an end of input (or an error) and nothing before it. A write would still succeed into
  // the kernel's buffer, so this is the last moment to notice before an answer that hands
  // something over (reserved jobs) is counted as delivered. Pipelined bytes waiting first hide
  // a later EOF: that client is treated as present.
  bool client_left() {
    if (state_ == State::kOrphaned) return true;
    char byte = 0;
    ssize_t n = ::recv(stream_.socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n > 0) return false;
    if (n == 0) return true;
    return errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;
  }

  // An answer that hands something over, for a client that left (client_left()): it is not
  // written but handed back (on_written(false) releases reserved jobs without spending an
  // attempt), and the connection closes.
  void abandon(Response r) {
    if (r.on_written) r.on_written(false);
    spdlog::debug("event=answer_dropped reason=client_gone method={} path={} request_id={}",
                  to_string(method_), path_, request_id_);
    started_ = {};
    close();
  }

  // Answers input we could not read as a request; then drains it and closes.
  void refuse(Response r) { start_write(std::move(r), State::kWritingRefusal); }

  void start_write(Response r, State writing) {
    state_ = writing;
    res_ = {};
    res_.version(version_);
    res_.result(static_cast<unsigned>(r.status));
    res_.set(bhttp::field::content_type, r.content_type);
    res_.set("x-request-id", request_id_);
    for (auto& [name, value] : r.headers) res_.set(name, value);
    // Every 503 says when to come back (errors.hpp), whichever path made it.
    if (r.status == 503 && res_.find(bhttp::field::retry_after) == res_.end()) {
      res_.set(bhttp::field::retry_after, kRetryAfterSeconds);
    }
    res_.keep_alive(writing == State::kWriting);
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
    log_request(ec);
    started_ = {};
    if (ec) return close();
    switch (state_) {
      case State::kWriting:
        return read_header();
      case State::kWritingRefusal:
        return start_drain();
      default:
        return close();
    }
  }

  // One line per request at debug; answers the server failed (5xx) also at warn, so an operator
  // sees them at the default level. Never headers, never bodies: a token or a payload must not
  // reach the log. And the request's duration for spool_http_request_seconds.
  void log_request(beast::error_code ec) {
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
  }

  void watch_read() {
    stream_.async_read_some(buffer_.prepare(4096),
                            beast::bind_front_handler(&Session::on_watch_read, shared_from_this()));
  }

  void on_watch_read(beast::error_code ec, std::size_t n) {
    if (!ec) buffer_.commit(n);
    if (state_ == State::kWatchAnswered) {
      on_gone_ = nullptr;
      Response r = std::move(*pending_);
      pending_.reset();
      return write(std::move(r));
    }
    if (!ec && buffer_.size() < kMaxWatchBuffer) return watch_read();
    auto on_gone = std::move(on_gone_);
    on_gone_ = nullptr;
    if (!ec) {
      state_ = State::kHandling;  // too much pipelined input to keep watching; the answer comes
      return;
    }
    // EOF or an error: the client is gone (or shut its side). Drop the waiter; an answer that
    // follows is written if the socket still takes it, then the connection closes, except one
    // handing jobs over: those go back to their queue (write(), client_left()).
    state_ = State::kOrphaned;
    if (on_gone) on_gone();
  }

  // See kMaxDrainBytes for why a refusal is followed by a drain.
  void start_drain() {
    state_ = State::kDrainingInput;
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
    state_ = State::kClosed;
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

  State state_ = State::kIdle;
  std::uint64_t seq_ = 0;  // the request in flight; an Exchange of an older one is ignored
  // The client's wish for the request in flight (its Connection header, its HTTP version),
  // orthogonal to State: write() weighs it with shutdown and kOrphaned.
  bool keep_alive_ = true;
  unsigned version_ = 11;
  Method method_ = Method::kOther;
  std::string path_;
  std::string_view route_ = "unmatched";  // the matched route's pattern (static storage)
  std::string request_id_;
  QueryParams query_;
  std::chrono::steady_clock::time_point started_{};
  std::optional<Response> pending_;  // kWatchAnswered: the answer, until the watch read returns
  std::function<void()> on_gone_;    // kWatching: the handler's disconnect callback
  std::function<void(bool)> on_written_;
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
  std::vector<std::shared_ptr<Connection>> live;
  {
    std::lock_guard lock(shared.mu);
    live.reserve(shared.connections.size());
    for (Connection* c : shared.connections) {
      // A connection whose destructor waits on `mu` has expired: share() answers null.
      if (auto connection = c->share()) live.push_back(std::move(connection));
    }
  }
  // Outside the lock: once a posted drain has run on an io thread, the reference held here may
  // be a session's last, and its destructor takes `mu` (dropping it under the lock deadlocked
  // shutdown now and then).
  for (auto& connection : live) {
    net::post(connection->executor(), [connection] { connection->drain(); });
  }
}

std::size_t session_count(SessionShared& shared) {
  std::lock_guard lock(shared.mu);
  return shared.connections.size();
}

}  // namespace spool::http
