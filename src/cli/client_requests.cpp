#include "cli/client_requests.hpp"

#include <algorithm>
#include <boost/json/stream_parser.hpp>
#include <boost/url/url.hpp>

#include "cli/duration.hpp"
#include "core/names.hpp"
#include "core/time_format.hpp"

namespace spool::cli {

namespace json = boost::json;

bool is_job_state(std::string_view state) {
  return std::find(std::begin(kJobStates), std::end(kJobStates), state) != std::end(kJobStates);
}

namespace {

std::string all_states() {
  std::string out;
  for (std::string_view s : kJobStates) {
    if (!out.empty()) out += ", ";
    out += s;
  }
  return out;
}

StatusOr<void> check_name(std::string_view option, std::string_view what, std::string_view name) {
  if (is_valid_name(name)) return {};
  return tl::unexpected(Status(StatusCode::kInvalidArgument,
                               std::string(what) + " \"" + std::string(name) +
                                   "\" is not a valid name: use " + std::string(kNameRule),
                               std::string(option)));
}

StatusOr<std::int64_t> duration_option(std::string_view option, const std::string& text) {
  auto ms = parse_duration_ms(text);
  if (!ms) return invalid(std::string(option), ms.error().message());
  return *ms;
}

// Everything but RFC 3986's unreserved characters is percent-encoded. Stricter than the query
// grammar needs, on purpose: a '+' left bare is read as a space by some decoders, and cursors
// are free to contain one.
std::string encode_query_value(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : value) {
    bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out += c;
    } else {
      auto byte = static_cast<unsigned char>(c);
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 0xF];
    }
  }
  return out;
}

}  // namespace

StatusOr<json::value> parse_payload(std::string_view text, std::string_view source) {
  json::stream_parser parser;
  boost::system::error_code ec;
  std::size_t consumed = parser.write(text.data(), text.size(), ec);
  if (!ec) {
    parser.finish(ec);
    consumed = text.size();
  }
  if (!ec) return parser.release();
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return invalid("payload", std::string(source) + " is empty; pass JSON such as '{}'");
  }

  // Where it broke, as a person counts: line and column from 1, and the line itself.
  std::size_t line = 1;
  std::size_t line_start = 0;
  for (std::size_t i = 0; i < consumed && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  std::size_t line_end = text.find('\n', line_start);
  if (line_end == std::string_view::npos) line_end = text.size();
  std::string_view line_text = text.substr(line_start, line_end - line_start);
  std::size_t column = consumed - line_start + 1;

  std::string reason = ec == json::error::incomplete
                           ? "the JSON ends too early (unclosed { [ or \")"
                       : ec == json::error::extra_data ? "extra text after the JSON value"
                                                       : ec.message();
  // Long one-line payloads: show a window around the spot so the caret stays on screen.
  std::size_t window_start = column > 60 ? column - 60 : 0;
  std::string shown(line_text.substr(window_start, 100));
  std::string caret(column - 1 - window_start, ' ');
  caret += '^';
  return invalid("payload", std::string(source) + " is not valid JSON: " + reason + " at line " +
                                std::to_string(line) + ", column " + std::to_string(column) +
                                "\n  " + shown + "\n  " + caret);
}

