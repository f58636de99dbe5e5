// A deliberately small blocking HTTP/1.1 client over a loopback TCP socket, for black-box tests.
// It speaks raw bytes so tests can also send what a polite client never would (pipelined
// requests, oversize bodies, garbage). One connection per object; not thread-safe.
#pragma once

#include <boost/json.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace spool::testing {

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  boost::json::value json() const;  // parses body; a test failure if it does not parse
  std::string header(const std::string& name) const;
};

class HttpConnection {
 public:
  HttpConnection(std::string host, std::uint16_t port,
                 std::chrono::milliseconds timeout = std::chrono::seconds(30));
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;
  HttpConnection(HttpConnection&& other) noexcept;
  HttpConnection& operator=(HttpConnection&&) = delete;

  // The token is also registered as a secret that no server log may show (secrets.hpp).
  void set_token(std::string token);
  HttpResponse request(const std::string& method, const std::string& target,
                       const std::string& body = {});
  // Sends bytes as they are.
  void send_raw(const std::string& bytes);
  // Reads one response from the connection.
  HttpResponse read_response();
  // Like request(), for a server that may be gone: nullopt instead of a test failure.
  std::optional<HttpResponse> try_request(const std::string& method, const std::string& target,
                                          const std::string& body = {});
  // True when the server closed the connection (a read sees EOF).
  bool closed_by_peer();
  // Shuts the sending side (a FIN to the server) and keeps reading possible: a client that has
  // said all it will say.
  void shutdown_send();

 private:
  void connect();
  std::string host_;
  std::uint16_t port_;
  std::chrono::milliseconds timeout_;
  int fd_ = -1;
  std::string buffer_;
  std::string token_;
  bool quiet_ = false;  // a short read is expected, not a failure
};

}  // namespace spool::testing
