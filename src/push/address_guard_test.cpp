// The SSRF guard's corpus: every denied range, tricky IPv4 spellings, IPv6 forms that embed an
// IPv4 address, and ordinary public addresses that must pass.
#include "push/address_guard.hpp"

#include <gtest/gtest.h>

namespace spool::push {
namespace {

namespace ip = boost::asio::ip;

std::string reason(const std::string& text) { return denied_reason(ip::make_address(text)); }

// What a URL host reaches: the literal it spells, judged; or the refusal.
std::string host_verdict(const std::string& host, bool v6 = false) {
  HostForm f = read_host(host, v6);
  if (!f.refusal.empty()) return "refused";
  if (!f.literal) return "name";
  return f.literal->to_string() + (denied_reason(*f.literal).empty() ? " ok" : " denied");
}

TEST(AddressGuardTest, DeniesEveryPrivateAndSpecialIpv4Range) {
  for (const char* a :
       {"0.0.0.0",        "0.1.2.3",         "127.0.0.1",      "127.255.255.254", "10.0.0.1",
        "10.255.255.255", "172.16.0.1",      "172.31.255.255", "192.168.0.1",     "192.168.255.255",
        "169.254.0.1",    "169.254.169.254", "100.64.0.1",     "100.127.255.255", "192.0.0.8",
        "198.18.0.1",     "198.19.255.255",  "224.0.0.1",      "239.255.255.250", "240.0.0.1",
        "255.255.255.255"}) {
    EXPECT_FALSE(reason(a).empty()) << a;
  }
  EXPECT_NE(reason("169.254.169.254").find("metadata"), std::string::npos);
  EXPECT_NE(reason("127.0.0.1").find("loopback"), std::string::npos);
  EXPECT_NE(reason("100.100.100.200").find("carrier-grade NAT"), std::string::npos);
}

TEST(AddressGuardTest, AllowsPublicAddressesNextToTheDeniedRanges) {
  for (const char* a : {"1.1.1.1",
                        "8.8.8.8",
                        "93.184.216.34",
                        "9.255.255.255",
                        "11.0.0.0",
                        "172.15.255.255",
                        "172.32.0.0",
                        "192.167.255.255",
                        "192.169.0.0",
                        "100.63.255.255",
                        "100.128.0.0",
                        "169.253.255.255",
                        "198.17.255.255",
                        "198.20.0.0",
                        "192.0.1.1",
                        "223.255.255.255",
                        "2606:4700:4700::1111",
                        "2001:4860:4860::8888",
                        "64:ff9b::808:808",
                        "::ffff:8.8.8.8",
                        "2002:0808:0808::1"}) {
    EXPECT_EQ(reason(a), "") << a;
  }
}

TEST(AddressGuardTest, DeniesSpecialIpv6Ranges) {
  for (const char* a : {"::", "::1", "fc00::1", "fd12:3456::1", "fd00:ec2::254", "fe80::1",
                        "febf::1", "fec0::1", "ff02::1", "ff05::1:3", "64:ff9b:1::1"}) {
    EXPECT_FALSE(reason(a).empty()) << a;
  }
}

TEST(AddressGuardTest, JudgesIpv6FormsByTheirEmbeddedIpv4Address) {
  EXPECT_NE(reason("::ffff:127.0.0.1").find("loopback"), std::string::npos);
  EXPECT_NE(reason("::ffff:7f00:1").find("loopback"), std::string::npos);
  EXPECT_NE(reason("::ffff:169.254.169.254").find("metadata"), std::string::npos);
  EXPECT_NE(reason("::ffff:10.1.2.3").find("IPv4-mapped"), std::string::npos);
  EXPECT_NE(reason("::127.0.0.1").find("IPv4-compatible"), std::string::npos);
  EXPECT_NE(reason("::192.168.1.1").find("private"), std::string::npos);
  EXPECT_NE(reason("64:ff9b::7f00:1").find("NAT64"), std::string::npos);
  EXPECT_NE(reason("64:ff9b::a9fe:a9fe").find("metadata"), std::string::npos);
  EXPECT_NE(reason("2002:7f00:0001::1").find("6to4"), std::string::npos);
  EXPECT_NE(reason("2002:c0a8:0101::1").find("private"), std::string::npos);
}

TEST(AddressGuardTest, ReadsEveryIpv4SpellingAsTheAddressItIs) {
  EXPECT_EQ(host_verdict("2130706433"), "127.0.0.1 denied");  // decimal
  EXPECT_EQ(host_verdict("0x7f000001"), "127.0.0.1 denied");  // hex
  EXPECT_EQ(host_verdict("0X7F000001"), "127.0.0.1 denied");
  EXPECT_EQ(host_verdict("0177.0.0.1"), "127.0.0.1 denied");  // octal
  EXPECT_EQ(host_verdict("0177.0.0.01"), "127.0.0.1 denied");
  EXPECT_EQ(host_verdict("127.1"), "127.0.0.1 denied");  // short forms
  EXPECT_EQ(host_verdict("127.0.1"), "127.0.0.1 denied");
  EXPECT_EQ(host_verdict("0x7f.1"), "127.0.0.1 denied");
  EXPECT_EQ(host_verdict("0x7f.0.0.0x1"), "127.0.0.1 denied");
  EXPECT_EQ(host_verdict("127.0.0.1."), "127.0.0.1 denied");  // the root's dot
  EXPECT_EQ(host_verdict("0"), "0.0.0.0 denied");
  EXPECT_EQ(host_verdict("3232235777"), "192.168.1.1 denied");
  EXPECT_EQ(host_verdict("0xa9fea9fe"), "169.254.169.254 denied");
  EXPECT_EQ(host_verdict("169.254.43518"), "169.254.169.254 denied");
  EXPECT_EQ(host_verdict("10.0.0.1"), "10.0.0.1 denied");
  EXPECT_EQ(host_verdict("134744072"), "8.8.8.8 ok");
  EXPECT_EQ(host_verdict("8.8.8.8"), "8.8.8.8 ok");
}

TEST(AddressGuardTest, ReadsBracketedIpv6Hosts) {
  EXPECT_EQ(host_verdict("::1", true), "::1 denied");
  EXPECT_EQ(host_verdict("::ffff:127.0.0.1", true), "::ffff:127.0.0.1 denied");
  EXPECT_EQ(host_verdict("2606:4700:4700::1111", true), "2606:4700:4700::1111 ok");
  EXPECT_EQ(host_verdict("not-v6", true), "refused");
}

TEST(AddressGuardTest, RefusesNumericHostsThatAreNoAddress) {
  for (const char* h : {"256.0.0.1", "1.2.3.4.5", "127.0.0.256", "4294967296", "0x1ffffffff",
                        "08.0.0.1", "1.2.3.0x100", "1..2", "example.123", "127.0.0.1x"}) {
    EXPECT_EQ(host_verdict(h), "refused") << h;
  }
}

TEST(AddressGuardTest, LeavesNamesToTheResolver) {
  for (const char* h : {"localhost", "hooks.example.com", "0x7f.example.com", "1password.com",
                        "127.0.0.1.nip.io", "xn--bcher-kva.example"}) {
    EXPECT_EQ(host_verdict(h), "name") << h;
  }
}

TEST(AddressGuardTest, ParsesIpv4InEveryInetAtonForm) {
  EXPECT_EQ(parse_ipv4_any_form("1.2.3.4"), 0x01020304u);
  EXPECT_EQ(parse_ipv4_any_form("1.2.772"), 0x01020304u);
  EXPECT_EQ(parse_ipv4_any_form("1.131844"), 0x01020304u);
  EXPECT_EQ(parse_ipv4_any_form("16909060"), 0x01020304u);
  EXPECT_EQ(parse_ipv4_any_form("4294967295"), 0xffffffffu);
  EXPECT_FALSE(parse_ipv4_any_form("1.2.3.256"));
  EXPECT_FALSE(parse_ipv4_any_form("1.16777216"));
  EXPECT_FALSE(parse_ipv4_any_form(""));
  EXPECT_FALSE(parse_ipv4_any_form("1.2.3."));
  EXPECT_FALSE(parse_ipv4_any_form("-1"));
  EXPECT_FALSE(parse_ipv4_any_form("09"));
}

}  // namespace
}  // namespace spool::push
