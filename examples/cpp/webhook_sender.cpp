// A worker that notifies partners by webhook: `webhook_escrow_status_changed` jobs carry
// {url, escrowId, statusBefore, statusAfter}; the worker POSTs the event as JSON to url.
//
//   SPOOL_URL=http://127.0.0.1:7070 WEBHOOK_SECRET=s3cret webhook_sender
//
// The request carries `idempotency-key: <job id>` (stable across attempts, so the partner can
// drop a repeat) and, when WEBHOOK_SECRET is set, `x-signature: sha256=<hex HMAC-SHA256 of
// "<timestamp>.<body>">` with the timestamp in `x-signature-timestamp`.
//
// Outcomes, as our users classify them: 2xx acks; 408, 429 and 5xx retry (after Retry-After when
// the partner sends one); a connection failure or timeout retries; any other 4xx is permanent.
// Plain http only, to keep the example short; Spool's own push delivery (docs) does https.
#include <openssl/hmac.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <optional>
#include <string>

#include "spool/worker.hpp"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;

std::string hmac_sha256_hex(const std::string& key, const std::string& data) {
  unsigned char digest[32];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest, &length);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < length; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 15];
  }
  return out;
}

struct Answer {
  int status = 0;  // 0: no answer (the error says why)
  std::string error;
  std::optional<long> retry_after_s;
  std::string body;
};

// One POST with a deadline on the whole exchange. Each async step runs on a local io_context
// until it finishes or the deadline passes.
Answer post(const std::string& url, const std::string& body, const std::string& job_id,
            const std::string& secret) {
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed || parsed->scheme() != "http") return {0, "url must be http://HOST[:PORT]/PATH"};
  std::string host(parsed->host());
  std::string port = parsed->has_port() ? std::string(parsed->port()) : "80";
  std::string target(parsed->encoded_path().empty() ? "/" : parsed->encoded_path());

  asio::io_context io;
  beast::tcp_stream stream(io);
  stream.expires_after(std::chrono::seconds(10));
  beast::error_code ec;
  auto endpoints = asio::ip::tcp::resolver(io).resolve(host, port, ec);
  if (ec) return {0, "cannot resolve " + host + ": " + ec.message()};

  http::request<http::string_body> req{http::verb::post, target, 11};
  req.set(http::field::host, host + ":" + port);
  req.set(http::field::content_type, "application/json");
  req.set(http::field::user_agent, "spool-example-webhook-sender");
  req.set("idempotency-key", job_id);
  if (!secret.empty()) {
    std::string timestamp = std::to_string(std::time(nullptr));
    req.set("x-signature-timestamp", timestamp);
    req.set("x-signature", "sha256=" + hmac_sha256_hex(secret, timestamp + "." + body));
  }
  req.body() = body;
  req.prepare_payload();

  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  stream.async_connect(endpoints, [&](beast::error_code e, auto&&) {
    if (e) return void(ec = e);
    http::async_write(stream, req, [&](beast::error_code e2, std::size_t) {
      if (e2) return void(ec = e2);
      http::async_read(stream, buffer, res, [&](beast::error_code e3, std::size_t) { ec = e3; });
    });
  });
  io.run();
  if (ec) return {0, "POST " + url + " failed: " + ec.message()};
  Answer answer{static_cast<int>(res.result_int()), "", std::nullopt, res.body().substr(0, 512)};
  if (auto it = res.find(http::field::retry_after); it != res.end()) {
    char* end = nullptr;
    long seconds = std::strtol(std::string(it->value()).c_str(), &end, 10);
    if (end && *end == '\0' && seconds >= 0) answer.retry_after_s = seconds;
  }
  return answer;
}

}  // namespace

int main() {
  auto client = spool::Client::create(spool::ClientOptions::from_env());
  if (!client) {
    std::cerr << "webhook_sender: " << client.error().message << "\n";
    return 2;
  }
  const char* secret_env = std::getenv("WEBHOOK_SECRET");
  std::string secret = secret_env ? secret_env : "";
  spool::Worker worker(*client, {.queues = {"webhook_escrow_status_changed"}, .concurrency = 10});

  worker.handle("webhook_escrow_status_changed", [&](spool::Job& job) -> spool::Outcome {
    const json::object* p = job.payload().if_object();
    const json::value* url = p ? p->if_contains("url") : nullptr;
    if (!url || !url->is_string()) throw spool::Permanent("payload has no \"url\" string");
    json::object event = *p;
    event.erase("url");
    event["event"] = "escrow.status_changed";
    event["id"] = job.id();
    Answer answer = post(std::string(url->get_string()), json::serialize(event), job.id(), secret);
    std::string where = "POST " + std::string(url->get_string());
    if (answer.status == 0) return spool::Retry(answer.error);
    if (answer.status >= 200 && answer.status < 300) return json::value{{"status", answer.status}};
    std::string what = where + " answered " + std::to_string(answer.status) + ": " + answer.body;
    if (answer.status == 408 || answer.status == 429 || answer.status >= 500) {
      std::optional<spool::Millis> after;
      if (answer.retry_after_s) after = std::chrono::seconds(*answer.retry_after_s);
      return spool::Retry(what, after);
    }
    return spool::Permanent(what);
  });

  auto ran = worker.run();
  if (!ran) {
    std::cerr << "webhook_sender: " << ran.error().message << "\n";
    return 1;
  }
  return 0;
}
