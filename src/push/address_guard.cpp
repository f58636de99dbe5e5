#include "push/address_guard.hpp"

#include <array>
#include <cctype>
#include <vector>

namespace spool::push {
namespace {

namespace ip = boost::asio::ip;

struct Range4 {
  std::uint32_t base;
  int bits;
  const char* why;
};

constexpr std::uint32_t v4(int a, int b, int c, int d) {
  return (static_cast<std::uint32_t>(a) << 24) | (static_cast<std::uint32_t>(b) << 16) |
         (static_cast<std::uint32_t>(c) << 8) | static_cast<std::uint32_t>(d);
}

constexpr std::array<Range4, 13> kDenied4 = {{
    {v4(255, 255, 255, 255), 32, "the broadcast address (255.255.255.255)"},
    {v4(169, 254, 169, 254), 32, "the cloud metadata address (169.254.169.254)"},
    {v4(0, 0, 0, 0), 8, "a \"this network\" address (0.0.0.0/8)"},
    {v4(127, 0, 0, 0), 8, "a loopback address (127.0.0.0/8)"},
    {v4(10, 0, 0, 0), 8, "a private address (10.0.0.0/8)"},
    {v4(172, 16, 0, 0), 12, "a private address (172.16.0.0/12)"},
    {v4(192, 168, 0, 0), 16, "a private address (192.168.0.0/16)"},
    {v4(169, 254, 0, 0), 16, "a link-local address (169.254.0.0/16)"},
    {v4(100, 64, 0, 0), 10, "a carrier-grade NAT address (100.64.0.0/10)"},
    {v4(192, 0, 0, 0), 24, "an IETF protocol address (192.0.0.0/24)"},
    {v4(198, 18, 0, 0), 15, "a benchmarking address (198.18.0.0/15)"},
    {v4(224, 0, 0, 0), 4, "a multicast address (224.0.0.0/4)"},
    {v4(240, 0, 0, 0), 4, "a reserved address (240.0.0.0/4)"},
}};

bool in_range(std::uint32_t a, std::uint32_t base, int bits) {
  std::uint32_t mask = bits == 0 ? 0 : ~std::uint32_t{0} << (32 - bits);
  return (a & mask) == (base & mask);
}

std::string denied4(std::uint32_t a) {
  for (const Range4& r : kDenied4) {
    if (in_range(a, r.base, r.bits)) return r.why;
  }
  return "";
}

std::uint32_t embedded4(const ip::address_v6::bytes_type& b, std::size_t at) {
  return v4(b[at], b[at + 1], b[at + 2], b[at + 3]);
}

bool all_zero(const ip::address_v6::bytes_type& b, std::size_t from, std::size_t to) {
  for (std::size_t i = from; i < to; ++i) {
    if (b[i] != 0) return false;
  }
  return true;
}

std::string denied6(const ip::address_v6& a) {
  const auto b = a.to_bytes();
  if (a.is_unspecified()) return "the unspecified address (::)";
  if (a.is_loopback()) return "the loopback address (::1)";
  auto via = [](const std::string& inner, const char* form) {
    return inner.empty() ? inner : inner + ", in " + form;
  };
  // ::ffff:a.b.c.d (mapped) and ::a.b.c.d (compatible): the IPv4 address is what is reached.
  if (all_zero(b, 0, 10) && b[10] == 0xff && b[11] == 0xff) {
    return via(denied4(embedded4(b, 12)), "an IPv4-mapped IPv6 address (::ffff:0:0/96)");
  }
  if (all_zero(b, 0, 12)) {
    return via(denied4(embedded4(b, 12)), "an IPv4-compatible IPv6 address (::/96)");
  }
  if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b) {
    if (all_zero(b, 4, 12)) {
      return via(denied4(embedded4(b, 12)), "a NAT64 address (64:ff9b::/96)");
    }
    if (b[4] == 0x00 && b[5] == 0x01) return "a local NAT64 address (64:ff9b:1::/48)";
  }
  if (b[0] == 0x20 && b[1] == 0x02) {
    return via(denied4(embedded4(b, 2)), "a 6to4 address (2002::/16)");
  }
  if ((b[0] & 0xfe) == 0xfc) return "a unique local address (fc00::/7)";
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return "a link-local address (fe80::/10)";
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) return "a site-local address (fec0::/10)";
  if (b[0] == 0xff) return "a multicast address (ff00::/8)";
  return "";
}

