// PushReceiver: a real local HTTP or HTTPS endpoint for push delivery tests. It records every
// request (method, target, lower-case headers, raw body) and answers from a script: a queue of
// scripted answers (status, headers such as Retry-After, body, a delay, or closing without an
// answer), then a default answer. Keep-alive is honoured, so connection reuse shows.
//
// make_test_pki() makes a throwaway CA and a server certificate for localhost and 127.0.0.1
// signed by it, with the openssl command-line tool, so HTTPS tests need no checked-in keys.
//
// Threading: one accept thread and one thread per connection; every public method is
// thread-safe. The destructor closes everything and joins.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace spool::testing {

struct ReceivedRequest {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::size_t connection = 0;  // which connection carried it (1, 2, ...)
  std::string header(const std::string& name) const;
};

struct ScriptedAnswer {
  int status = 200;
  std::string body;
  std::map<std::string, std::string> headers;
  std::chrono::milliseconds delay{0};
  bool hang_up = false;  // close the connection instead of answering
};

struct TestPki {
  std::string ca_file;    // the CA certificate (PEM): what push.ca_file names
  std::string cert_file;  // the server's certificate chain
  std::string key_file;
};
// Writes the files under `dir`; a test failure when openssl fails.
TestPki make_test_pki(const std::string& dir);

class PushReceiver {
 public:
  struct Options {
    const TestPki* tls = nullptr;  // null: plain HTTP
  };
  PushReceiver();
  explicit PushReceiver(Options options);
  ~PushReceiver();
  PushReceiver(const PushReceiver&) = delete;
  PushReceiver& operator=(const PushReceiver&) = delete;

  std::uint16_t port() const;
  // http://127.0.0.1:PORT/PATH, or https://localhost:PORT/PATH (the certificate's name).
  std::string url(const std::string& path = "/hook") const;

  // Answers taken in order, one per request; after them, the default.
  void script(std::vector<ScriptedAnswer> answers);
  void set_default(ScriptedAnswer answer);

  std::vector<ReceivedRequest> requests() const;
  std::size_t request_count() const;
  std::size_t connections() const;
  // Waits until at least n requests arrived; false on timeout.
  bool wait_for_requests(std::size_t n, std::chrono::milliseconds limit = std::chrono::seconds(20));
  // Closes the listener and every connection (later deliveries get connection refused).
  void close();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace spool::testing
