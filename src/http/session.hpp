// Session: one HTTP/1.1 connection (Beast) while it carries requests: reading them, routing and
// auth, long-poll disconnect watching, the 413 drain, access logging and keep-alive. When a
// handler answers with a stream, the Session hands its socket to a StreamSession
// (stream_session.hpp) and is done. Internal to src/http; included only by server.cpp and the
// session files, so Beast stays out of widely-included headers.
//
// Ownership: a Session is held by shared_ptr: by its pending Asio operations and by the
// Exchange of the request in flight (and so by engine callbacks). It borrows SessionShared,
// which the Server owns and keeps alive until every io thread has been joined.
//
// Threading: everything a Session does runs on its strand. Exchange::respond() may be called
// from any thread: it posts to the strand.
//
// Requests on one connection are handled one at a time, in order: the next request (pipelined
// bytes wait in the read buffer) is read only after the answer to the previous one is written,
// which is what keeps pipelined answers in order.
#pragma once

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_set>

#include "http/auth.hpp"
#include "http/handler.hpp"
#include "http/router.hpp"

namespace spool::http {

// What shutdown needs of an open connection, whichever class carries it now (Session or
// StreamSession): its strand, and a way to make it finish. Each registers itself in
// SessionShared::connections from its constructor to its destructor.
class Connection {
 public:
  virtual ~Connection() = default;
  // Any thread, under SessionShared::mu: the connection, or null once its destruction began.
  virtual std::shared_ptr<Connection> share() = 0;
  virtual boost::asio::any_io_executor executor() = 0;
  // On the strand: close when idle, finish the request in flight with Connection: close, or
  // end a stream now.
  virtual void drain() = 0;
};

// What every session of one server shares. Immutable after start except where noted.
struct SessionShared {
  Context context;
  Router router;
  Authenticator auth;
  std::size_t body_limit_bytes;
  std::chrono::seconds idle_timeout;
  std::string request_id_prefix;  // random per process: ids stay unique across restarts
  std::atomic<std::uint64_t> request_counter{0};
  std::atomic<bool> draining{false};

  std::mutex mu;
  std::unordered_set<Connection*> connections;  // GUARDED_BY(mu): for drain

  // Called by the most derived class's constructor and destructor body, so drain_sessions()
  // never meets a connection whose share() is not yet or no longer its own.
  void enter(Connection* c) {
    std::lock_guard lock(mu);
    connections.insert(c);
  }
  void leave(Connection* c) {
    std::lock_guard lock(mu);
    connections.erase(c);
  }
};

// Starts serving an accepted connection.
void start_session(boost::asio::ip::tcp::socket socket, SessionShared& shared);

// Asks every connection to finish its request in flight and close (idle ones close at once,
// streams end at once).
void drain_sessions(SessionShared& shared);
// Open connections, streams included.
std::size_t session_count(SessionShared& shared);

}  // namespace spool::http
