#include "push/outcome.hpp"

#include <boost/json/parse.hpp>
#include <charconv>
#include <cstdio>
#include <ctime>

namespace spool::push {
namespace {

// Printable text of an answer body for an error message: the first kErrorBodyBytes bytes, control
// characters (and bytes of a cut UTF-8 sequence at the end) shown as '?'.
std::string body_excerpt(std::string_view body) {
  std::string out;
  std::string_view head = body.substr(0, kErrorBodyBytes);
  out.reserve(head.size());
  for (char c : head) {
    auto u = static_cast<unsigned char>(c);
    out.push_back(u < 0x20 || u == 0x7f ? '?' : c);
  }
  // Do not end inside a multi-byte UTF-8 sequence.
  std::size_t i = out.size();
  std::size_t back = 0;
  while (i > 0 && back < 4 && (static_cast<unsigned char>(out[i - 1]) & 0xC0) == 0x80) {
    --i;
    ++back;
  }
  if (i > 0 && static_cast<unsigned char>(out[i - 1]) >= 0xC0) {
    auto lead = static_cast<unsigned char>(out[i - 1]);
    std::size_t need = lead >= 0xF0 ? 3 : lead >= 0xE0 ? 2 : 1;
    if (back < need) out.resize(i - 1);
  }
  return out;
}

std::optional<std::time_t> parse_http_date(std::string_view value) {
  std::string text(value);
  static const char* kFormats[] = {
      "%a, %d %b %Y %H:%M:%S GMT",  // IMF-fixdate
      "%A, %d-%b-%y %H:%M:%S GMT",  // RFC 850
      "%a %b %e %H:%M:%S %Y",       // asctime
  };
  for (const char* f : kFormats) {
    std::tm tm{};
    const char* end = strptime(text.c_str(), f, &tm);
    if (end && *end == '\0') return timegm(&tm);
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::int64_t> parse_retry_after(std::string_view value, TimeMs now_wall_ms) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  if (value.find_first_not_of("0123456789") == std::string_view::npos) {
    std::int64_t seconds = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (ec == std::errc::result_out_of_range) return kMaxRetryAfterMs;
    if (ec != std::errc() || end != value.data() + value.size()) return std::nullopt;
    if (seconds > kMaxRetryAfterMs / 1000) return kMaxRetryAfterMs;
    return seconds * 1000;
  }
  auto at = parse_http_date(value);
  if (!at) return std::nullopt;
  std::int64_t delay = static_cast<std::int64_t>(*at) * 1000 - now_wall_ms;
  return std::clamp<std::int64_t>(delay, 0, kMaxRetryAfterMs);
}

std::string format_elapsed(std::int64_t elapsed_ms) {
  if (elapsed_ms < 1000) return std::to_string(elapsed_ms) + " ms";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f s", static_cast<double>(elapsed_ms) / 1000.0);
  return buf;
}

Outcome classify_answer(const Answer& a, std::string_view host, std::int64_t elapsed_ms,
                        TimeMs now_wall_ms) {
  Outcome o;
  if (a.status >= 200 && a.status <= 299) {
    o.verdict = Verdict::kAck;
    if (!a.body_truncated && !a.body.empty() && a.body.size() <= kMaxResultBytes) {
      boost::system::error_code ec;
      boost::json::value v = boost::json::parse(a.body, ec);
      if (!ec) o.result_json = std::string(a.body);
    }
    return o;
  }
  o.message = "HTTP " + std::to_string(a.status) + " from " + std::string(host) + " after " +
              format_elapsed(elapsed_ms);
  std::string excerpt = body_excerpt(a.body);
  if (!excerpt.empty()) o.message += ": " + excerpt;
  const int s = a.status;
  if (s == 408 || s == 425 || s == 429 || (s >= 500 && s <= 599)) {
    o.verdict = Verdict::kRetry;
    o.breaker_failure = s != 425;
    if (!a.retry_after.empty()) o.retry_after_ms = parse_retry_after(a.retry_after, now_wall_ms);
  } else if (s == 410) {
    o.verdict = Verdict::kGone;
  } else {
    o.verdict = Verdict::kPermanent;
    if (s >= 300 && s <= 399) o.message += " (redirects are not followed)";
  }
  return o;
}

Outcome classify_transport_error(std::string_view what, std::string_view host,
                                 std::int64_t elapsed_ms) {
  Outcome o;
  o.verdict = Verdict::kRetry;
  o.breaker_failure = true;
  o.message = "no answer from " + std::string(host) + " after " + format_elapsed(elapsed_ms) +
              ": " + std::string(what);
  return o;
}

}  // namespace spool::push
