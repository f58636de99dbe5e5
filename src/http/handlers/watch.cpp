// GET /, /healthz: public, answered without a token (/readyz is in metrics.cpp).
#include "http/handlers/handlers.hpp"

namespace spool::http::handlers {

void root(Context&, const Request&, ExchangePtr ex) {
  ex->respond(
      json_response(200, R"({"name":"spool","api":"/v1","health":"/healthz","ready":"/readyz"})"));
}

void healthz(Context&, const Request&, ExchangePtr ex) {
  ex->respond(json_response(200, R"({"status":"ok"})"));
}

}  // namespace spool::http::handlers
