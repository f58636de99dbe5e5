#include "http/sse.hpp"

#include <charconv>

#include "core/json_writer.hpp"
#include "core/names.hpp"
#include "core/time_format.hpp"

namespace spool::http {

bool EventFilter::matches(const engine::JobEvent& e) const {
  return (!queue || *queue == e.queue) && (!type || *type == e.type) && (!job || *job == e.id);
}

namespace {

StatusOr<std::uint64_t> parse_event_id(std::string_view text, const char* field) {
  std::uint64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    return invalid(field, std::string(field) +
                              " must be an event id (a non-negative integer from an earlier "
                              "event's id: line), got \"" +
                              std::string(text.substr(0, 64)) + "\"");
  }
  return n;
}

// Our own JSON has no raw line breaks, but progress is spliced as the worker sent it, and JSON
// may have them between tokens: each line becomes a data: line (SSE joins them with \n, which
// leaves the JSON as it was).
void append_data_lines(std::string& out, std::string_view data) {
  std::size_t start = 0;
  while (true) {
    std::size_t end = data.find_first_of("\r\n", start);
    out += "data: ";
    out += data.substr(start, end == std::string_view::npos ? end : end - start);
    out += "\n";
    if (end == std::string_view::npos) return;
    start = end + 1;
    if (data[end] == '\r' && start < data.size() && data[start] == '\n') ++start;
  }
}

}  // namespace

StatusOr<EventsRequest> parse_events_request(const QueryParams& query,
                                             std::string_view last_event_id_header) {
  // A typo ("queues=") would stream every queue's events: refused like any unknown parameter.
  static constexpr std::string_view kKnown[] = {"queue", "type", "job", "last_event_id"};
  if (Status s = check_query(query, kKnown); !s.ok()) return tl::unexpected(std::move(s));
  EventsRequest out;
  for (const auto& [key, value] : query) {
    if (key == "queue" || key == "type") {
      if (!is_valid_name(value)) {
        return invalid(key, key + " must be " + std::string(kNameRule) + ", got \"" +
                                value.substr(0, 140) + "\"");
      }
      (key == "queue" ? out.filter.queue : out.filter.type) = value;
    } else if (key == "job") {
      if (value.empty() || value.size() > kMaxIdBytes) {
        return invalid(
            "job", "job must be a job id (1 to " + std::to_string(kMaxIdBytes) + " characters)");
      }
      out.filter.job = value;
    } else if (key == "last_event_id") {
      auto id = parse_event_id(value, "last_event_id");
      if (!id) return tl::unexpected(id.error());
      out.last_event_id = *id;
    }
  }
  if (!last_event_id_header.empty()) {
    auto id = parse_event_id(last_event_id_header, "Last-Event-ID");
    if (!id) return tl::unexpected(id.error());
    out.last_event_id = *id;
  }
  return out;
}

std::string sse_preamble() {
  return "retry: " + std::to_string(kSseRetryMs) + "\n: spool job events\n\n";
}

std::string encode_sse_event(const StoredEvent& event) {
  const engine::JobEvent& e = event.job;
  std::string_view kind = engine::to_string(e.kind);
  JsonWriter w;
  w.begin_object()
      .field("event_id", static_cast<std::int64_t>(event.id))
      .field("event", kind)
      .key("at")
      .time(e.at)
      .field("job_id", e.id)
      .field("type", e.type)
      .field("queue", e.queue)
      .field("state", to_string(e.state))
      .field("attempt", e.attempt)
      .field("max_attempts", e.max_attempts);
  if (e.fail_kind || !e.error.empty()) {
    w.key("error").begin_object().field("message", e.error);
    if (e.fail_kind) w.field("kind", to_string(*e.fail_kind));
    w.end_object();
  }
  if (e.progress_json) w.key("progress").raw(*e.progress_json);
  if (e.next_run_at) w.key("next_run_at").time(*e.next_run_at);
  if (e.wait_ms) w.field("wait_ms", *e.wait_ms);
  if (e.run_ms) w.field("run_ms", *e.run_ms);
  w.end_object();
  std::string out;
  out.reserve(w.str().size() + 48);
  out += "id: ";
  out += std::to_string(event.id);
  out += "\nevent: ";
  out += kind;
  out += "\n";
  append_data_lines(out, w.str());
  out += "\n";
  return out;
}

std::string encode_sse_gap(std::uint64_t requested, std::uint64_t oldest) {
  JsonWriter w;
  w.begin_object()
      .field("event", "gap")
      .field("last_event_id", static_cast<std::int64_t>(requested))
      .key("oldest_event_id");
  if (oldest == 0) {
    w.null();
  } else {
    w.value(static_cast<std::int64_t>(oldest));
  }
  w.field("message",
          "events after your Last-Event-ID are no longer kept (the server restarted or you "
          "were away too long); reload the state you need, then follow on from here");
  w.end_object();
  return "event: gap\ndata: " + w.take() + "\n\n";
}

}  // namespace spool::http
