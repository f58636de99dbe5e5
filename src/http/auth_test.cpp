#include "http/auth.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "http/errors.hpp"
#include "http/handlers/handlers.hpp"
#include "http/router.hpp"

namespace spool::http {
namespace {

Authenticator make_auth() {
  return Authenticator({{"admin-token", role_bit(Role::kAdmin)},
                        {"producer-token", role_bit(Role::kProducer)},
                        {"worker-token", role_bit(Role::kWorker)},
                        {"reader-token", role_bit(Role::kReader)}});
}

const Access* access_of(const std::vector<Route>& routes, Method m, std::string_view pattern) {
  for (const auto& r : routes) {
    if (r.method == m && r.pattern == pattern) return &r.access;
  }
  return nullptr;
}

TEST(AuthTest, RoleMatrixFollowsTheApi) {
  auto auth = make_auth();
  auto routes = api_routes();
  struct Row {
    Method method;
    std::string_view pattern;
    bool admin, producer, worker, reader;
  };
  const Row rows[] = {
      {Method::kPost, "/v1/jobs", true, true, false, false},
      {Method::kPost, "/v1/jobs/batch", true, true, false, false},
      {Method::kGet, "/v1/jobs", true, true, true, true},
      {Method::kGet, "/v1/jobs/{}", true, true, true, true},
      {Method::kDelete, "/v1/jobs/{}", true, false, false, false},
      {Method::kPost, "/v1/jobs/{}/retry", true, false, false, false},
      {Method::kPost, "/v1/reserve", true, false, true, false},
      {Method::kPost, "/v1/jobs/{}/ack", true, false, true, false},
      {Method::kPost, "/v1/jobs/{}/fail", true, false, true, false},
      {Method::kPost, "/v1/jobs/{}/extend", true, false, true, false},
      {Method::kPost, "/v1/settle", true, false, true, false},
      {Method::kGet, "/v1/queues", true, false, false, true},
      {Method::kGet, "/v1/queues/{}", true, false, false, true},
      {Method::kPatch, "/v1/queues/{}", true, false, false, false},
      {Method::kPost, "/v1/queues/{}/pause", true, false, false, false},
      {Method::kDelete, "/v1/queues/{}/jobs", true, false, false, false},
      {Method::kGet, "/v1/stats", true, false, false, true},
      {Method::kGet, "/v1/whoami", true, true, true, true},
  };
  for (const auto& row : rows) {
    const Access* a = access_of(routes, row.method, row.pattern);
    ASSERT_NE(a, nullptr) << row.pattern;
    auto ok = [&](const char* token) { return auth.check(std::string("Bearer ") + token, *a); };
    EXPECT_EQ(ok("admin-token").ok(), row.admin) << row.pattern;
    EXPECT_EQ(ok("producer-token").ok(), row.producer) << row.pattern;
    EXPECT_EQ(ok("worker-token").ok(), row.worker) << row.pattern;
    EXPECT_EQ(ok("reader-token").ok(), row.reader) << row.pattern;
    if (!row.reader) {
      Status s = ok("reader-token");
      EXPECT_EQ(s.code(), StatusCode::kPermissionDenied);
      EXPECT_NE(s.message().find("role"), std::string::npos);
    }
  }
}

TEST(AuthTest, MissingOrUnknownTokensAreUnauthenticated) {
  auto auth = make_auth();
  Access a{false, role_bit(Role::kReader)};
  EXPECT_EQ(auth.check("", a).code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(auth.check("Bearer nope", a).code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(auth.check("Basic YWRtaW4=", a).code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(auth.check("Bearer ", a).code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(auth.check("Bearer reader-token-extra", a).code(), StatusCode::kUnauthenticated);
  EXPECT_TRUE(auth.check("bearer reader-token", a).ok());
  EXPECT_EQ(map_status(auth.check("", a).code()).status, 401);
}

TEST(AuthTest, PublicRoutesAndAuthOff) {
  auto auth = make_auth();
  EXPECT_TRUE(auth.check("", Access{true, 0}).ok());
  Authenticator off({});
  EXPECT_FALSE(off.enabled());
  EXPECT_TRUE(off.check("", Access{false, role_bit(Role::kAdmin)}).ok());
}

TEST(AuthTest, MessageNamesTheRolesNeeded) {
  EXPECT_EQ(describe_roles_needed(role_bit(Role::kWorker)), "the worker or admin role");
  EXPECT_EQ(describe_roles_needed(role_bit(Role::kAdmin)), "the admin role");
  auto auth = make_auth();
  Status s = auth.check("Bearer producer-token", Access{false, role_bit(Role::kWorker)});
  EXPECT_EQ(s.message(), "this endpoint needs the worker or admin role");
  EXPECT_EQ(map_status(s.code()).status, 403);
  EXPECT_EQ(map_status(s.code()).code, "forbidden");
}

TEST(AuthTest, RolesCombine) {
  Authenticator auth(
      {{"both", static_cast<RoleSet>(role_bit(Role::kProducer) | role_bit(Role::kWorker))}});
  EXPECT_TRUE(auth.check("Bearer both", Access{false, role_bit(Role::kWorker)}).ok());
  EXPECT_TRUE(auth.check("Bearer both", Access{false, role_bit(Role::kProducer)}).ok());
  EXPECT_FALSE(auth.check("Bearer both", Access{false, role_bit(Role::kReader)}).ok());
}

TEST(AuthTest, CheckTellsTheCallersRoles) {
  auto auth = make_auth();
  const Access any{false, kAllRoles};
  RoleSet roles = 99;
  ASSERT_TRUE(auth.check("Bearer reader-token", any, &roles).ok());
  EXPECT_EQ(roles, role_bit(Role::kReader));
  ASSERT_TRUE(auth.check("Bearer admin-token", any, &roles).ok());
  EXPECT_EQ(roles, role_bit(Role::kAdmin));
  EXPECT_FALSE(auth.check("Bearer nope", any, &roles).ok());
  EXPECT_EQ(roles, 0);
  ASSERT_TRUE(auth.check("", Access{true, 0}, &roles).ok());
  EXPECT_EQ(roles, 0) << "a public route does not look at the token";
  Authenticator off({});
  ASSERT_TRUE(off.check("", any, &roles).ok());
  EXPECT_EQ(roles, kAllRoles) << "with auth off every caller may do everything";
}

TEST(AuthTest, WhoamiNamesTheStrongestRoleAndWhetherAuthIsOn) {
  EXPECT_EQ(whoami_body(role_bit(Role::kReader), true),
            R"({"role":"reader","roles":["reader"],"auth":true})");
  EXPECT_EQ(
      whoami_body(static_cast<RoleSet>(role_bit(Role::kWorker) | role_bit(Role::kReader)), true),
      R"({"role":"worker","roles":["worker","reader"],"auth":true})");
  EXPECT_EQ(whoami_body(kAllRoles, false),
            R"({"role":"admin","roles":["admin","producer","worker","reader"],"auth":false})");
  EXPECT_EQ(whoami_body(0, true), R"({"role":null,"roles":[],"auth":true})");
}

}  // namespace
}  // namespace spool::http
