#include "cli/client_views.hpp"

#include <boost/json.hpp>

#include "cli/client_requests.hpp"
#include "cli/duration.hpp"

namespace spool::cli {

namespace json = boost::json;

namespace {

constexpr std::size_t kLabelWidth = 12;
// Wide enough for a useful message, narrow enough that a row of `spool jobs` fits 160 columns.
constexpr std::size_t kShortErrorWidth = 48;

std::string label(std::string_view name, const Style& style) {
  std::string padded(name);
  padded.resize(std::max(kLabelWidth, name.size() + 1), ' ');
  return style.paint(padded, Colour::kDim);
}

// A label on a line of its own, above an indented block.
std::string heading(std::string_view name, const Style& style) {
  return style.paint(name, Colour::kDim) + "\n";
}

// "2026-11-25 02:34:49  (3m ago)"
std::string when(std::string_view rfc3339, TimeMs now) {
  std::string relative = relative_time(rfc3339, now);
  std::string out = short_time(rfc3339);
  if (!relative.empty()) out += "  (" + relative + ")";
  return out;
}

std::string indent_block(const std::string& text, std::string_view prefix) {
  std::string out;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    out += prefix;
    out += text.substr(start, end - start);
    out += '\n';
    start = end + 1;
  }
  return out;
}

std::string attempts_text(const json::value& job) {
  std::string out = std::to_string(json_int(job, "attempts"));
  if (json_find(job, "max_attempts") != nullptr) {
    out += "/" + std::to_string(json_int(job, "max_attempts"));
  }
  return out;
}

std::string error_line(const json::value& error, TimeMs now) {
  std::string out;
  std::string kind = json_string(error, "kind");
  if (!kind.empty()) out += "[" + kind + "] ";
  out += json_string(error, "message");
  // Relative only: the absolute time is in --json, and two nested times read badly here.
  std::string at = json_string(error, "at");
  std::string relative = relative_time(at, now);
  if (!relative.empty()) out += "  (" + relative + ")";
  return out;
}

bool present(const json::value* v) { return v != nullptr && !v->is_null(); }

// "exponential backoff 1s..1h with jitter, lease 30s, timeout 2m": how this job will be retried
// and how long an attempt may run, fixed at
// enqueue from the job, its queue or the server (API.md "Precedence").
std::string describe_retry_policy(const json::value& job) {
  std::string out;
  if (const json::value* backoff = json_find(job, "backoff"); present(backoff)) {
    out = json_string(*backoff, "type") + " backoff";
    if (json_find(*backoff, "base_ms") != nullptr) {
      out += " " + format_duration_ms(json_int(*backoff, "base_ms"));
      if (json_find(*backoff, "max_ms") != nullptr) {
        out += ".." + format_duration_ms(json_int(*backoff, "max_ms"));
      }
    }
    const json::value* jitter = json_find(*backoff, "jitter");
    if (jitter != nullptr && jitter->is_bool() && jitter->get_bool()) out += " with jitter";
  }
  if (present(json_find(job, "lease_ms"))) {
    if (!out.empty()) out += ", ";
    out += "lease " + format_duration_ms(json_int(job, "lease_ms"));
  }
  if (present(json_find(job, "timeout_ms"))) {
    if (!out.empty()) out += ", ";
    out += "timeout " + format_duration_ms(json_int(job, "timeout_ms"));
  }
  return out;
}

}  // namespace

