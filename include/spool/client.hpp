// spool::Client: the C++ client of a Spool server's HTTP API v1 (API.md).
//
//   spool::Client client = spool::Client::create({.url = "http://127.0.0.1:7070"}).value();
//   auto job = client.enqueue({.type = "send_release_email",
//                              .payload = {{"user_id", 42}}});
//   if (!job) std::cerr << job.error().message << "\n";
//
// Every call returns a spool::Result: the value, or an Error with the API's error.code. Nothing
// throws across this API (an out-of-memory std::bad_alloc aside).
//
// Connections: HTTP/1.1 keep-alive, reused across calls; a call takes an idle connection or opens
// a new one, and gives it back when done. A request that fails on a reused connection before any
// byte of answer arrived, and that is safe to repeat, is sent once more on a fresh connection
// (servers close idle connections).
//
// Threading: a Client is thread-safe; share one among threads (a Worker does). Movable, not
// copyable. Destroying it while another thread is inside a call is a bug.
#pragma once

#include <boost/json/value.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "spool/job.hpp"
#include "spool/result.hpp"

namespace spool {
inline namespace v1 {  // see result.hpp

struct ClientOptions {
  std::string url = "http://127.0.0.1:7070";  // http://HOST:PORT[/prefix]; https is not supported
  std::string token;                          // sent as "Authorization: Bearer <token>"
  std::chrono::milliseconds connect_timeout{5'000};
  // How long to wait for an answer, on top of a long poll's own wait.
  std::chrono::milliseconds request_timeout{30'000};
  std::size_t max_idle_connections = 16;
  std::string user_agent = "spool-client-cpp";

  // url from SPOOL_URL and token from SPOOL_TOKEN when they are set, the defaults otherwise.
  static ClientOptions from_env();
};

class Client {
 public:
  // Checks the options (the URL must be http://HOST:PORT[/prefix]); connects lazily.
  static Result<Client> create(ClientOptions options);
  ~Client();
  Client(Client&&) noexcept;
  Client& operator=(Client&&) noexcept;
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // ---- Producing and inspecting ----
  Result<Enqueued> enqueue(const NewJob& job);
  // All or nothing; at most 1000 jobs. The answers are in the order of `jobs`.
  Result<std::vector<Enqueued>> enqueue_batch(std::span<const NewJob> jobs);
  Result<JobInfo> get(std::string_view id);
  Result<JobPage> list(const JobFilter& filter = {});
  // A scheduled, queued or retrying job -> cancelled; "conflict" when active or finished.
  Result<Settled> cancel(std::string_view id);
  // A dead or cancelled job -> queued with its attempts reset; "conflict" otherwise.
  Result<Settled> retry(std::string_view id);
  Result<Stats> stats();

  // ---- Working (what spool::Worker is built on; use them to write your own loop) ----
  // Long polls up to request.wait. When `stop` is requested during the wait the call gives up
  // with "cancelled" and the server drops the waiter (it leases nothing to a client that left).
  Result<std::vector<ReservedJob>> reserve(const ReserveRequest& request,
                                           std::stop_token stop = {});
  Result<Settled> ack(std::string_view id, std::string_view lease,
                      std::optional<boost::json::value> result = std::nullopt);
  Result<Settled> fail(std::string_view id, std::string_view lease, const Failure& failure);
  // Renews the lease for `lease_length` from now (the job's own lease length when unset), and
  // records progress when given. Returns the new expiry (RFC 3339).
  Result<std::string> extend(std::string_view id, std::string_view lease,
                             std::optional<Millis> lease_length = std::nullopt,
                             std::optional<boost::json::value> progress = std::nullopt);

  struct AckItem {
    std::string id;
    std::string lease;
    std::optional<boost::json::value> result;
  };
  struct FailItem {
    std::string id;
    std::string lease;
    Failure failure;
  };
  // POST /v1/settle: many outcomes in one round trip, at most 1000 items. The outer Result fails
  // only when the request as a whole did; each item has its own Result, acks first, then fails.
  Result<std::vector<Result<Settled>>> settle(std::span<const AckItem> acks,
                                              std::span<const FailItem> fails);

  const ClientOptions& options() const;

 private:
  struct Impl;
  explicit Client(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace v1
}  // namespace spool
