// The embedded dashboard and GET /v1/whoami, through a real `spool serve`: / and its assets are
// public with the right content types and caching, and whoami tells each token's roles. Whether
// the dashboard itself works is test/e2e/'s job (a real browser).
#include <gtest/gtest.h>

#include <fstream>

#include "support/http.hpp"
#include "support/server_process.hpp"
#include "support/temp_dir.hpp"

namespace spool::testing {
namespace {

TEST(DashboardTest, RootServesTheDashboardWithoutATokenAndUnknownAssetsAre404) {
  TempDir dir;
  ServerProcess server({dir.file("data"), {}, {{"SPOOL_TOKEN", "admin-secret"}}});
  HttpConnection c("127.0.0.1", server.port());
  auto r = c.request("GET", "/");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.header("content-type"), "text/html; charset=utf-8");
  EXPECT_EQ(r.header("cache-control"), "no-cache");
  EXPECT_NE(r.header("content-security-policy").find("default-src 'self'"), std::string::npos);
  EXPECT_NE(r.body.find("<html"), std::string::npos);
  // Built or not, the page is there; when built it names its hashed script under /assets/.
  auto at = r.body.find("/assets/");
  if (at != std::string::npos) {
    auto end = r.body.find('"', at);
    std::string asset = r.body.substr(at, end - at);
    auto a = c.request("GET", asset);
    EXPECT_EQ(a.status, 200) << asset;
    EXPECT_EQ(a.header("cache-control"), "public, max-age=31536000, immutable");
    EXPECT_EQ(a.header("x-content-type-options"), "nosniff");
  } else {
    EXPECT_NE(r.body.find("not built"), std::string::npos) << r.body;
  }
  auto missing = c.request("GET", "/assets/no-such-file.js");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.json().at("error").at("code"), "not_found");
  EXPECT_EQ(c.request("GET", "/v1/queues").status, 401) << "the API still needs a token";
}

TEST(DashboardTest, WhoamiTellsEachTokensRolesAndNeedsAToken) {
  TempDir dir;
  std::ofstream(dir.file("spool.toml")) << R"(
[[tokens]]
token = "reader-secret"
roles = ["reader"]

[[tokens]]
token = "both-secret"
roles = ["producer", "worker"]
)";
  ServerProcess server(
      {dir.file("data"), {"--config", dir.file("spool.toml")}, {{"SPOOL_TOKEN", "admin-secret"}}});
  auto whoami = [&](const std::string& token) {
    HttpConnection c("127.0.0.1", server.port());
    if (!token.empty()) c.set_token(token);
    return c.request("GET", "/v1/whoami");
  };
  EXPECT_EQ(whoami("").status, 401);
  EXPECT_EQ(whoami("wrong").status, 401);
  EXPECT_EQ(whoami("reader-secret").body, R"({"role":"reader","roles":["reader"],"auth":true})");
  EXPECT_EQ(whoami("both-secret").body,
            R"({"role":"producer","roles":["producer","worker"],"auth":true})");
  EXPECT_EQ(whoami("admin-secret").json().at("role"), "admin");
}

TEST(DashboardTest, WhoamiWithAuthOffSaysSo) {
  TempDir dir;
  ServerProcess server({dir.file("data")});
  HttpConnection c("127.0.0.1", server.port());
  auto r = c.request("GET", "/v1/whoami");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.json().at("auth"), false);
  EXPECT_EQ(r.json().at("role"), "admin");
}

}  // namespace
}  // namespace spool::testing