std::string render_job(const json::value& job, TimeMs now, const Style& style) {
  std::string out;
  auto line = [&](std::string_view name, const std::string& value, Colour colour = Colour::kNone) {
    if (value.empty()) return;
    out += label(name, style) + style.paint(value, colour) + "\n";
  };
  auto time_line = [&](std::string_view name, std::string_view key) {
    std::string value = json_string(job, key);
    if (!value.empty()) line(name, when(value, now));
  };

  std::string state = json_string(job, "state");
  line("job", json_string(job, "id"), Colour::kBold);
  line("type", json_string(job, "type"));
  line("queue", json_string(job, "queue"));
  line("state", state, state_colour(state));
  line("attempts", attempts_text(job));
  if (json_find(job, "priority") != nullptr) line("priority", json_string(job, "priority"));
  line("retries", describe_retry_policy(job));
  time_line("created", "created_at");
  // run_at equals created_at unless the job was delayed or is backing off; then it matters.
  if (json_string(job, "run_at") != json_string(job, "created_at")) time_line("run at", "run_at");
  time_line("started", "started_at");
  time_line("finished", "finished_at");
  if (present(json_find(job, "processing_ms"))) {
    line("processing", format_duration_ms(json_int(job, "processing_ms")));
  }
  std::string lease = json_string(job, "lease_expires_at");
  std::string worker = json_string(job, "worker");
  if (!lease.empty()) {
    line("lease", "expires " + when(lease, now) + (worker.empty() ? "" : ", worker " + worker));
  } else {
    line("worker", worker);
  }
  line("dedupe key", json_string(job, "dedupe_key"));
  if (const json::value* tags = json_find(job, "tags"); tags != nullptr && tags->is_array()) {
    std::string joined;
    for (const auto& tag : tags->get_array()) {
      if (!joined.empty()) joined += ", ";
      joined += tag.is_string() ? std::string(tag.get_string()) : json::serialize(tag);
    }
    line("tags", joined);
  }
  if (const json::value* last = json_find(job, "last_error"); present(last)) {
    line("last error", error_line(*last, now), Colour::kRed);
  }
  // The history only adds something when there was more than the last error.
  if (const json::value* errors = json_find(job, "errors");
      errors != nullptr && errors->is_array() && errors->get_array().size() > 1) {
    out += heading("errors", style);
    for (const auto& error : errors->get_array()) out += "  " + error_line(error, now) + "\n";
  }
  for (std::string_view section : {"payload", "result", "progress"}) {
    const json::value* value = json_find(job, section);
    // A null payload was sent as null and is shown; a null result just means none yet.
    if (value == nullptr || (value->is_null() && section != "payload")) continue;
    out += heading(section, style);
    out += indent_block(pretty_json(*value), "  ");
  }
  return out;
}

std::string render_jobs_table(const json::value& answer, const Style& style) {
  Table table(
      {{"ID"}, {"TYPE"}, {"QUEUE"}, {"STATE"}, {"ATTEMPTS", true}, {"CREATED"}, {"LAST ERROR"}});
  if (const json::value* jobs = json_find(answer, "jobs"); jobs != nullptr && jobs->is_array()) {
    for (const auto& job : jobs->get_array()) {
      std::string state = json_string(job, "state");
      std::string error;
      if (const json::value* last = json_find(job, "last_error"); present(last)) {
        error = shorten(json_string(*last, "message"), kShortErrorWidth);
      }
      table.add_row(
          {json_string(job, "id"), json_string(job, "type"), json_string(job, "queue"),
           Table::Cell(state, state_colour(state)), attempts_text(job),
           short_time(json_string(job, "created_at")),
           Table::Cell(error.empty() ? "-" : error, error.empty() ? Colour::kDim : Colour::kNone)});
    }
  }
  if (table.empty()) return "no jobs match\n";
  return table.render(style);
}

namespace {

std::vector<Table::Column> count_columns(std::string first) {
  std::vector<Table::Column> columns{{std::move(first)}};
  for (std::string_view state : kJobStates) {
    std::string header(state);
    for (char& c : header) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    columns.push_back({header, true});
  }
  return columns;
}

// Zero counts are dimmed so the numbers that need attention stand out; dead in red when not 0.
std::vector<Table::Cell> count_cells(std::string name, const json::value& counts,
                                     Colour name_colour) {
  std::vector<Table::Cell> cells{Table::Cell(std::move(name), name_colour)};
  for (std::string_view state : kJobStates) {
    std::int64_t n = json_int(counts, state);
    Colour colour = n == 0 ? Colour::kDim : state == "dead" ? Colour::kRed : Colour::kNone;
    cells.emplace_back(std::to_string(n), colour);
  }
  return cells;
}

}  // namespace

