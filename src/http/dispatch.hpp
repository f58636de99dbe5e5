// What a session does with a request it has read, before any answer is written: route it, check
// its token, and hand it to its handler, or make the answer that refuses it (400 for a target
// that is not a path, 404, 405 with Allow, 401 with WWW-Authenticate, 403). Beast-free and
// socket-free, so test/fuzz/http_request_fuzz.cpp drives exactly this code with bytes a Beast
// parser read from memory.
//
// Threading: called on the session's strand; the handler runs inside the call (handler.hpp).
#pragma once

#include <functional>
#include <optional>
#include <string_view>

#include "http/auth.hpp"
#include "http/handler.hpp"
#include "http/router.hpp"

namespace spool::http {

// A request as read off the wire. Views: they must outlive the call (the handler copies what it
// keeps).
struct RequestHead {
  Method method = Method::kOther;
  std::string_view target;         // as sent: path and query
  std::string_view path;           // target without the query
  std::string_view authorization;  // the Authorization header; empty when absent
  std::string_view body;
  std::string_view request_id;
  std::string_view last_event_id;
};

struct Dispatch {
  // The matched route's pattern (static storage), for metrics labels; "unmatched" otherwise.
  std::string_view route = "unmatched";
  // Set: no handler ran; write this. Unset: the handler has the request and answers through the
  // exchange that make_exchange made.
  std::optional<Response> refusal;
};

// `query` receives the decoded query parameters; the handler's Request points at it, so it must
// live as long as the request is in flight. A handler that throws is answered 500 (logged with
// the request id) through its exchange.
Dispatch dispatch_request(const Router& router, const Authenticator& auth, Context& context,
                          const RequestHead& head, QueryParams& query,
                          const std::function<ExchangePtr()>& make_exchange);

}  // namespace spool::http
