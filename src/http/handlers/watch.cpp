// GET /, /healthz, /readyz: public, answered without a token.
#include <chrono>

#include "core/json_writer.hpp"
#include "engine/engine.hpp"
#include "http/handlers/handlers.hpp"

namespace spool::http::handlers {

void root(Context&, const Request&, ExchangePtr ex) {
  ex->respond(
      json_response(200, R"({"name":"spool","api":"/v1","health":"/healthz","ready":"/readyz"})"));
}

void healthz(Context&, const Request&, ExchangePtr ex) {
  ex->respond(json_response(200, R"({"status":"ok"})"));
}

// A read through the engine to the store: "not found" for an id no job has means the store
// answered. Only the store decides 200 or 503.
void readyz(Context& ctx, const Request&, ExchangePtr ex) {
  auto start = std::chrono::steady_clock::now();
  ctx.engine.get_job("readyz-probe", [ex, start](Result<Job> r) {
    bool ok = r || r.error().code() == StatusCode::kNotFound;
    auto latency =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    JsonWriter w;
    w.begin_object().field("status", ok ? "ok" : "unavailable");
    w.key("store").begin_object().field("ok", ok).field("latency_ms", latency);
    if (!ok) w.field("error", r.error().message());
    w.end_object();
    w.key("queues").begin_object().end_object();
    w.key("breakers").begin_object().end_object();
    w.key("warnings").begin_array().end_array();
    w.end_object();
    ex->respond(json_response(ok ? 200 : 503, w.take()));
  });
}

}  // namespace spool::http::handlers
