#include "http/router.hpp"

#include <boost/url/parse.hpp>

#include "http/errors.hpp"

namespace spool::http {

std::string_view to_string(Method m) {
  switch (m) {
    case Method::kGet:
      return "GET";
    case Method::kPost:
      return "POST";
    case Method::kPut:
      return "PUT";
    case Method::kPatch:
      return "PATCH";
    case Method::kDelete:
      return "DELETE";
    case Method::kHead:
      return "HEAD";
    case Method::kOptions:
      return "OPTIONS";
    case Method::kOther:
      return "OTHER";
  }
  return "OTHER";
}

Method parse_method(std::string_view m) {
  if (m == "GET") return Method::kGet;
  if (m == "POST") return Method::kPost;
  if (m == "PUT") return Method::kPut;
  if (m == "PATCH") return Method::kPatch;
  if (m == "DELETE") return Method::kDelete;
  if (m == "HEAD") return Method::kHead;
  if (m == "OPTIONS") return Method::kOptions;
  return Method::kOther;
}

Response json_response(int status, std::string body) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

Response error_response(const Status& status, std::string_view extra_json) {
  return json_response(map_status(status.code()).status, error_body(status, extra_json));
}

StatusOr<Target> parse_target(std::string_view target) {
  auto url = boost::urls::parse_origin_form(target);
  if (!url) {
    return invalid({}, "the request target must be a path such as /v1/jobs, got " +
                           std::string(target.substr(0, 64)));
  }
  Target t;
  for (auto seg : url->segments()) t.segments.emplace_back(seg);
  // "/v1/jobs/" names the same resource as "/v1/jobs".
  if (!t.segments.empty() && t.segments.back().empty()) t.segments.pop_back();
  if (url->has_query()) {
    for (auto p : url->params()) t.query.emplace_back(p.key, p.value);
  }
  return t;
}

Router::Router(const std::vector<Route>& routes) {
  routes_.reserve(routes.size());
  for (const Route& r : routes) {
    Compiled c{r, {}};
    std::string_view p = r.pattern;
    if (!p.empty() && p.front() == '/') p.remove_prefix(1);
    while (!p.empty()) {
      auto slash = p.find('/');
      c.segments.push_back(p.substr(0, slash));
      if (slash == std::string_view::npos) break;
      p.remove_prefix(slash + 1);
    }
    routes_.push_back(std::move(c));
  }
}

Router::Match Router::match(Method method, const std::vector<std::string>& segments) const {
  Match m;
  for (const auto& c : routes_) {
    if (c.segments.size() != segments.size()) continue;
    bool ok = true;
    for (std::size_t i = 0; i < segments.size() && ok; ++i) {
      ok = c.segments[i] == "{}" ? !segments[i].empty() : c.segments[i] == segments[i];
    }
    if (!ok) continue;
    if (c.route.method == method) {
      m.route = &c.route;
      m.params.clear();
      for (std::size_t i = 0; i < segments.size(); ++i) {
        if (c.segments[i] == "{}") m.params.push_back(segments[i]);
      }
      m.allow.clear();
      return m;
    }
    if (m.allow.find(to_string(c.route.method)) == std::string::npos) {
      if (!m.allow.empty()) m.allow += ", ";
      m.allow += to_string(c.route.method);
    }
  }
  return m;
}

}  // namespace spool::http
