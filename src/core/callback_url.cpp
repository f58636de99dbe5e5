#include "core/callback_url.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>
#include <cctype>

namespace spool {
namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

Status bad_url(const std::string& field, std::string message) {
  return Status(StatusCode::kInvalidArgument, std::move(message), field);
}

// The parts both a callback URL and an allowlist entry are made of.
StatusOr<CallbackTarget> parse_parts(std::string_view url, const std::string& what,
                                     const std::string& field) {
  if (url.size() > kMaxCallbackUrlBytes) {
    return tl::unexpected(bad_url(field, what + " may be at most " +
                                             std::to_string(kMaxCallbackUrlBytes) + " bytes, got " +
                                             std::to_string(url.size())));
  }
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed) {
    return tl::unexpected(bad_url(
        field, what + " must be an absolute http or https URL, got \"" + std::string(url) + "\""));
  }
  boost::urls::url u(*parsed);
  u.normalize();
  std::string scheme = lower(std::string(u.scheme()));
  if (scheme != "http" && scheme != "https") {
    return tl::unexpected(bad_url(field, what + " must use http or https, got " + scheme));
  }
  if (u.has_userinfo()) {
    return tl::unexpected(bad_url(field, what + " may not carry user info (user:password@)"));
  }
  if (u.has_fragment()) {
    return tl::unexpected(bad_url(field, what + " may not have a fragment (#...)"));
  }
  CallbackTarget t;
  t.url = std::string(url);
  t.tls = scheme == "https";
  if (u.host_type() == boost::urls::host_type::ipv6) {
    t.host = lower(u.host_address());
    t.host_is_ipv6 = true;
  } else {
    t.host = lower(u.encoded_host().decode());
  }
  if (u.has_port()) {
    if (u.port_number() == 0) {
      return tl::unexpected(bad_url(field, what + " must name a port from 1 to 65535"));
    }
    t.port = u.port_number();
  } else {
    t.port = t.tls ? 443 : 80;
  }
  t.path = std::string(u.encoded_path());
  // After a host the path is empty or starts with "/" (RFC 3986 path-abempty). Boost.URL 1.81
  // reads "http://h:80x" as port 80 with path "x", which would be sent as the request target.
  if (!t.path.empty() && t.path[0] != '/') {
    return tl::unexpected(bad_url(field, what + " must have \"/\" after the host and port, got \"" +
                                             std::string(url) + "\""));
  }
  if (t.path.empty()) t.path = "/";
  t.target = t.path;
  if (u.has_query()) t.target += "?" + std::string(u.encoded_query());
  return t;
}

}  // namespace

StatusOr<CallbackTarget> parse_callback_url(std::string_view url) {
  auto t = parse_parts(url, "callback_url", "callback_url");
  if (!t) return t;
  if (t->host.empty()) {
    return tl::unexpected(bad_url("callback_url", "callback_url must name a host"));
  }
  return t;
}

StatusOr<CallbackAllowlist> CallbackAllowlist::parse(const std::vector<std::string>& entries) {
  CallbackAllowlist list;
  for (const std::string& text : entries) {
    std::string what = "callbacks.allow entry \"" + text + "\"";
    Entry e;
    e.text = text;
    std::string l = lower(text);
    if (l == "http://" || l == "https://") {
      e.tls = l == "https://";
      list.entries_.push_back(std::move(e));
      continue;
    }
    auto t = parse_parts(text, what, "callbacks.allow");
    if (!t) return tl::unexpected(t.error());
    // Without the slash after the authority a prefix could match a longer host name.
    auto authority_end = text.find('/', text.find("://") + 3);
    if (t->host.empty() || authority_end == std::string::npos) {
      return tl::unexpected(bad_url(
          "callbacks.allow", what + " must be a bare scheme (\"https://\") or name a host and a "
                                    "path prefix ending the host with a slash "
                                    "(\"https://hooks.example.com/\")"));
    }
    if (t->target != t->path) {
      return tl::unexpected(bad_url("callbacks.allow", what + " may not have a query"));
    }
    e.tls = t->tls;
    e.any_host = false;
    e.host = t->host;
    e.port = t->port;
    e.path_prefix = t->path;
    list.entries_.push_back(std::move(e));
  }
  return list;
}

CallbackAllowlist::Match CallbackAllowlist::match(const CallbackTarget& target) const {
  Match m;
  for (const Entry& e : entries_) {
    if (e.tls != target.tls) continue;
    if (e.any_host) {
      m.allowed = true;
      continue;
    }
    if (e.host == target.host && e.port == target.port && target.path.starts_with(e.path_prefix)) {
      m.allowed = true;
      m.host_named = true;
      return m;
    }
  }
  return m;
}

std::string CallbackAllowlist::describe() const {
  std::string out;
  for (const Entry& e : entries_) {
    if (!out.empty()) out += ", ";
    out += e.text;
  }
  return out;
}

Status CallbackAllowlist::check(std::string_view url, const std::string& field) const {
  if (!enabled()) {
    return bad_url(field, field +
                              " is not accepted: completion callbacks are off on this server "
                              "(no [callbacks] allow list is configured)");
  }
  auto t = parse_callback_url(url);
  if (!t) return bad_url(field, t.error().message());
  if (!match(*t).allowed) {
    return bad_url(field, field + " \"" + std::string(url) +
                              "\" matches no allowed callback prefix; allowed: " + describe());
  }
  return Status();
}

}  // namespace spool
