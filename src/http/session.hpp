// Session: one HTTP/1.1 connection (Beast). Internal to src/http; included only by server.cpp
// and session.cpp so Beast stays out of widely-included headers.
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

class Session;

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
  std::unordered_set<Session*> sessions;  // GUARDED_BY(mu): for drain
};

// Starts serving an accepted connection.
void start_session(boost::asio::ip::tcp::socket socket, SessionShared& shared);

// Asks every session to finish its request in flight and close (idle ones close at once).
void drain_sessions(SessionShared& shared);
std::size_t session_count(SessionShared& shared);

}  // namespace spool::http
