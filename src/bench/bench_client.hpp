// The HTTP/1.1 client behind `spool bench`: keep-alive connections driven by Asio coroutines, with
// requests serialized once up front and sent as raw bytes, so the client spends as little of the
// shared CPU as possible and the figures describe the server rather than the load generator.
#pragma once

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace spool::bench {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;

// Where the server is; parsed once from --url.
struct ServerAddress {
  std::string url;   // as given, for messages
  std::string host;  // for the resolver
  std::string port;
  std::string host_header;
  std::string token;
  tcp::resolver::results_type endpoints;
};

// Parses http://host[:port][/]; https is refused (the bench measures the server, not TLS).
// Throws std::invalid_argument with a message for a person.
ServerAddress parse_server_address(const std::string& url, const std::string& token);

// Resolves the host and opens one blocking connection to prove the server is there. Returns an
// empty string on success or the message to print.
std::string preflight(ServerAddress& target);

// A complete HTTP/1.1 request (head and body), ready to be written as-is.
std::string build_request(const ServerAddress& server, std::string_view method,
                          std::string_view path, std::string_view body);

struct Reply {
  boost::system::error_code ec;  // transport error, if any
  bool connect_failed = false;   // the error happened while (re)connecting
  unsigned status = 0;
  std::string body;
  bool ok() const { return !ec && status >= 200 && status < 300; }
};

// One keep-alive connection with at most one request in flight. Not thread-safe: it lives on one
// io_context and every call is made from that context's thread.
class Conn {
 public:
  Conn(asio::io_context& io, const ServerAddress& target);

  // Blocking connect, used before the clock starts so connection setup is not measured.
  boost::system::error_code connect_now();
  // Writes `wire` and reads the whole answer into `out`. Reconnects first if the previous answer
  // asked to close or a previous error left the socket closed.
  asio::awaitable<void> roundtrip(std::string_view wire, Reply& out);
  // Ends the connection for good: cancels whatever is pending (a parked long poll, say), and later
  // roundtrips fail at once instead of reconnecting, so a worker racing the shutdown cannot park
  // a fresh long poll.
  void close();
  asio::io_context& io() { return io_; }

 private:
  asio::io_context& io_;
  const ServerAddress& target_;
  void reset();  // after an error: the next roundtrip reconnects

  tcp::socket sock_;
  boost::beast::flat_buffer buf_;
  bool closed_ = false;
};

// Counters and the first error of the workload that is running, shared by all io threads.
struct Shared {
  std::atomic<std::uint64_t> done{0};    // jobs finished (meaning depends on the workload)
  std::atomic<std::uint64_t> errors{0};  // non-2xx answers, transport errors, item errors
  std::atomic<bool> stopping{false};     // the workload is over: errors from closing are noise
  std::atomic<bool> fatal{false};        // give up: cannot connect, stalled, ...
  std::atomic<std::int64_t> last_progress_ns{0};
  std::mutex mu;
  std::string first_error;
  std::string fatal_message;
  std::vector<asio::io_context*> contexts;  // to stop everything on a fatal error

  void error(std::string message, std::uint64_t count = 1);
  void fail(std::string message);  // fatal: stops every io_context
  void progress(std::uint64_t n);
  // Counts and describes a failed reply; returns true when the reply was a 2xx.
  bool check(const Reply& r, const ServerAddress& server);
};

// A short description of a non-2xx answer: "HTTP 400 invalid_request: max must be 1..100".
std::string describe_http_error(unsigned status, std::string_view body);

// Finds `"key":"value"` occurrences in order, without a JSON DOM: the bench parses thousands of
// reserve answers a second. Values must be plain strings (ids and lease tokens are).
void find_string_values(std::string_view body, std::string_view key,
                        std::vector<std::string_view>& out);
// The integer after `"key":`, if present.
std::optional<std::int64_t> find_int_value(std::string_view body, std::string_view key);
// Number of occurrences of `needle` in `body`.
std::size_t count_occurrences(std::string_view body, std::string_view needle);

// A jobs' `payload` object padded with "pad" to `bytes` bytes (or a little more if the fixed
// fields alone are longer). `prefix` is spliced in first (for the latency probe's timestamp).
std::string make_payload(std::size_t bytes, std::uint64_t seq, std::string_view prefix = {});

std::int64_t now_ns();

}  // namespace spool::bench