// One part of an inet_aton address: decimal, 0x hex or 0 octal.
std::optional<std::uint64_t> parse_part(std::string_view s) {
  if (s.empty()) return std::nullopt;
  int base = 10;
  if (s.size() > 1 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s.remove_prefix(2);
    if (s.empty()) return std::nullopt;  // glibc's inet_aton refuses a bare "0x"
  } else if (s.size() > 1 && s[0] == '0') {
    base = 8;
    s.remove_prefix(1);
  }
  std::uint64_t v = 0;
  for (char c : s) {
    int d;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (base == 16 && std::isxdigit(static_cast<unsigned char>(c))) {
      d = std::tolower(static_cast<unsigned char>(c)) - 'a' + 10;
    } else {
      return std::nullopt;
    }
    if (d >= base) return std::nullopt;
    v = v * static_cast<std::uint64_t>(base) + static_cast<std::uint64_t>(d);
    if (v > 0xffffffffULL) return std::nullopt;
  }
  return v;
}

}  // namespace

std::optional<std::uint32_t> parse_ipv4_any_form(std::string_view text) {
  std::vector<std::uint64_t> parts;
  std::size_t start = 0;
  for (;;) {
    std::size_t dot = text.find('.', start);
    auto part = parse_part(text.substr(start, dot == std::string_view::npos ? dot : dot - start));
    if (!part) return std::nullopt;
    parts.push_back(*part);
    if (parts.size() > 4) return std::nullopt;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  std::uint64_t addr = 0;
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    if (parts[i] > 0xff) return std::nullopt;
    addr |= parts[i] << (8 * (3 - i));
  }
  std::size_t rest_bytes = 4 - (parts.size() - 1);
  std::uint64_t last = parts.back();
  if (rest_bytes < 4 && last >= (std::uint64_t{1} << (8 * rest_bytes))) return std::nullopt;
  addr |= last;
  return static_cast<std::uint32_t>(addr);
}

std::string denied_reason(const ip::address& address) {
  if (address.is_v4()) return denied4(address.to_v4().to_uint());
  return denied6(address.to_v6());
}

HostForm read_host(std::string_view host, bool is_ipv6_literal) {
  HostForm out;
  if (is_ipv6_literal) {
    boost::system::error_code ec;
    auto a = ip::make_address_v6(std::string(host), ec);
    if (ec) {
      out.refusal = "the host [" + std::string(host) + "] is not an IPv6 address";
    } else {
      out.literal = ip::address(a);
    }
    return out;
  }
  // A trailing dot is the root: "127.0.0.1." is still that address to a resolver.
  std::string_view h = host;
  if (!h.empty() && h.back() == '.') h.remove_suffix(1);
  if (h.empty()) {
    out.refusal = "the host is empty";
    return out;
  }
  if (auto a = parse_ipv4_any_form(h)) {
    out.literal = ip::address(ip::address_v4(*a));
    return out;
  }
  // As the WHATWG URL rules do: a last label that starts with a digit makes the host a number,
  // and a number that is no address is refused rather than handed to a resolver.
  std::size_t last_dot = h.rfind('.');
  std::string_view last = last_dot == std::string_view::npos ? h : h.substr(last_dot + 1);
  if (!last.empty() && std::isdigit(static_cast<unsigned char>(last[0]))) {
    out.refusal = "the host " + std::string(host) + " looks numeric but is not an IPv4 address";
  }
  return out;
}

}  // namespace spool::push
