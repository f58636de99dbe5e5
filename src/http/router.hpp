// Router: maps (method, path) to a route. Patterns are literal segments and "{}" captures
// ("/v1/jobs/{}/ack"). Built once at start, immutable afterwards: any thread may match.
// A path that some route matches with another method answers 405 with the allowed methods;
// no match at all answers 404.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.hpp"
#include "http/auth.hpp"
#include "http/handler.hpp"

namespace spool::http {

struct Route {
  Method method;
  std::string_view pattern;
  Handler handler;
  Access access;
};

// The path and query of a request target, percent-decoded.
struct Target {
  std::vector<std::string> segments;
  QueryParams query;
};
// Errors (a target that is not origin-form) are kInvalidArgument.
StatusOr<Target> parse_target(std::string_view target);

class Router {
 public:
  explicit Router(const std::vector<Route>& routes);

  struct Match {
    const Route* route = nullptr;     // null: no route for this method
    std::vector<std::string> params;  // captures when route is set
    std::string allow;                // when route is null: "GET, DELETE" (405) or empty (404)
  };
  Match match(Method method, const std::vector<std::string>& segments) const;

 private:
  struct Compiled {
    Route route;
    std::vector<std::string_view> segments;  // "{}" captures
  };
  std::vector<Compiled> routes_;
};

Method parse_method(std::string_view m);

}  // namespace spool::http
