// libFuzzer target: completion callback URLs (core/callback_url.hpp) and the SSRF guard
// (push/address_guard.hpp), both fed producer-chosen text. The input is lines: a callback URL,
// then allow-list entries (at most 8). Traps when an invariant breaks:
//   - a parsed URL has a lower-case host, a port, a path that starts with "/", and a request
//     target that starts with the path;
//   - an allow-list entry that names a host matches only that host and port, never a longer
//     name ("https://hooks.example.com/" never lets "hooks.example.com.evil.net" through);
//   - read_host reads every host the C library reads as an IPv4 address (inet_aton, the reading
//     getaddrinfo applies) as that same address, or refuses it: never as a name to resolve;
//     and parse_ipv4_any_form accepts nothing inet_aton refuses;
//   - an IPv4-mapped IPv6 address is denied exactly when its IPv4 address is.
#include <arpa/inet.h>

#include <boost/asio/ip/address.hpp>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/callback_url.hpp"
#include "fuzz_check.hpp"
#include "push/address_guard.hpp"

namespace {

namespace ip = boost::asio::ip;

std::string_view next_line(std::string_view& rest) {
  std::string_view line = rest.substr(0, rest.find('\n'));
  rest.remove_prefix(line.size() < rest.size() ? line.size() + 1 : rest.size());
  return line;
}

bool plain(std::string_view s) {
  for (char c : s) {
    if (c == '\0' || std::isspace(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

void check_host(std::string_view host) {
  const spool::push::HostForm form = spool::push::read_host(host, false);
  if (host.empty() || !plain(host)) return;
  std::string h(host);
  if (h.back() == '.') h.pop_back();  // the root; read_host drops it as a resolver would
  in_addr libc{};
  const bool libc_reads = !h.empty() && inet_aton(h.c_str(), &libc) == 1;
  const auto ours = spool::push::parse_ipv4_any_form(h);
  if (ours) FUZZ_CHECK(libc_reads, "parse_ipv4_any_form accepted what inet_aton refuses");
  if (libc_reads) {
    const std::uint32_t want = ntohl(libc.s_addr);
    if (ours) FUZZ_CHECK(*ours == want, "parse_ipv4_any_form read another address than inet_aton");
    FUZZ_CHECK(!form.refusal.empty() || (form.literal && form.literal->is_v4() &&
                                         form.literal->to_v4().to_uint() == want),
               "a host inet_aton reads as an address would be resolved as a name");
  }
  if (form.literal && form.literal->is_v4()) {
    const auto v4 = form.literal->to_v4();
    const auto mapped = ip::make_address_v6(ip::v4_mapped, v4);
    FUZZ_CHECK(spool::push::denied_reason(ip::address(mapped)).empty() ==
                   spool::push::denied_reason(ip::address(v4)).empty(),
               "a mapped address is judged apart from its IPv4 address");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  const std::string_view url = next_line(rest);
  std::vector<std::string> entries;
  while (!rest.empty() && entries.size() < 8) entries.emplace_back(next_line(rest));

  check_host(url);  // the line as a bare host, too

  const auto target = spool::parse_callback_url(url);
  if (!target) {
    FUZZ_CHECK(!target.error().message().empty(), "a refused URL without a message");
  } else {
    const spool::CallbackTarget& t = *target;
    FUZZ_CHECK(!t.host.empty(), "a URL without a host");
    for (char c : t.host) {
      FUZZ_CHECK(!std::isupper(static_cast<unsigned char>(c)), "a host not in lower case");
    }
    FUZZ_CHECK(t.port != 0, "no port");
    FUZZ_CHECK(!t.path.empty() && t.path[0] == '/', "a path that does not start with /");
    FUZZ_CHECK(t.target.starts_with(t.path), "a request target that does not start with the path");
    FUZZ_CHECK(t.url.size() <= spool::kMaxCallbackUrlBytes, "a URL past the size limit");
    const spool::push::HostForm form = spool::push::read_host(t.host, t.host_is_ipv6);
    if (t.host_is_ipv6) FUZZ_CHECK(form.literal || !form.refusal.empty(), "an IPv6 host unread");
    if (!t.host_is_ipv6) check_host(t.host);

    static const spool::CallbackAllowlist fixed =
        *spool::CallbackAllowlist::parse({"https://hooks.example.com/spool/"});
    const auto m = fixed.match(t);
    if (m.allowed) {
      FUZZ_CHECK(m.host_named && t.tls && t.host == "hooks.example.com" && t.port == 443 &&
                     t.path.starts_with("/spool/"),
                 "a URL past the fixed allow-list entry");
    }
  }

  const auto list = spool::CallbackAllowlist::parse(entries);
  if (!list) {
    FUZZ_CHECK(!list.error().message().empty(), "a refused allow list without a message");
    return 0;
  }
  FUZZ_CHECK(list->enabled() == !entries.empty(), "enabled() disagrees with the entries");
  const spool::Status checked = list->check(url, "callback_url");
  if (checked.ok()) FUZZ_CHECK(target.has_value(), "check() let a URL through that does not parse");
  if (target) {
    const auto m = list->match(*target);
    FUZZ_CHECK(checked.ok() == m.allowed, "check() and match() disagree");
    if (m.host_named) {
      bool named = false;
      for (const std::string& e : entries) {
        auto et = spool::parse_callback_url(e);
        named |= et && et->host == target->host && et->port == target->port;
      }
      FUZZ_CHECK(named, "host_named for a host no entry names");
    }
  }
  return 0;
}
