// Unit tests for reading --url (http_connection.hpp parse_endpoint).
#include "transport/http_connection.hpp"

#include <gtest/gtest.h>

namespace spool::transport {
namespace {

TEST(ParseEndpointTest, ReadsHostPortAndPrefix) {
  std::string why;
  auto endpoint = parse_endpoint("http://127.0.0.1:7070", &why);
  ASSERT_TRUE(endpoint) << why;
  EXPECT_EQ(endpoint->host, "127.0.0.1");
  EXPECT_EQ(endpoint->port, "7070");
  EXPECT_EQ(endpoint->base_path, "");
  EXPECT_EQ(endpoint->display_url, "http://127.0.0.1:7070");

  endpoint = parse_endpoint("http://proxy.internal/spool/", &why);
  ASSERT_TRUE(endpoint) << why;
  EXPECT_EQ(endpoint->port, "80");
  EXPECT_EQ(endpoint->base_path, "/spool");
}

TEST(ParseEndpointTest, AddsTheSchemeWhenLeftOut) {
  std::string why;
  auto endpoint = parse_endpoint("localhost:7070", &why);
  ASSERT_TRUE(endpoint) << why;
  EXPECT_EQ(endpoint->host, "localhost");
  EXPECT_EQ(endpoint->display_url, "http://localhost:7070");
}

TEST(ParseEndpointTest, UnbracketsIpv6) {
  std::string why;
  auto endpoint = parse_endpoint("http://[::1]:7070", &why);
  ASSERT_TRUE(endpoint) << why;
  EXPECT_EQ(endpoint->host, "::1");
}

TEST(ParseEndpointTest, RefusesHttpsAndOtherSchemesSayingWhy) {
  std::string why;
  EXPECT_FALSE(parse_endpoint("https://jobs.example.com", &why));
  EXPECT_NE(why.find("https"), std::string::npos);
  EXPECT_FALSE(parse_endpoint("ftp://x", &why));
  EXPECT_NE(why.find("http://"), std::string::npos);
  EXPECT_FALSE(parse_endpoint("http://", &why));
}

}  // namespace
}  // namespace spool::transport
