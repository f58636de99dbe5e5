#include "push/push_config.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <boost/url/parse.hpp>
#include <cctype>

#include "core/time_format.hpp"
#include "push/signing.hpp"

namespace spool::push {
namespace {

constexpr std::size_t kMaxHeaders = 32;
constexpr std::size_t kMaxHeaderValueBytes = 4096;

Status invalid(const std::string& field, std::string message) {
  return Status(StatusCode::kInvalidArgument, std::move(message), "push." + field);
}

bool is_token(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) &&
        std::string_view("!#$%&'*+-.^_`|~").find(c) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

// Headers Spool owns: a configured header may not replace them.
bool is_reserved(std::string name) {
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name.starts_with("webhook-") || name == "content-type" || name == "content-length" ||
         name == "host" || name == "connection" || name == "transfer-encoding" ||
         name == "user-agent";
}

bool has_control(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return true;
  }
  return false;
}

StatusOr<std::int64_t> read_int(const boost::json::object& o, std::string_view key, std::int64_t lo,
                                std::int64_t hi, std::int64_t fallback) {
  const auto* v = o.if_contains(key);
  if (!v) return fallback;
  if (!v->is_int64() || v->as_int64() < lo || v->as_int64() > hi) {
    return tl::unexpected(
        invalid(std::string(key), "push." + std::string(key) + " must be an integer between " +
                                      std::to_string(lo) + " and " + std::to_string(hi)));
  }
  return v->as_int64();
}

}  // namespace

std::string Endpoint::pool_key() const {
  return std::string(tls ? "https://" : "http://") + authority();
}

std::string Endpoint::authority() const {
  bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

StatusOr<PushConfig> parse_push_config(std::string_view push_json, TimeMs now) {
  boost::system::error_code ec;
  boost::json::value root = boost::json::parse(push_json, ec);
  if (ec || !root.is_object()) {
    return tl::unexpected(
        Status(StatusCode::kInvalidArgument, "push must be a JSON object", "push"));
  }
  const auto& o = root.as_object();
  PushConfig c;

  const auto* url = o.if_contains("url");
  if (!url || !url->is_string()) return tl::unexpected(invalid("url", "push.url is required"));
  auto parsed = boost::urls::parse_absolute_uri(url->as_string());
  if (!parsed || (parsed->scheme() != "http" && parsed->scheme() != "https") ||
      parsed->host().empty() || parsed->has_userinfo()) {
    return tl::unexpected(
        invalid("url", "push.url must be an absolute http or https URL without user info"));
  }
  c.endpoint.tls = parsed->scheme() == "https";
  if (parsed->host_type() == boost::urls::host_type::ipv6) {
    c.endpoint.host = parsed->host_address();
  } else {
    c.endpoint.host = parsed->encoded_host().decode();
  }
  if (parsed->has_port()) {
    if (parsed->port_number() == 0) return tl::unexpected(invalid("url", "push.url has port 0"));
    c.endpoint.port = parsed->port_number();
  } else {
    c.endpoint.port = c.endpoint.tls ? 443 : 80;
  }
  c.endpoint.target = std::string(parsed->encoded_path());
  if (c.endpoint.target.empty()) c.endpoint.target = "/";
  if (parsed->has_query()) c.endpoint.target += "?" + std::string(parsed->encoded_query());

  const auto* secret = o.if_contains("secret");
  if (!secret || !secret->is_string()) {
    return tl::unexpected(invalid("secret", "push.secret is required to sign deliveries"));
  }
  auto key = decode_secret(secret->as_string());
  if (!key) return tl::unexpected(invalid("secret", key.error().message()));
  c.keys.push_back(std::move(*key));

  if (const auto* prev = o.if_contains("previous_secret")) {
    if (!prev->is_string()) {
      return tl::unexpected(invalid("previous_secret", "push.previous_secret must be a string"));
    }
    auto prev_key = decode_secret(prev->as_string());
    if (!prev_key) return tl::unexpected(invalid("previous_secret", prev_key.error().message()));
    std::optional<TimeMs> until;
    if (const auto* exp = o.if_contains("previous_secret_expires_at")) {
      if (exp->is_string()) until = parse_rfc3339(exp->as_string());
      if (!until) {
        return tl::unexpected(invalid("previous_secret_expires_at",
                                      "push.previous_secret_expires_at must be an RFC 3339 time"));
      }
    }
    if (!until || now < *until) c.keys.push_back(std::move(*prev_key));
  }

  auto timeout = read_int(o, "timeout_ms", 1, 300'000, kDefaultTimeoutMs);
  if (!timeout) return tl::unexpected(timeout.error());
  c.timeout_ms = *timeout;
  auto connect = read_int(o, "connect_timeout_ms", 1, 300'000, kDefaultConnectTimeoutMs);
  if (!connect) return tl::unexpected(connect.error());
  c.connect_timeout_ms = std::min(*connect, c.timeout_ms);
  auto concurrency = read_int(o, "concurrency", 1, 10'000, kDefaultConcurrency);
  if (!concurrency) return tl::unexpected(concurrency.error());
  c.concurrency = static_cast<int>(*concurrency);

  if (const auto* headers = o.if_contains("headers")) {
    if (!headers->is_object() || headers->as_object().size() > kMaxHeaders) {
      return tl::unexpected(invalid("headers",
                                    "push.headers must be an object of at most 32 "
                                    "header names to string values"));
    }
    for (const auto& [name, value] : headers->as_object()) {
      if (!is_token(name) || is_reserved(std::string(name))) {
        return tl::unexpected(
            invalid("headers", "push.headers may not set \"" + std::string(name) +
                                   "\": not a header name, or one Spool sets itself (webhook-*, "
                                   "content-type, content-length, host, connection, user-agent, "
                                   "transfer-encoding)"));
      }
      if (!value.is_string() || value.as_string().size() > kMaxHeaderValueBytes ||
          has_control(value.as_string())) {
        return tl::unexpected(invalid("headers", "push.headers." + std::string(name) +
                                                     " must be a string of printable "
                                                     "characters, at most 4096 bytes"));
      }
      c.headers.emplace_back(std::string(name), std::string(value.as_string()));
    }
  }
  if (const auto* ca = o.if_contains("ca_file")) {
    if (!ca->is_string() || ca->as_string().empty()) {
      return tl::unexpected(invalid("ca_file", "push.ca_file must be the path of a PEM file"));
    }
    c.ca_file = std::string(ca->as_string());
  }
  return c;
}

}  // namespace spool::push