StatusOr<json::object> build_enqueue_request(const EnqueueArgs& args, json::value payload) {
  if (auto ok = check_name("TYPE", "the job type", args.type); !ok)
    return tl::unexpected(ok.error());
  json::object body;
  body["type"] = args.type;
  body["payload"] = std::move(payload);
  if (!args.queue.empty()) {
    if (auto ok = check_name("--queue", "the queue", args.queue); !ok) {
      return tl::unexpected(ok.error());
    }
    body["queue"] = args.queue;
  }
  if (args.priority) body["priority"] = *args.priority;
  if (!args.delay.empty() && !args.at.empty()) {
    return invalid("--delay",
                   "give --delay or --at, not both: one says how long to wait, the "
                   "other when to run");
  }
  if (!args.delay.empty()) {
    auto ms = duration_option("--delay", args.delay);
    if (!ms) return tl::unexpected(ms.error());
    body["delay_ms"] = *ms;
  }
  if (!args.at.empty()) {
    std::optional<TimeMs> t = parse_rfc3339(args.at);
    if (!t) {
      return invalid("--at", "cannot read \"" + args.at +
                                 "\" as an RFC 3339 time; write it like 2026-11-25T09:00:00Z or "
                                 "2026-11-25T10:00:00+01:00");
    }
    // Sent in the API's own form (UTC, milliseconds) whatever offset was typed.
    body["run_at"] = format_rfc3339(*t);
  }
  if (!args.dedupe_key.empty()) body["dedupe_key"] = args.dedupe_key;
  if (!args.dedupe_window.empty()) {
    if (args.dedupe_key.empty()) {
      return invalid("--dedupe-window",
                     "--dedupe-window needs --dedupe-key: the window is how "
                     "long that key blocks a second job");
    }
    auto ms = duration_option("--dedupe-window", args.dedupe_window);
    if (!ms) return tl::unexpected(ms.error());
    body["dedupe_window_ms"] = *ms;
  }
  if (args.max_attempts) body["max_attempts"] = *args.max_attempts;
  if (!args.lease.empty()) {
    auto ms = duration_option("--lease", args.lease);
    if (!ms) return tl::unexpected(ms.error());
    body["lease_ms"] = *ms;
  }
  if (!args.timeout.empty()) {
    auto ms = duration_option("--run-timeout", args.timeout);
    if (!ms) return tl::unexpected(ms.error());
    body["timeout_ms"] = *ms;
  }
  if (!args.tags.empty()) {
    json::array tags;
    for (const std::string& tag : args.tags) {
      if (tag.empty()) return invalid("--tag", "a tag cannot be empty");
      tags.emplace_back(tag);
    }
    body["tags"] = std::move(tags);
  }
  return body;
}

StatusOr<std::string> build_jobs_target(const JobsFilter& filter) {
  std::string query;
  auto append = [&query](std::string_view key, std::string_view value) {
    query += query.empty() ? '?' : '&';
    query += key;
    query += '=';
    query += encode_query_value(value);
  };
  if (!filter.state.empty()) {
    if (!is_job_state(filter.state)) {
      return invalid("--state",
                     "unknown state \"" + filter.state + "\"; use one of " + all_states());
    }
    append("state", filter.state);
  }
  if (!filter.type.empty()) append("type", filter.type);
  if (!filter.queue.empty()) append("queue", filter.queue);
  for (const std::string& tag : filter.tags) append("tag", tag);
  if (filter.limit) {
    if (*filter.limit < 1 || *filter.limit > 500) {
      return invalid("--limit",
                     "--limit must be between 1 and 500, got " + std::to_string(*filter.limit));
    }
    append("limit", std::to_string(*filter.limit));
  }
  if (!filter.order.empty()) {
    if (filter.order != "asc" && filter.order != "desc") {
      return invalid("--order",
                     "--order must be asc (oldest first) or desc (newest first), got \"" +
                         filter.order + "\"");
    }
    append("order", filter.order);
  }
  if (!filter.cursor.empty()) append("cursor", filter.cursor);
  return "/v1/jobs" + query;
}

std::string shell_quote(std::string_view arg) {
  bool plain = !arg.empty() && std::all_of(arg.begin(), arg.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.' || c == ':' || c == '/' || c == '=' || c == '@' || c == ',' ||
           c == '+';
  });
  if (plain) return std::string(arg);
  std::string out = "'";
  for (char c : arg) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

std::string next_page_command(const JobsFilter& filter, std::string_view next_cursor) {
  std::string cmd = "spool jobs";
  auto add = [&cmd](std::string_view option, std::string_view value) {
    if (value.empty()) return;
    cmd += " ";
    cmd += option;
    cmd += " ";
    cmd += shell_quote(value);
  };
  add("--state", filter.state);
  add("--type", filter.type);
  add("--queue", filter.queue);
  for (const std::string& tag : filter.tags) add("--tag", tag);
  if (filter.limit) add("--limit", std::to_string(*filter.limit));
  add("--order", filter.order);
  add("--cursor", next_cursor);
  return cmd;
}

namespace {
std::string segment_target(std::string_view collection, std::string_view name,
                           std::string_view suffix) {
  boost::urls::url url(collection);
  url.segments().push_back(name);
  return std::string(url.buffer()) + std::string(suffix);
}
}  // namespace

std::string job_target(std::string_view id, std::string_view suffix) {
  return segment_target("/v1/jobs", id, suffix);
}

std::string queue_target(std::string_view name, std::string_view suffix) {
  return segment_target("/v1/queues", name, suffix);
}

std::string schedule_target(std::string_view id, std::string_view suffix) {
  return segment_target("/v1/schedules", id, suffix);
}

}  // namespace spool::cli
