// HttpClient: a small synchronous HTTP/1.1 client for the `spool` CLI's verbs. One connection,
// kept alive between requests (`spool retry --dead` calls once per queue), a bearer token, and a
// deadline on every step so a hung server cannot hang the terminal.
//
// Ownership: the client owns its io_context and socket; it is movable-by-pointer only.
// Threading: not thread-safe; one thread at a time (the CLI is single-threaded).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace spool::cli {

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
  kResolve,  // the host name did not resolve
  kRefused,  // nothing listens there
  kTimeout,  // connected or connecting, but no answer in time
  kBroken,   // the connection failed mid-way (reset, closed, malformed answer)
};

struct TransportError {
  TransportFailure kind;
  std::string detail;             // the system's words, e.g. "Connection refused"
  bool while_connecting = false;  // no connection was made: the request never left
};

class HttpClient {
 public:
  struct Options {
    std::chrono::milliseconds connect_timeout{5'000};
    std::chrono::milliseconds request_timeout{30'000};
    std::string token;  // sent as "Authorization: Bearer <token>" when not empty
  };

  HttpClient(Endpoint endpoint, Options options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends one request; `target` is the path and query under the endpoint ("/v1/jobs?limit=5").
  // A non-empty body is sent as application/json. Any HTTP status is a response; only a missing
  // answer is a TransportError. A request that fails on a reused keep-alive connection before any
  // answer arrives is retried once on a fresh one: the server may close idle connections, and the
  // request never reached it.
  bool request(std::string_view method, std::string_view target, std::string_view body,
               HttpResponse* response, TransportError* error);

  const Endpoint& endpoint() const { return endpoint_; }

 private:
  struct Impl;
  Endpoint endpoint_;
  Options options_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace spool::cli
