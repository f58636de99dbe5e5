// Per-job completion callbacks (docs/push.md "Completion callbacks"): the rules a producer's
// `callback_url` must pass, shared by the HTTP layer (checked at enqueue) and the push module's
// dispatcher (checked again at every attempt, as the config may have changed).
//
// A callback_url comes from producers and is not trusted: it must match an entry of the
// `[callbacks] allow` list. An entry is either a bare scheme ("https://": any host of that
// scheme, always checked against the address deny list, push/address_guard.hpp) or
// "scheme://host[:port]/path-prefix", which names the host explicitly: URLs of that host and
// port whose normalised path starts with the prefix match, and that host is exempt from the
// deny list (so a developer can allow http://localhost:3000/). Matching is by parsed parts,
// never by raw string prefix, so "https://hooks.example.com" cannot match
// "https://hooks.example.com.evil.net/".
//
// Plain values and pure functions; no threading concerns.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.hpp"

namespace spool {

inline constexpr std::size_t kMaxCallbackUrlBytes = 2048;

// A parsed callback URL: http or https, absolute, with a host, without user info or fragment.
struct CallbackTarget {
  bool tls = false;
  std::string host;  // lower case; an IPv6 address without brackets
  bool host_is_ipv6 = false;
  std::uint16_t port = 0;  // the scheme's default when the URL has none
  std::string path;        // normalised (dot segments removed), at least "/"
  std::string target;      // path and query, as sent in the request line
  std::string url;         // the URL as given
};

// kInvalidArgument (field "callback_url") saying what is wrong.
StatusOr<CallbackTarget> parse_callback_url(std::string_view url);

class CallbackAllowlist {
 public:
  // kInvalidArgument naming the bad entry. An empty list: callbacks are off.
  static StatusOr<CallbackAllowlist> parse(const std::vector<std::string>& entries);

  bool enabled() const { return !entries_.empty(); }
  struct Match {
    bool allowed = false;
    bool host_named = false;  // an entry names the URL's host: no deny-list check
  };
  Match match(const CallbackTarget& target) const;
  // The entries as configured, comma-separated, for error messages.
  std::string describe() const;
  // Parses `url` and checks it against the list: the 400 a producer gets at enqueue, naming
  // `field` and the allowed prefixes (or saying that callbacks are off).
  Status check(std::string_view url, const std::string& field) const;

 private:
  struct Entry {
    std::string text;
    bool tls = false;
    bool any_host = true;
    std::string host;
    std::uint16_t port = 0;
    std::string path_prefix;
  };
  std::vector<Entry> entries_;
};

}  // namespace spool
