// dispatch_request (dispatch.hpp): routing, auth and the handler call, moved out of
// Session::on_request so the fuzz target runs the same code.
#include "http/dispatch.hpp"

#include <spdlog/spdlog.h>

#include <string>

#include "core/log.hpp"
#include "http/errors.hpp"

namespace spool::http {

Dispatch dispatch_request(const Router& router, const Authenticator& auth, Context& context,
                          const RequestHead& head, QueryParams& query,
                          const std::function<ExchangePtr()>& make_exchange) {
  Dispatch d;
  auto parsed = parse_target(head.target);
  if (!parsed) {
    d.refusal = error_response(parsed.error());
    return d;
  }
  auto match = router.match(head.method, parsed->segments);
  if (!match.route) {
    const std::string path(head.path);
    if (match.allow.empty()) {
      d.refusal = error_response(Status(
          StatusCode::kNotFound,
          "no endpoint " + std::string(to_string(head.method)) + " " + path + "; see docs/api.md"));
      return d;
    }
    Response r =
        json_response(405, error_body("method_not_allowed", std::string(to_string(head.method)) +
                                                                " is not " + "allowed on " + path +
                                                                "; allowed: " + match.allow));
    r.headers.emplace_back("Allow", std::move(match.allow));
    d.refusal = std::move(r);
    return d;
  }
  // spool_http_request_seconds is labelled by pattern, never by raw path (bounded labels).
  d.route = match.route->pattern;
  RoleSet roles = 0;
  Status checked = auth.check(head.authorization, match.route->access, &roles);
  if (!checked.ok()) {
    Response r = error_response(checked);
    if (checked.code() == StatusCode::kUnauthenticated) {
      r.headers.emplace_back("WWW-Authenticate", "Bearer");
    }
    d.refusal = std::move(r);
    return d;
  }
  query = std::move(parsed->query);
  Request request;
  request.method = head.method;
  request.path = head.path;
  request.params = std::move(match.params);
  request.query = &query;
  request.body = head.body;
  request.request_id = head.request_id;
  request.last_event_id = head.last_event_id;
  request.roles = roles;
  request.auth_enabled = auth.enabled();
  ExchangePtr exchange = make_exchange();
  try {
    match.route->handler(context, request, exchange);
  } catch (const std::exception& e) {
    spdlog::error("event=handler_exception method={} path={} request_id={} what={}",
                  to_string(head.method), head.path, head.request_id, log_quote(e.what()));
    exchange->respond(error_response(
        Status(StatusCode::kInternal,
               "internal error; the server log has request id " + std::string(head.request_id))));
  }
  return d;
}

}  // namespace spool::http
