// GET / and /assets/{}: the embedded dashboard (public, API.md "Auth"); GET /v1/whoami: the
// caller's roles, so the dashboard offers no action a token cannot take.
#include <string>

#include "http/handlers/handlers.hpp"
#include "http/static_files.hpp"

namespace spool::http {

std::string whoami_body(RoleSet roles, bool auth_enabled) {
  constexpr Role kOrder[] = {Role::kAdmin, Role::kProducer, Role::kWorker, Role::kReader};
  std::string list;
  std::string_view first;
  for (Role r : kOrder) {
    if (!(roles & role_bit(r))) continue;
    if (first.empty()) first = to_string(r);
    if (!list.empty()) list += ',';
    list += '"';
    list += to_string(r);
    list += '"';
  }
  std::string out = "{\"role\":";
  out += first.empty() ? std::string("null") : "\"" + std::string(first) + "\"";
  out += ",\"roles\":[" + list + "],\"auth\":";
  out += auth_enabled ? "true" : "false";
  out += '}';
  return out;
}

namespace handlers {
namespace {

void serve_file(std::string_view path, const ExchangePtr& ex) {
  const StaticFile* file = find_static_file(path);
  if (!file) {
    respond_error(ex, Status(StatusCode::kNotFound,
                             "no dashboard file " + std::string(path) + "; see docs/dashboard.md"));
    return;
  }
  Response r;
  r.status = 200;
  r.content_type = static_content_type(path);
  r.body.assign(reinterpret_cast<const char*>(file->data), file->size);
  r.headers.emplace_back("Cache-Control", std::string(static_cache_control(path)));
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  if (path == "/index.html") {
    // The dashboard loads only its own files and speaks only to this server.
    r.headers.emplace_back("Content-Security-Policy",
                           "default-src 'self'; img-src 'self' data:; style-src 'self'; "
                           "script-src 'self'; connect-src 'self'; frame-ancestors 'none'; "
                           "base-uri 'none'; form-action 'none'");
    r.headers.emplace_back("Referrer-Policy", "no-referrer");
  }
  ex->respond(std::move(r));
}

}  // namespace

void dashboard_index(Context&, const Request&, ExchangePtr ex) { serve_file("/index.html", ex); }

void dashboard_asset(Context&, const Request& req, ExchangePtr ex) {
  serve_file("/assets/" + req.params.at(0), ex);
}

void whoami(Context&, const Request& req, ExchangePtr ex) {
  ex->respond(json_response(200, whoami_body(req.roles, req.auth_enabled)));
}

}  // namespace handlers
}  // namespace spool::http
