// GET /healthz: public, answered without a token (/readyz is in metrics.cpp, / in dashboard.cpp).
#include "http/handlers/handlers.hpp"

namespace spool::http::handlers {

void healthz(Context&, const Request&, ExchangePtr ex) {
  ex->respond(json_response(200, R"({"status":"ok"})"));
}

}  // namespace spool::http::handlers