std::string render_stats(const json::value& answer, const Style& style) {
  Table table(count_columns("QUEUE"));
  if (const json::value* queues = json_find(answer, "queues");
      queues != nullptr && queues->is_object()) {
    for (const auto& [name, queue] : queues->get_object()) {
      const json::value* counts = json_find(queue, "counts");
      table.add_row(
          count_cells(std::string(name), counts ? *counts : json::value(), Colour::kNone));
    }
  }
  if (table.empty()) return "no queues yet: enqueue a job with `spool enqueue TYPE`\n";
  const json::value* totals = json_find(answer, "totals");
  const json::value* total_counts = totals ? json_find(*totals, "counts") : nullptr;
  table.add_row(count_cells("TOTAL", total_counts ? *total_counts : json::value(), Colour::kBold));
  return table.render(style);
}

std::string describe_queue_config(const json::value& config) {
  if (!config.is_object()) return "-";
  std::string out;
  auto add = [&out](const std::string& item) {
    if (!out.empty()) out += ' ';
    out += item;
  };
  const auto& c = config.get_object();
  auto has = [&c](std::string_view key) {
    const json::value* v = c.if_contains(key);
    return v != nullptr && !v->is_null();
  };
  if (has("max_attempts")) add("max_attempts=" + json_string(config, "max_attempts"));
  if (has("lease_ms")) add("lease=" + format_duration_ms(json_int(config, "lease_ms")));
  if (has("concurrency")) add("concurrency=" + json_string(config, "concurrency"));
  if (has("rate_limit")) {
    const json::value& rate = c.at("rate_limit");
    add("rate=" + json_string(rate, "limit") + "/" + format_duration_ms(json_int(rate, "per_ms")));
  }
  if (has("backoff")) {
    const json::value& backoff = c.at("backoff");
    std::string item = "backoff=" + json_string(backoff, "type");
    if (json_find(backoff, "base_ms") != nullptr) {
      item += ":" + format_duration_ms(json_int(backoff, "base_ms"));
    }
    add(item);
  }
  if (has("push")) add("push=" + json_string(c.at("push"), "url"));
  return out.empty() ? "-" : out;
}

std::string render_queues(const json::value& answer, const Style& style) {
  Table table({{"QUEUE"},
               {"PAUSED"},
               {"SCHEDULED", true},
               {"QUEUED", true},
               {"ACTIVE", true},
               {"RETRYING", true},
               {"DEAD", true},
               {"CONFIG"}});
  if (const json::value* queues = json_find(answer, "queues");
      queues != nullptr && queues->is_array()) {
    for (const auto& queue : queues->get_array()) {
      const json::value* found = json_find(queue, "counts");
      json::value counts = found ? *found : json::value();
      bool paused = false;
      if (const json::value* p = json_find(queue, "paused"); p != nullptr && p->is_bool()) {
        paused = p->get_bool();
      }
      auto count = [&](std::string_view state) {
        std::int64_t n = json_int(counts, state);
        Colour colour = n == 0 ? Colour::kDim : state == "dead" ? Colour::kRed : Colour::kNone;
        return Table::Cell(std::to_string(n), colour);
      };
      const json::value* config = json_find(queue, "config");
      table.add_row({json_string(queue, "name"),
                     Table::Cell(paused ? "paused" : "no", paused ? Colour::kYellow : Colour::kDim),
                     count("scheduled"), count("queued"), count("active"), count("retrying"),
                     count("dead"), describe_queue_config(config ? *config : json::value())});
    }
  }
  if (table.empty()) return "no queues yet: enqueue a job with `spool enqueue TYPE`\n";
  return table.render(style);
}

}  // namespace spool::cli
