#include "cli/schedule_views.hpp"

#include "cli/duration.hpp"

namespace spool::cli {
namespace {

namespace json = boost::json;

bool is_paused(const json::value& s) {
  const json::value* p = json_find(s, "paused");
  return p != nullptr && p->is_bool() && p->get_bool();
}

// "2026-12-01 09:00:00 (in 2h)", or "-".
std::string when(const json::value& s, std::string_view key, TimeMs now) {
  std::string t = json_string(s, key);
  if (t.empty()) return "-";
  std::string rel = relative_time(t, now);
  return short_time(t) + (rel.empty() ? "" : " (" + rel + ")");
}

}  // namespace

std::string describe_timing(const json::value& s) {
  std::string cron = json_string(s, "cron");
  std::string zone = json_string(s, "timezone");
  if (!cron.empty()) return "cron " + cron + " (" + (zone.empty() ? "UTC" : zone) + ")";
  if (const json::value* every = json_find(s, "every_ms"); every != nullptr && every->is_int64()) {
    return "every " + format_duration_ms(every->get_int64());
  }
  return "-";
}

std::string render_schedules_table(const json::value& answer, TimeMs now, const Style& style) {
  Table table({{"NAME"}, {"ID"}, {"WHEN"}, {"NEXT RUN"}, {"LAST RUN"}, {"LAST JOB"}});
  if (const json::value* all = json_find(answer, "schedules"); all != nullptr && all->is_array()) {
    for (const auto& s : all->get_array()) {
      std::string last_job = json_string(s, "last_job_id");
      table.add_row({Table::Cell(json_string(s, "name"), Colour::kBold), json_string(s, "id"),
                     describe_timing(s),
                     is_paused(s) ? Table::Cell("paused", Colour::kYellow)
                                  : Table::Cell(when(s, "next_run_at", now)),
                     when(s, "last_run_at", now), last_job.empty() ? "-" : last_job});
    }
  }
  if (table.empty()) {
    return "no schedules yet: add one with `spool schedules add NAME TYPE --cron \"0 9 * * *\"`\n";
  }
  return table.render(style);
}

std::string render_schedule(const json::value& s, TimeMs now, const Style& style) {
  std::string out;
  auto line = [&](std::string_view label, const std::string& value) {
    std::string padded(label);
    padded.resize(12, ' ');
    out += style.paint(padded, Colour::kDim) + value + "\n";
  };
  line("schedule",
       style.paint(json_string(s, "name"), Colour::kBold) + "  " + json_string(s, "id"));
  line("when", describe_timing(s));
  line("state", is_paused(s) ? style.paint("paused", Colour::kYellow) : "active");
  line("misfire", json_string(s, "misfire"));
  line("overlap", json_string(s, "overlap"));
  line("next run", is_paused(s) ? "- (paused)" : when(s, "next_run_at", now));
  line("last run", when(s, "last_run_at", now));
  std::string last_job = json_string(s, "last_job_id");
  line("last job", last_job.empty() ? "-" : last_job + "  (spool job " + last_job + ")");
  if (const json::value* runs = json_find(s, "next_runs"); runs != nullptr && runs->is_array()) {
    out += style.paint(is_paused(s) ? "next runs if resumed now\n" : "next runs\n", Colour::kDim);
    for (const auto& r : runs->get_array()) {
      if (r.is_string()) out += "  " + short_time(r.get_string()) + " UTC\n";
    }
  }
  if (const json::value* job = json_find(s, "job"); job != nullptr) {
    out += style.paint("job\n", Colour::kDim);
    out += "  " + pretty_json(*job, 1) + "\n";
  }
  return out;
}

}  // namespace spool::cli
