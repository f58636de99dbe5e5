#include "support/http.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

#include "support/secrets.hpp"

namespace spool::testing {

boost::json::value HttpResponse::json() const {
  boost::system::error_code ec;
  auto v = boost::json::parse(body, ec);
  EXPECT_FALSE(ec) << "response body is not JSON: " << body;
  return v;
}

std::string HttpResponse::header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

HttpConnection::HttpConnection(std::string host, std::uint16_t port,
                               std::chrono::milliseconds timeout)
    : host_(std::move(host)), port_(port), timeout_(timeout) {
  connect();
}

HttpConnection::HttpConnection(HttpConnection&& other) noexcept
    : host_(std::move(other.host_)),
      port_(other.port_),
      timeout_(other.timeout_),
      fd_(other.fd_),
      buffer_(std::move(other.buffer_)),
      token_(std::move(other.token_)) {
  other.fd_ = -1;
}

void HttpConnection::set_token(std::string token) {
  register_secret(token);
  token_ = std::move(token);
}

HttpConnection::~HttpConnection() {
  if (fd_ >= 0) ::close(fd_);
}

void HttpConnection::connect() {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd_ < 0) throw std::runtime_error("socket() failed");
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port_);
  ::inet_pton(AF_INET, host_.c_str(), &addr.sin_addr);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    throw std::runtime_error("cannot connect to " + host_ + ":" + std::to_string(port_) + ": " +
                             std::strerror(errno));
  }
}

void HttpConnection::send_raw(const std::string& bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) {
      if (errno == EINTR) continue;
      return;  // the peer closed: the caller reads what it answered
    }
    sent += static_cast<std::size_t>(n);
  }
}

HttpResponse HttpConnection::request(const std::string& method, const std::string& target,
                                     const std::string& body) {
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: " + host_ + "\r\n";
  if (!token_.empty()) req += "Authorization: Bearer " + token_ + "\r\n";
  if (!body.empty() || method == "POST" || method == "PATCH") {
    req +=
        "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  }
  req += "\r\n" + body;
  send_raw(req);
  return read_response();
}

namespace {
// Reads more bytes into buf; false on EOF, error or timeout.
bool fill(int fd, std::string& buf, std::chrono::milliseconds timeout) {
  pollfd p{fd, POLLIN, 0};
  int r = ::poll(&p, 1, static_cast<int>(timeout.count()));
  if (r <= 0) return false;
  char chunk[65536];
  ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
  if (n <= 0) return false;
  buf.append(chunk, static_cast<std::size_t>(n));
  return true;
}
}  // namespace

HttpResponse HttpConnection::read_response() {
  HttpResponse res;
  std::size_t header_end;
  while ((header_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
    if (!fill(fd_, buffer_, timeout_)) {
      if (!quiet_)
        ADD_FAILURE() << "no complete HTTP response (got " << buffer_.size() << " bytes)";
      return res;
    }
  }
  std::string head = buffer_.substr(0, header_end);
  buffer_.erase(0, header_end + 4);
  std::size_t line_end = head.find("\r\n");
  std::string status_line = head.substr(0, line_end);
  res.status = std::atoi(status_line.substr(status_line.find(' ') + 1).c_str());
  std::size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
  while (pos < head.size()) {
    std::size_t end = head.find("\r\n", pos);
    if (end == std::string::npos) end = head.size();
    std::string line = head.substr(pos, end - pos);
    auto colon = line.find(':');
    if (colon != std::string::npos) {
      std::string name = line.substr(0, colon);
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::string value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      res.headers[name] = value;
    }
    pos = end + 2;
  }
  std::size_t length = 0;
  if (auto it = res.headers.find("content-length"); it != res.headers.end()) {
    length = std::stoul(it->second);
  } else if (res.header("transfer-encoding").find("chunked") != std::string::npos) {
    ADD_FAILURE() << "chunked responses are not supported by the test client";
  }
  while (buffer_.size() < length) {
    if (!fill(fd_, buffer_, timeout_)) {
      if (!quiet_) ADD_FAILURE() << "response body cut short";
      res.status = 0;
      return res;
    }
  }
  res.body = buffer_.substr(0, length);
  buffer_.erase(0, std::min(length, buffer_.size()));
  return res;
}

std::optional<HttpResponse> HttpConnection::try_request(const std::string& method,
                                                        const std::string& target,
                                                        const std::string& body) {
  quiet_ = true;
  HttpResponse r = request(method, target, body);
  quiet_ = false;
  if (r.status == 0) return std::nullopt;
  return r;
}

bool HttpConnection::closed_by_peer() {
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(timeout_.count())) <= 0) return false;
  char c;
  return ::recv(fd_, &c, 1, MSG_PEEK) == 0;
}

void HttpConnection::shutdown_send() { ::shutdown(fd_, SHUT_WR); }

}  // namespace spool::testing
