// StreamSession (stream_session.hpp): one stream on a connection taken over from a Session.
// Driven by one State; every completion handler first asks it whether the stream still runs.
//
//   kWritingHead -> kOpen <-> kWriting          (a chunk of the source, or the heartbeat)
//                   kOpen  -> kWritingLast      (the chunk the source says is its last)
//   any          -> kEnded                      (end(): source over, client gone, write failed
//                                                or timed out, slow consumer, shutdown)
//
// Ownership and threading: see the header. All of it runs on the connection's strand.
#include "http/stream_session.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http/status.hpp>
#include <memory>

namespace spool::http {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

constexpr auto kWriteTimeout = std::chrono::seconds(30);
// A stream's kernel send buffer: events are small, and a fixed bound (autotuning could grow it to
// megabytes) makes a consumer that stopped reading show up as lag within a few hundred KiB.
constexpr int kStreamSendBuffer = 256 * 1024;

class StreamSession final : public Connection, public std::enable_shared_from_this<StreamSession> {
 public:
  StreamSession(tcp::socket socket, SessionShared& shared, StreamResponse response,
                StreamRequest request)
      : stream_(std::move(socket)),
        shared_(shared),
        request_(std::move(request)),
        source_(std::move(response.source)),
        heartbeat_every_(response.keepalive),
        heartbeat_bytes_(std::move(response.keepalive_bytes)),
        heartbeat_timer_(stream_.get_executor()),
        status_(response.status) {
    auto status = bhttp::int_to_status(static_cast<unsigned>(status_));
    // The head by hand: a Beast response would want a length or chunking. The body ends when the
    // connection closes, which every HTTP/1.x client understands.
    out_ = std::string(request_.version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ") +
           std::to_string(status_) + " " + std::string(bhttp::obsolete_reason(status)) +
           "\r\nContent-Type: " + std::string(response.content_type) +
           "\r\nCache-Control: no-cache\r\nConnection: close\r\nX-Accel-Buffering: no"
           "\r\nx-request-id: " +
           request_.request_id + "\r\n\r\n";
    shared_.enter(this);
  }
  ~StreamSession() override { shared_.leave(this); }

  std::shared_ptr<Connection> share() override { return weak_from_this().lock(); }
  net::any_io_executor executor() override { return stream_.get_executor(); }

  // A stream has no end of its own: shutdown ends it now; the client resumes elsewhere or later
  // with Last-Event-ID.
  void drain() override { end("shutdown"); }

  // Writes the head (built by the constructor in out_), then on_head() starts the stream.
  void write_head() {
    beast::error_code ec;
    stream_.socket().set_option(net::socket_base::send_buffer_size(kStreamSendBuffer), ec);
    spdlog::debug("event=request method={} path={} status={} stream=open request_id={}",
                  to_string(request_.method), request_.path, status_, request_.request_id);
    state_ = State::kWritingHead;
    stream_.expires_after(kWriteTimeout);
    net::async_write(stream_, net::buffer(out_),
                     beast::bind_front_handler(&StreamSession::on_head, shared_from_this()));
  }

 private:
  enum class State {
    kWritingHead,  // the response head is being written; the source has not started
    kOpen,         // waiting for the source or the heartbeat; nothing is being written
    kWriting,      // a chunk of the source, or the heartbeat, is being written
    kWritingLast,  // the chunk after which the source said the stream ends is being written
    kEnded,        // end() ran: the socket is closed, late completions only return
  };

  bool writing() const {
    return state_ == State::kWritingHead || state_ == State::kWriting ||
           state_ == State::kWritingLast;
  }

  void on_head(beast::error_code ec, std::size_t) {
    if (state_ == State::kEnded) return;
    state_ = State::kOpen;
    if (ec) return end("write_failed");
    stream_.expires_never();
    read_client();
    arm_heartbeat();
    std::weak_ptr<StreamSession> weak = weak_from_this();
    source_->start([weak, ex = executor()] {
      if (auto self = weak.lock()) {
        net::post(ex, [self] { self->on_wake(); });
      }
    });
    pump();
  }

  void on_wake() {
    if (state_ == State::kEnded) return;
    if (writing()) {
      if (source_->overrun()) end("slow_consumer");
      return;
    }
    pump();
  }

  void pump() {
    if (state_ != State::kOpen) return;
    StreamSource::Chunk chunk = source_->next();
    if (!chunk.bytes.empty()) {
      end_reason_ = chunk.end_reason;
      return write(std::move(chunk.bytes), chunk.end ? State::kWritingLast : State::kWriting);
    }
    if (chunk.end) end(chunk.end_reason);
  }

  // REQUIRES: state_ is kOpen.
  void write(std::string bytes, State writing) {
    state_ = writing;
    wrote_since_tick_ = true;
    out_ = std::move(bytes);
    // A client that stopped reading fills the socket buffers; the write then waits. The source
    // ends such a stream once it lags (overrun); this bounds the wait when no events come.
    stream_.expires_after(kWriteTimeout);
    net::async_write(stream_, net::buffer(out_),
                     beast::bind_front_handler(&StreamSession::on_write, shared_from_this()));
  }

  void on_write(beast::error_code ec, std::size_t n) {
    bytes_ += n;
    if (state_ == State::kEnded) return;
    bool last = state_ == State::kWritingLast;
    state_ = State::kOpen;
    if (ec) return end(ec == beast::error::timeout ? "write_timeout" : "write_failed");
    stream_.expires_never();
    if (last) return end(end_reason_);
    pump();
  }

  // Every heartbeat_every_: the heartbeat bytes, unless something was written since the last
  // tick or a write is under way (it shows the connection alive well enough).
  void arm_heartbeat() {
    heartbeat_timer_.expires_after(heartbeat_every_);
    heartbeat_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec || self->state_ == State::kEnded) return;
      if (self->state_ == State::kOpen && !self->wrote_since_tick_) {
        self->write(self->heartbeat_bytes_, State::kWriting);
      }
      self->wrote_since_tick_ = false;
      self->arm_heartbeat();
    });
  }

  // Watches the client's side: EOF or an error means it left. Anything it sends is dropped.
  void read_client() {
    stream_.async_read_some(
        buffer_.prepare(4096),
        beast::bind_front_handler(&StreamSession::on_client_read, shared_from_this()));
  }

  void on_client_read(beast::error_code ec, std::size_t n) {
    if (state_ == State::kEnded) return;
    if (ec) return end(ec == beast::error::timeout ? "write_timeout" : "client_gone");
    buffer_.commit(n);
    buffer_.consume(buffer_.size());
    read_client();
  }

  void end(std::string_view reason) {
    if (state_ == State::kEnded) return;
    state_ = State::kEnded;
    heartbeat_timer_.cancel();
    source_->stop();
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::steady_clock::now() - request_.started)
                  .count();
    // A dropped slow consumer is worth an operator's attention; the rest is routine.
    spdlog::log(reason == "slow_consumer" ? spdlog::level::warn : spdlog::level::info,
                "event=stream_closed path={} reason={} bytes={} duration_ms={} request_id={}",
                request_.path, reason, bytes_, ms, request_.request_id);
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.close();
  }

  beast::tcp_stream stream_;
  SessionShared& shared_;
  StreamRequest request_;
  std::shared_ptr<StreamSource> source_;
  std::chrono::milliseconds heartbeat_every_;
  std::string heartbeat_bytes_;
  net::steady_timer heartbeat_timer_;
  int status_;  // the head's, for the log
  State state_ = State::kWritingHead;
  // The heartbeat's own memory, orthogonal to State: whether anything was written since its
  // last tick, whatever is being written now.
  bool wrote_since_tick_ = false;
  std::string_view end_reason_;  // for kWritingLast: the source's reason, static storage
  std::string out_;              // the bytes of the write under way
  std::uint64_t bytes_ = 0;      // written after the head, for the closing log line
  beast::flat_buffer buffer_;    // what the client sends, dropped
};

}  // namespace

void start_stream_session(tcp::socket socket, SessionShared& shared, StreamResponse response,
                          StreamRequest request) {
  std::make_shared<StreamSession>(std::move(socket), shared, std::move(response),
                                  std::move(request))
      ->write_head();
}

}  // namespace spool::http
