// Found by test/fuzz/callback_url_fuzz.cpp (input in
// test/fuzz/corpus/callback_url_fuzz/regress_path_after_ipv6): Boost.URL 1.81 parses
// "http://[::ffff:127.0.0.1]=" as a host and the path "=", and "https://h.example.com:443x" as
// port 443 with the path "x". Spool took such a path as the callback's request target
// ("POST x HTTP/1.1"). RFC 3986 allows after an authority only an empty path or one starting
// with "/": these URLs are now refused, as callback_url and as allow-list entries.
#include <gtest/gtest.h>

#include "core/callback_url.hpp"
#include "push/address_guard.hpp"

namespace {

TEST(RegressCallbackUrl, APathThatDoesNotStartWithASlashAfterTheHostIsRefused) {
  for (const char* url : {"http://[::ffff:127.0.0.1]=", "https://hooks.example.com:443x",
                          "https://hooks.example.com:443x/spool/"}) {
    auto t = spool::parse_callback_url(url);
    ASSERT_FALSE(t) << url << " parsed with target " << t->target;
    EXPECT_EQ(t.error().field(), "callback_url");
    EXPECT_NE(t.error().message().find("after the host"), std::string::npos) << t.error().message();
  }
  EXPECT_FALSE(spool::CallbackAllowlist::parse({"https://hooks.example.com:443x/"}));
}

TEST(RegressCallbackUrl, OrdinaryUrlsStillParse) {
  auto t = spool::parse_callback_url("https://[::ffff:203.0.113.7]:8443/done?x=1");
  ASSERT_TRUE(t) << t.error().message();
  EXPECT_EQ(t->port, 8443);
  EXPECT_EQ(t->target, "/done?x=1");
  auto bare = spool::parse_callback_url("http://hooks.example.com");
  ASSERT_TRUE(bare) << bare.error().message();
  EXPECT_EQ(bare->target, "/");
}

// Found by test/fuzz/callback_url_fuzz.cpp (test/fuzz/corpus/callback_url_fuzz/regress_bare_0x):
// parse_ipv4_any_form read a bare "0x" as 0.0.0.0, where glibc's inet_aton (and so getaddrinfo)
// refuses it. The guard's rule is to read a host exactly as the C library would; "0x" is now no
// address, and as a host it is refused as numeric-looking.
TEST(RegressAddressGuard, ABareHexPrefixIsNoAddress) {
  EXPECT_FALSE(spool::push::parse_ipv4_any_form("0x"));
  EXPECT_FALSE(spool::push::parse_ipv4_any_form("1.2.3.0x"));
  EXPECT_EQ(spool::push::parse_ipv4_any_form("0x0"), 0u);
  auto form = spool::push::read_host("0x", false);
  EXPECT_FALSE(form.literal);
  EXPECT_NE(form.refusal.find("looks numeric"), std::string::npos) << form.refusal;
}

}  // namespace
