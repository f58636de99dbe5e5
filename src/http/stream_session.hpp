// StreamSession: a connection that carries one stream (Server-Sent Events, see StreamSource in
// handler.hpp) instead of requests. A Session hands its socket over once a handler answers with
// a stream (Session::deliver_stream, as Beast's advanced server hands an upgraded socket from
// http_session to websocket_session); the StreamSession writes the head, then the source's bytes
// and a heartbeat when nothing was written for a while, and closes the connection when the
// stream ends: a stream is never followed by another request. Internal to src/http, included
// only by session.cpp and stream_session.cpp, so Beast stays out of widely-included headers.
//
// Ownership: a StreamSession is held by shared_ptr, by its pending Asio operations and by the
// heartbeat timer's wait; the source's wake function holds it only weakly. It owns the source
// and calls its stop() exactly once. It borrows SessionShared (see session.hpp).
//
// Threading: everything runs on the connection's strand, the one the Session ran on (the
// socket's executor); the source's wake function may be called from any thread and only posts.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <string>

#include "http/handler.hpp"
#include "http/session.hpp"

namespace spool::http {

// The request a stream answers: what its head and its log lines say about it.
struct StreamRequest {
  unsigned version = 11;  // HTTP/1.0 or 1.1, for the head's status line
  Method method = Method::kGet;
  std::string path;
  std::string request_id;
  std::chrono::steady_clock::time_point started;  // when its header arrived
};

// Takes over `socket` (its strand included) and starts the stream. REQUIRES: on the socket's
// strand, with no operation pending on the socket.
void start_stream_session(boost::asio::ip::tcp::socket socket, SessionShared& shared,
                          StreamResponse response, StreamRequest request);

}  // namespace spool::http
