// What every client verb of `spool` shares: the connection options (--url, --token, --timeout,
// --json), one API connection per verb (Api) with the error messages every verb gives, ending in
// fail() and the exit codes of exit.hpp. Single-threaded, like the rest of the CLI.
//
// A verb that fails prints "spool: <message>" to stderr and throws CLI::RuntimeError(code); main()
// turns that into the exit code.
#pragma once

#include <CLI/CLI.hpp>
#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>

#include "cli/duration.hpp"
#include "cli/exit.hpp"
#include "cli/output.hpp"
#include "core/clock.hpp"
#include "core/status.hpp"
#include "transport/http_connection.hpp"

namespace spool::cli {

namespace json = boost::json;

struct ConnectionOptions {
  std::string url = "http://127.0.0.1:7070";
  std::string token;
  std::string timeout = "30s";
  bool json = false;
};

inline void add_connection_options(CLI::App* cmd, ConnectionOptions& options) {
  cmd->add_option("--url", options.url, "The server's address")
      ->envname("SPOOL_URL")
      ->capture_default_str();
  // No default shown and never echoed: a token must not end up in a terminal scrollback.
  cmd->add_option("--token", options.token, "Bearer token; never shown")->envname("SPOOL_TOKEN");
  cmd->add_option("--timeout", options.timeout, "How long to wait for an answer: 500ms, 30s, 2m")
      ->capture_default_str();
  cmd->add_flag("--json", options.json, "Print the server's JSON answer as-is, for scripts");
}

struct Answer {
  int status = 0;
  std::string body;
  json::value value;  // null when the body is not JSON
};

// One API connection for the duration of a verb, and the error messages every verb shares.
class Api {
 public:
  explicit Api(const ConnectionOptions& options) : options_(options) {
    std::string why;
    std::optional<transport::Endpoint> endpoint = transport::parse_endpoint(options.url, &why);
    if (!endpoint) fail(kExitUsage, "--url: " + why);
    auto timeout = parse_duration_ms(options.timeout);
    if (!timeout) fail(kExitUsage, "--timeout: " + timeout.error().message());
    if (*timeout == 0) fail(kExitUsage, "--timeout must be more than 0");
    timeout_ms_ = *timeout;
    transport::HttpConnection::Options client_options;
    client_options.request_timeout = std::chrono::milliseconds(*timeout);
    client_options.connect_timeout =
        std::chrono::milliseconds(std::min<std::int64_t>(*timeout, 5'000));
    client_options.token = options.token;
    client_ = std::make_unique<transport::HttpConnection>(std::move(*endpoint), client_options);
  }

  // Sends the request and returns a 2xx answer. Anything else ends the verb with a message that
  // begins with `context` ("the server refused the job") and carries the API's own message and
  // field. With --json the server's error body also goes to stdout, so a script sees it.
  Answer call(std::string_view method, std::string_view target, std::string_view body,
              std::string_view context) {
    transport::HttpResponse response;
    transport::TransportError error;
    if (!client_->request(method, target, body, &response, &error)) unreachable(error, method);
    Answer answer;
    answer.status = response.status;
    answer.body = std::move(response.body);
    boost::system::error_code ec;
    answer.value = json::parse(answer.body, ec);
    if (ec) answer.value = nullptr;
    if (answer.status >= 200 && answer.status < 300) {
      if (ec && answer.status != 204) {  // 204 No Content (a delete) has no body to parse
        fail(kExitRefused, "the server at " + url() +
                               " answered with something that is not JSON (HTTP " +
                               std::to_string(answer.status) + "); is it a spool server?");
      }
      return answer;
    }
    if (options_.json && !answer.body.empty()) std::cout << answer.body << "\n";
    refused(answer, response.reason, context);
  }

  const std::string& url() const { return client_->endpoint().display_url; }
  bool json_output() const { return options_.json; }
  const transport::Endpoint& endpoint() const { return client_->endpoint(); }
  const ConnectionOptions& options() const { return options_; }

  // For answers that came other than through call() (live events): the same messages.
  [[noreturn]] void fail_transport(const transport::TransportError& error) {
    unreachable(error, "GET");
  }
  [[noreturn]] void fail_answer(const transport::HttpResponse& response, std::string_view context) {
    Answer answer;
    answer.status = response.status;
    answer.body = response.body;
    boost::system::error_code ec;
    answer.value = json::parse(answer.body, ec);
    if (ec) answer.value = nullptr;
    if (options_.json && !answer.body.empty()) std::cout << answer.body << "\n";
    refused(answer, response.reason, context);
  }

 private:
  [[noreturn]] void unreachable(const transport::TransportError& error, std::string_view method) {
    // Once a write has left, a lost answer does not mean it was not applied.
    std::string maybe_applied =
        method == "GET" ? "" : " A write may still have been applied: check before repeating it.";
    switch (error.kind) {
      case transport::TransportFailure::kResolve:
        fail(kExitUnreachable, "cannot connect to " + url() + " (cannot resolve the host: " +
                                   error.detail + "). Check --url or SPOOL_URL.");
      case transport::TransportFailure::kRefused:
        fail(kExitUnreachable,
             "cannot connect to " + url() + " (" + error.detail + "). Is `spool serve` running?");
      case transport::TransportFailure::kTimeout:
        if (error.while_connecting) {
          fail(kExitUnreachable, "cannot connect to " + url() +
                                     " (timed out). Is the address right and the port open?");
        }
        fail(kExitUnreachable,
             "no answer from " + url() + " within " + format_duration_ms(timeout_ms_) +
                 ". The server may be overloaded; --timeout waits longer." + maybe_applied);
      case transport::TransportFailure::kBroken:
      case transport::TransportFailure::kCancelled:  // the CLI never cancels
        break;
    }
    fail(kExitUnreachable,
         "the connection to " + url() + " failed (" + error.detail + ")." +
             (error.while_connecting ? " Is `spool serve` running?" : maybe_applied));
  }

  [[noreturn]] void refused(const Answer& answer, const std::string& reason,
                            std::string_view context) {
    const json::value* error = json_find(answer.value, "error");
    std::string message = error ? json_string(*error, "message") : std::string();
    std::string field = error ? json_string(*error, "field") : std::string();
    if (message.empty()) {
      // Not the API's error shape: a proxy or another server. Say what came back.
      message = "HTTP " + std::to_string(answer.status) + (reason.empty() ? "" : " " + reason);
      if (!answer.body.empty()) message += ": " + shorten(answer.body, 200);
    }
    if (!field.empty()) message += " (field " + field + ")";
    switch (answer.status) {
      case 401:
        if (options_.token.empty()) {
          fail(kExitRefused,
               "the server at " + url() + " needs a token. Pass --token or set SPOOL_TOKEN.");
        }
        fail(kExitRefused, "the server at " + url() + " did not accept the token (" + message +
                               "). Check --token or SPOOL_TOKEN.");
      case 403:
        fail(kExitRefused, "the token is not allowed to do this: " + message +
                               ". Ask for a token with the right role (see docs/api.md).");
      case 429:
        fail(kExitRefused, std::string(context) + ": " + message + ". Try again in a moment.");
      case 503:
        fail(kExitRefused, std::string(context) + ": " + message +
                               ". Nothing was changed; try again once the server recovers.");
      default:
        fail(kExitRefused, std::string(context) + ": " + message);
    }
  }

  ConnectionOptions options_;
  std::int64_t timeout_ms_ = 0;
  std::unique_ptr<transport::HttpConnection> client_;
};

inline void print_raw(const Answer& answer) { std::cout << answer.body << "\n"; }

inline TimeMs wall_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A usage error from the request builders, prefixed with the option it is about ("--delay: ...")
// unless the message already starts from the argument itself.
[[noreturn]] inline void usage_error(const Status& status) {
  const std::string& field = status.field();
  bool is_option = field.rfind("--", 0) == 0;
  bool named = status.message().find(field) != std::string::npos;
  fail(kExitUsage, is_option && !named ? field + ": " + status.message() : status.message());
}

// CLI11 keeps pointers into these for the whole parse, so each verb's storage is shared by the
// callback that reads it.
template <typename T>
std::shared_ptr<T> make_storage() {
  return std::make_shared<T>();
}

inline std::string example(std::string_view text) { return "Example:\n" + std::string(text); }

}  // namespace spool::cli
