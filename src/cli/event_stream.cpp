#include "cli/event_stream.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <charconv>

namespace spool::cli {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

std::string events_target(const std::string& queue, const std::string& type,
                          const std::string& job) {
  std::string target = "/v1/events";
  char sep = '?';
  auto add = [&](std::string_view key, const std::string& value) {
    if (value.empty()) return;
    target += sep;
    target += key;
    target += '=';
    for (unsigned char c : value) {
      if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == ':') {
        target += static_cast<char>(c);
      } else {
        char buf[4];
        std::snprintf(buf, sizeof buf, "%%%02X", c);
        target += buf;
      }
    }
    sep = '&';
  };
  add("queue", queue);
  add("type", type);
  add("job", job);
  return target;
}

// ---- SseParser ---------------------------------------------------------------------------------

void SseParser::feed(std::string_view bytes, std::vector<SseEvent>& out) {
  std::size_t i = 0;
  if (skip_lf_ && !bytes.empty() && bytes.front() == '\n') ++i;
  skip_lf_ = false;
  std::size_t start = i;
  for (; i < bytes.size(); ++i) {
    char c = bytes[i];
    if (c != '\n' && c != '\r') continue;
    partial_.append(bytes.substr(start, i - start));
    line(partial_, out);
    partial_.clear();
    if (c == '\r') {
      if (i + 1 < bytes.size()) {
        if (bytes[i + 1] == '\n') ++i;
      } else {
        skip_lf_ = true;
      }
    }
    start = i + 1;
  }
  if (start < bytes.size()) partial_.append(bytes.substr(start));
}

void SseParser::line(std::string_view text, std::vector<SseEvent>& out) {
  if (text.empty()) {
    // Dispatch. The id is remembered even when the frame carried no data.
    if (pending_id_set_) {
      last_id_ = pending_id_;
      current_.id = pending_id_;
    }
    if (has_data_) {
      if (current_.event.empty()) current_.event = "message";
      out.push_back(std::move(current_));
    }
    current_ = {};
    has_data_ = false;
    pending_id_.clear();
    pending_id_set_ = false;
    return;
  }
  if (text.front() == ':') return;  // a comment: keep-alive
  std::string_view field = text;
  std::string_view value;
  if (auto colon = text.find(':'); colon != std::string_view::npos) {
    field = text.substr(0, colon);
    value = text.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }
  if (field == "data") {
    if (has_data_) current_.data.push_back('\n');
    current_.data.append(value);
    has_data_ = true;
  } else if (field == "event") {
    current_.event = std::string(value);
  } else if (field == "id") {
    if (value.find('\0') == std::string_view::npos) {
      pending_id_ = std::string(value);
      pending_id_set_ = true;
    }
  } else if (field == "retry") {
    std::int64_t ms = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), ms);
    if (ec == std::errc() && end == value.data() + value.size() && !value.empty()) retry_ms_ = ms;
  }
}

// ---- EventStream -------------------------------------------------------------------------------

struct EventStream::Impl {
  asio::io_context io;
  beast::tcp_stream stream{io};
  std::string buffer;  // bytes read past the head

  // Runs one async operation to completion (Beast's sync calls ignore the stream's deadline).
  template <typename Start>
  beast::error_code run(Start&& start) {
    beast::error_code result = asio::error::would_block;
    start([&result](beast::error_code ec, auto&&...) { result = ec; });
    io.restart();
    io.run();
    return result;
  }

  beast::error_code read_some(std::size_t& n) {
    char chunk[16384];
    n = 0;
    auto ec = run([&](auto handler) {
      stream.async_read_some(asio::buffer(chunk), [&, handler](beast::error_code e, std::size_t k) {
        n = k;
        handler(e);
      });
    });
    buffer.append(chunk, n);
    return ec;
  }

  void close() {
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream.close();
  }
};

EventStream::EventStream(transport::Endpoint endpoint, Options options)
    : endpoint_(std::move(endpoint)),
      options_(std::move(options)),
      impl_(std::make_unique<Impl>()) {}

EventStream::~EventStream() { impl_->close(); }

