// The callback_url rules: what parses, and how the [callbacks] allow list matches by parts.
#include "core/callback_url.hpp"

#include <gtest/gtest.h>

namespace spool {
namespace {

CallbackAllowlist list(const std::vector<std::string>& entries) {
  auto l = CallbackAllowlist::parse(entries);
  EXPECT_TRUE(l) << l.error().message();
  return l ? *l : CallbackAllowlist{};
}

CallbackAllowlist::Match match(const CallbackAllowlist& l, const std::string& url) {
  auto t = parse_callback_url(url);
  EXPECT_TRUE(t) << url << ": " << t.error().message();
  return t ? l.match(*t) : CallbackAllowlist::Match{};
}

TEST(CallbackUrlTest, ParsesHttpAndHttpsUrls) {
  auto t = parse_callback_url("https://Hooks.Example.com/a/../b?x=1");
  ASSERT_TRUE(t);
  EXPECT_TRUE(t->tls);
  EXPECT_EQ(t->host, "hooks.example.com");
  EXPECT_EQ(t->port, 443);
  EXPECT_EQ(t->path, "/b");
  EXPECT_EQ(t->target, "/b?x=1");
  auto v6 = parse_callback_url("http://[::1]:8080");
  ASSERT_TRUE(v6);
  EXPECT_TRUE(v6->host_is_ipv6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 8080);
  EXPECT_EQ(v6->path, "/");
}

TEST(CallbackUrlTest, RefusesOtherSchemesUserInfoFragmentsAndJunk) {
  for (const char* u :
       {"ftp://example.com/", "file:///etc/passwd", "gopher://x/", "https://user:pw@example.com/",
        "https://user@example.com/", "https://example.com/#frag", "/relative", "example.com/x", "",
        "https://:443/", "http://example.com:0/"}) {
    EXPECT_FALSE(parse_callback_url(u)) << u;
  }
  EXPECT_FALSE(parse_callback_url("https://example.com/" + std::string(3000, 'a')));
}

TEST(CallbackUrlTest, AllowListMatchesByHostPortAndPathPrefix) {
  auto l = list({"https://hooks.example.com/spool/", "http://localhost:3000/"});
  EXPECT_TRUE(match(l, "https://hooks.example.com/spool/x").allowed);
  EXPECT_TRUE(match(l, "https://HOOKS.example.com:443/spool/x?y=1").allowed);
  EXPECT_TRUE(match(l, "https://hooks.example.com/spool/x").host_named);
  EXPECT_FALSE(match(l, "https://hooks.example.com/other").allowed);
  EXPECT_FALSE(match(l, "https://hooks.example.com/spool/../admin").allowed);
  EXPECT_FALSE(match(l, "http://hooks.example.com/spool/x").allowed);
  EXPECT_FALSE(match(l, "https://hooks.example.com:8443/spool/x").allowed);
  EXPECT_FALSE(match(l, "https://hooks.example.com.evil.net/spool/x").allowed);
  EXPECT_TRUE(match(l, "http://localhost:3000/cb").allowed);
  EXPECT_FALSE(match(l, "http://localhost:3001/cb").allowed);
  EXPECT_FALSE(match(l, "http://localhost/cb").allowed);
}

TEST(CallbackUrlTest, ABareSchemeAllowsAnyHostButNamesNone) {
  auto l = list({"https://"});
  auto m = match(l, "https://anything.example.net/x");
  EXPECT_TRUE(m.allowed);
  EXPECT_FALSE(m.host_named);
  EXPECT_FALSE(match(l, "http://anything.example.net/x").allowed);
}

TEST(CallbackUrlTest, RefusesAllowEntriesThatCouldMatchLongerHosts) {
  for (const char* e :
       {"https://hooks.example.com", "https://hooks.", "ftp://x/", "https://u@hooks.example.com/",
        "https://hooks.example.com/?q=1", "hooks.example.com/"}) {
    EXPECT_FALSE(CallbackAllowlist::parse({e})) << e;
  }
}

TEST(CallbackUrlTest, CheckNamesTheFieldAndTheAllowedPrefixes) {
  Status off = CallbackAllowlist{}.check("https://x.example/", "callback_url");
  EXPECT_EQ(off.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(off.message().find("callbacks are off"), std::string::npos) << off.message();
  auto l = list({"https://hooks.example.com/"});
  Status s = l.check("https://evil.example/", "jobs[2].callback_url");
  EXPECT_EQ(s.field(), "jobs[2].callback_url");
  EXPECT_NE(s.message().find("https://hooks.example.com/"), std::string::npos) << s.message();
  EXPECT_TRUE(l.check("https://hooks.example.com/x", "callback_url").ok());
}

}  // namespace
}  // namespace spool
