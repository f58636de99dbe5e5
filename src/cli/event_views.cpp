#include "cli/event_views.hpp"

#include <boost/json/serialize.hpp>

namespace spool::cli {
namespace {

// "2026-11-25T09:14:03.123Z" -> "09:14:03.123"; anything else as given.
std::string clock_time(std::string_view rfc3339) {
  if (rfc3339.size() >= 23 && rfc3339[10] == 'T') return std::string(rfc3339.substr(11, 12));
  return std::string(rfc3339);
}

std::string pad(std::string text, std::size_t width) {
  while (display_width(text) < width) text.push_back(' ');
  return text;
}

}  // namespace

bool is_final_event(std::string_view kind) {
  return kind == "completed" || kind == "dead" || kind == "cancelled";
}

std::string render_event_line(std::string_view kind, const boost::json::value& data,
                              const Style& style) {
  std::string state = json_string(data, "state");
  std::string type = json_string(data, "type");
  std::string queue = json_string(data, "queue");
  std::string line = style.paint(clock_time(json_string(data, "at")), Colour::kDim);
  line += "  ";
  // Padding before painting, so escape codes never disturb the columns.
  line += style.paint(pad(std::string(kind), 9), state_colour(is_final_event(kind) ? kind : state));
  line += "  " + json_string(data, "job_id") + "  " + type;
  if (!queue.empty() && queue != type) line += " on " + queue;
  std::int64_t attempt = json_int(data, "attempt");
  std::int64_t max_attempts = json_int(data, "max_attempts");
  if (attempt > 0 && max_attempts > 0) {
    line += "  attempt " + std::to_string(attempt) + "/" + std::to_string(max_attempts);
  }
  std::string details;
  if (const auto* error = json_find(data, "error"); error != nullptr) {
    std::string message = json_string(*error, "message");
    if (!message.empty()) details = shorten(message, 120);
  }
  if (const auto* progress = json_find(data, "progress"); progress != nullptr) {
    details = "progress " + shorten(boost::json::serialize(*progress), 120);
  }
  std::string next = json_string(data, "next_run_at");
  if (!next.empty()) details += (details.empty() ? "next " : "; next ") + clock_time(next);
  if (json_find(data, "run_ms") != nullptr && kind == "completed") {
    details = "ran " + std::to_string(json_int(data, "run_ms")) + "ms";
  }
  if (!details.empty()) line += "  " + details;
  return line;
}

std::string render_gap_line(const boost::json::value& data, const Style& style) {
  std::string text = "missed events after id " + std::to_string(json_int(data, "last_event_id")) +
                     ": the server no longer has them (it restarted, or this watch was away "
                     "too long); what follows is what it still has";
  return style.paint(text, Colour::kYellow);
}

}  // namespace spool::cli