namespace {

transport::TransportError transport_error(const beast::error_code& ec, bool connecting) {
  if (ec == beast::error::timeout) {
    return {transport::TransportFailure::kTimeout, "timed out", connecting};
  }
  if (ec == asio::error::connection_refused) {
    return {transport::TransportFailure::kRefused, "connection refused", connecting};
  }
  if (ec == asio::error::eof) return {transport::TransportFailure::kBroken, "closed", connecting};
  return {transport::TransportFailure::kBroken, ec.message(), connecting};
}

std::string header_value(std::string_view head, std::string_view name) {
  std::size_t pos = head.find("\r\n");
  while (pos != std::string_view::npos && pos + 2 < head.size()) {
    std::size_t start = pos + 2;
    std::size_t end = head.find("\r\n", start);
    std::string_view line = head.substr(start, end == std::string_view::npos ? end : end - start);
    auto colon = line.find(':');
    if (colon != std::string_view::npos && colon == name.size()) {
      bool same = true;
      for (std::size_t i = 0; i < colon; ++i) {
        same &= std::tolower(static_cast<unsigned char>(line[i])) ==
                std::tolower(static_cast<unsigned char>(name[i]));
      }
      if (same) {
        std::string_view v = line.substr(colon + 1);
        while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
        return std::string(v);
      }
    }
    pos = end;
  }
  return {};
}

}  // namespace

EventStream::Opened EventStream::open(std::string_view target, const std::string& last_event_id,
                                      transport::HttpResponse* refused,
                                      transport::TransportError* error) {
  Impl& s = *impl_;
  s.close();
  s.buffer.clear();
  parser_ = SseParser();
  tcp::resolver resolver(s.io);
  beast::error_code ec;
  auto results = resolver.resolve(endpoint_.host, endpoint_.port, ec);
  if (ec) {
    *error = {transport::TransportFailure::kResolve, ec.message(), true};
    return Opened::kFailed;
  }
  s.stream.expires_after(options_.connect_timeout);
  ec = s.run([&](auto handler) { s.stream.async_connect(results, std::move(handler)); });
  if (ec) {
    *error = transport_error(ec, true);
    return Opened::kFailed;
  }
  bool ipv6 = endpoint_.host.find(':') != std::string::npos;
  std::string request = "GET " + endpoint_.base_path + std::string(target) + " HTTP/1.1\r\nHost: " +
                        (ipv6 ? "[" + endpoint_.host + "]" : endpoint_.host) + ":" +
                        endpoint_.port +
                        "\r\nUser-Agent: spool-cli\r\nAccept: text/event-stream\r\n"
                        "Cache-Control: no-cache\r\n";
  if (!options_.token.empty()) request += "Authorization: Bearer " + options_.token + "\r\n";
  if (!last_event_id.empty()) request += "Last-Event-ID: " + last_event_id + "\r\n";
  request += "\r\n";
  s.stream.expires_after(options_.connect_timeout);
  ec = s.run([&](auto handler) { asio::async_write(s.stream, asio::buffer(request), handler); });
  // The head: read until the blank line.
  std::size_t head_end = std::string::npos;
  while (!ec && (head_end = s.buffer.find("\r\n\r\n")) == std::string::npos) {
    if (s.buffer.size() > 64 * 1024) {
      *error = {transport::TransportFailure::kBroken, "the answer's head is too large", false};
      return Opened::kFailed;
    }
    std::size_t n = 0;
    ec = s.read_some(n);
  }
  if (ec) {
    *error = transport_error(ec, false);
    return Opened::kFailed;
  }
  std::string head = s.buffer.substr(0, head_end);
  s.buffer.erase(0, head_end + 4);
  int status = 0;
  if (auto sp = head.find(' '); sp != std::string::npos) status = std::atoi(head.c_str() + sp + 1);
  if (status == 200) {
    s.stream.expires_never();
    return Opened::kStreaming;
  }
  // Anything else is a normal answer with a body: read it (by length, or to the close).
  refused->status = status;
  refused->content_type = header_value(head, "content-type");
  std::string length_text = header_value(head, "content-length");
  std::size_t length = length_text.empty() ? std::string::npos : std::stoul(length_text);
  while (s.buffer.size() < length) {
    std::size_t n = 0;
    if (s.read_some(n)) break;
  }
  refused->body = s.buffer.substr(0, length);
  s.close();
  return Opened::kRefused;
}

bool EventStream::next(std::vector<SseEvent>& out, transport::TransportError* error) {
  Impl& s = *impl_;
  std::size_t before = out.size();
  if (!s.buffer.empty()) {
    parser_.feed(s.buffer, out);
    s.buffer.clear();
  }
  while (out.size() == before) {
    s.stream.expires_after(options_.idle_timeout);
    std::size_t n = 0;
    beast::error_code ec = s.read_some(n);
    if (n > 0) {
      parser_.feed(s.buffer, out);
      s.buffer.clear();
    }
    if (ec) {
      if (out.size() > before) return true;  // deliver what came; the end shows next time
      *error = transport_error(ec, false);
      s.close();
      return false;
    }
  }
  return true;
}

}  // namespace spool::cli
