// HttpConnection: one synchronous HTTP/1.1 connection to a Spool server, kept alive between
// requests, with a bearer token and a deadline on every step so a hung server cannot hang the
// caller. spool::Client pools these; the `spool` CLI's verbs use one directly.
//
// Ownership: the connection owns its io_context and socket; it is movable-by-pointer only.
// Threading: not thread-safe; one thread at a time. Only the stop_token given to request() may
// be triggered from another thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>

namespace spool::transport {

// Where the server is, parsed from --url / SPOOL_URL.
struct Endpoint {
  std::string host;
  std::string port;         // "7070"; from the URL or 80 for http
  std::string base_path;    // "" or "/prefix" (no trailing slash) when behind a proxy path
  std::string display_url;  // as the user gave it, for messages: "http://127.0.0.1:7070"
};

// Accepts "http://host:port[/prefix]" and, for convenience, "host:port". https is refused with a
// message saying so rather than failing later with a confusing handshake error.
// On failure returns the reason, written for a person.
std::optional<Endpoint> parse_endpoint(std::string_view url, std::string* why);

struct HttpResponse {
  int status = 0;
  std::string reason;
  std::string content_type;
  std::string body;
};

// Why no answer came back. Each kind gets its own advice in the CLI's message.
enum class TransportFailure {
  kResolve,    // the host name did not resolve
  kRefused,    // nothing listens there
  kTimeout,    // connected or connecting, but no answer in time
  kBroken,     // the connection failed mid-way (reset, closed, malformed answer)
  kCancelled,  // the caller's stop_token was triggered
};

struct TransportError {
  TransportFailure kind;
  std::string detail;             // the system's words, e.g. "Connection refused"
  bool while_connecting = false;  // no connection was made: the request never left
};

class HttpConnection {
 public:
  struct Options {
    std::chrono::milliseconds connect_timeout{5'000};
    std::chrono::milliseconds request_timeout{30'000};
    std::string token;  // sent as "Authorization: Bearer <token>" when not empty
    std::string user_agent = "spool-cli";
  };

  HttpConnection(Endpoint endpoint, Options options);
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  // Sends one request; `target` is the path and query under the endpoint ("/v1/jobs?limit=5").
  // A non-empty body is sent as application/json. Any HTTP status is a response; only a missing
  // answer is a TransportError. A request that fails on a reused keep-alive connection before any
  // answer arrives is retried once on a fresh one: the server may close idle connections, and the
  // request never reached it.
  // `extra_wait` lengthens the answer deadline (a long poll's own wait). A stop request on `stop`
  // abandons the request and closes the connection (kCancelled).
  bool request(std::string_view method, std::string_view target, std::string_view body,
               HttpResponse* response, TransportError* error,
               std::chrono::milliseconds extra_wait = {}, std::stop_token stop = {});

  bool connected() const;

  const Endpoint& endpoint() const { return endpoint_; }

 private:
  struct Impl;
  Endpoint endpoint_;
  Options options_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace spool::transport
