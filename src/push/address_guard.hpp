// The SSRF guard for completion callbacks (docs/push.md "Completion callbacks"): which addresses
// a producer-chosen callback_url may reach. Every address a callback host resolves to is checked
// here, once per attempt, and the delivery connects to exactly those addresses (no second
// resolution, so a DNS answer cannot change between the check and the connect).
//
// Denied: 0.0.0.0/8, 127/8 loopback, 10/8, 172.16/12, 192.168/16 (RFC 1918), 169.254/16
// link-local (with the cloud metadata address 169.254.169.254), 100.64/10 CGNAT, 192.0.0.0/24,
// 198.18/15 benchmarking, 224/4 multicast, 240/4 reserved and 255.255.255.255; IPv6 ::, ::1,
// fc00::/7 ULA, fe80::/10 link-local, fec0::/10 site-local, ff00::/8 multicast, 64:ff9b:1::/48;
// and the IPv6 forms that embed an IPv4 address, judged by that address: IPv4-mapped
// ::ffff:0:0/96, IPv4-compatible ::/96, NAT64 64:ff9b::/96 and 6to4 2002::/16.
//
// Host spellings: a host made of numbers is read the way inet_aton (and so getaddrinfo) reads
// it — "2130706433", "0x7f000001", "0177.0.0.1" and "127.1" are all 127.0.0.1 — and checked as
// that address; a numeric-looking host that is no address at all is refused outright.
//
// Pure functions; thread-safe.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace spool::push {

// An IPv4 address in any form inet_aton accepts: 1 to 4 dot-separated parts, each decimal,
// 0x-hex or 0-octal, the last filling the remaining bytes. nullopt otherwise.
std::optional<std::uint32_t> parse_ipv4_any_form(std::string_view text);

// Why `address` may not be a callback's destination ("loopback (127.0.0.0/8)"), or "" when it
// may.
std::string denied_reason(const boost::asio::ip::address& address);

// How a URL host reads: an address literal (in any spelling), a DNS name, or neither.
struct HostForm {
  std::optional<boost::asio::ip::address> literal;  // set: connect to this, no resolution
  std::string refusal;                              // set: not a usable host at all
};
// `is_ipv6_literal`: the URL had the host in brackets.
HostForm read_host(std::string_view host, bool is_ipv6_literal);

}  // namespace spool::push
