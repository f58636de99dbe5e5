// `spool schedules list|add|show|pause|resume|trigger|rm`: recurring schedules over the HTTP API
// (API.md "Schedules"). Requests are built in schedule_requests.cpp and answers drawn in
// schedule_views.cpp; this file is the wiring. A schedule is named by its id or by its name.
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/api_client.hpp"
#include "cli/client_requests.hpp"
#include "cli/commands.hpp"
#include "cli/schedule_requests.hpp"
#include "cli/schedule_views.hpp"

namespace spool::cli {
namespace {

struct ScheduleCommand {
  ConnectionOptions connection;
  std::string ref;  // id or name
};

struct AddCommand {
  ConnectionOptions connection;
  ScheduleArgs args;
  std::string payload_arg;
};

// The schedule's id: `ref` itself when a schedule has that id, else the id of the one named so.
std::string resolve(Api& api, const std::string& ref) {
  Answer list = api.call("GET", "/v1/schedules", {}, "cannot list schedules");
  if (const json::value* all = json_find(list.value, "schedules");
      all != nullptr && all->is_array()) {
    for (const auto& s : all->get_array()) {
      if (json_string(s, "id") == ref) return ref;
    }
    for (const auto& s : all->get_array()) {
      if (json_string(s, "name") == ref) return json_string(s, "id");
    }
  }
  fail(kExitRefused,
       "no schedule with id or name " + shell_quote(ref) + "; `spool schedules list` shows them");
}

void run_list(const ScheduleCommand& cmd) {
  Api api(cmd.connection);
  Answer answer = api.call("GET", "/v1/schedules", {}, "cannot list schedules");
  if (api.json_output()) return print_raw(answer);
  std::cout << render_schedules_table(answer.value, wall_now(), Style::for_stdout());
}

void show(Api& api, const std::string& id) {
  Answer answer = api.call("GET", schedule_target(id), {}, "cannot show schedule " + id);
  if (api.json_output()) return print_raw(answer);
  std::cout << render_schedule(answer.value, wall_now(), Style::for_stdout());
}

void run_show(const ScheduleCommand& cmd) {
  Api api(cmd.connection);
  show(api, resolve(api, cmd.ref));
}

void run_add(const AddCommand& cmd) {
  json::value payload = json::object();
  if (!cmd.payload_arg.empty()) {
    auto parsed = parse_payload(cmd.payload_arg, "the payload");
    if (!parsed) usage_error(parsed.error());
    payload = std::move(*parsed);
  }
  auto body = build_schedule_request(cmd.args, std::move(payload));
  if (!body) usage_error(body.error());
  Api api(cmd.connection);
  Answer answer =
      api.call("POST", "/v1/schedules", json::serialize(*body), "the server refused the schedule");
  if (api.json_output()) return print_raw(answer);
  show(api, json_string(answer.value, "id"));
}

void run_set_paused(const ScheduleCommand& cmd, bool paused) {
  Api api(cmd.connection);
  std::string id = resolve(api, cmd.ref);
  Answer answer =
      api.call("PATCH", schedule_target(id), paused ? R"({"paused":true})" : R"({"paused":false})",
               std::string(paused ? "cannot pause" : "cannot resume") + " schedule " + cmd.ref);
  if (api.json_output()) return print_raw(answer);
  std::cout << "schedule " << json_string(answer.value, "name") << " "
            << (paused ? "paused" : "resumed") << "\n";
  if (!paused) show(api, id);
}

void run_trigger(const ScheduleCommand& cmd) {
  Api api(cmd.connection);
  std::string id = resolve(api, cmd.ref);
  Answer answer =
      api.call("POST", schedule_target(id, "/trigger"), "{}", "cannot trigger schedule " + cmd.ref);
  if (api.json_output()) return print_raw(answer);
  std::cout << "job " << json_string(answer.value, "id") << " "
            << json_string(answer.value, "state") << "\n";
}

void run_rm(const ScheduleCommand& cmd) {
  Api api(cmd.connection);
  std::string id = resolve(api, cmd.ref);
  api.call("DELETE", schedule_target(id), {}, "cannot delete schedule " + cmd.ref);
  if (!api.json_output()) std::cout << "schedule " << cmd.ref << " deleted\n";
}

CLI::App* add_ref_verb(CLI::App* parent, const std::string& name, const std::string& what,
                       const std::string& sample, void (*run)(const ScheduleCommand&)) {
  auto cmd = make_storage<ScheduleCommand>();
  CLI::App* sub = parent->add_subcommand(name, what);
  sub->add_option("SCHEDULE", cmd->ref, "The schedule's id or name")->required();
  add_connection_options(sub, cmd->connection);
  sub->footer(example("  spool schedules " + name + " " + sample));
  sub->callback([cmd, run] { run(*cmd); });
  return sub;
}

}  // namespace

void add_schedule_commands(CLI::App& app) {
  CLI::App* schedules = app.add_subcommand(
      "schedules", "Recurring schedules: cron with time zones, or every N (API.md Schedules)");
  schedules->require_subcommand(1);
  schedules->footer(
      example("  spool schedules add daily_digest send_digest '{\"edition\":\"daily\"}' \\\n"
              "      --cron \"0 8 * * *\" --tz Europe/Berlin\n"
              "  spool schedules list\n"
              "  spool schedules show daily_digest"));
  {
    auto cmd = make_storage<ScheduleCommand>();
    CLI::App* sub = schedules->add_subcommand("list", "List schedules with their next run");
    add_connection_options(sub, cmd->connection);
    sub->footer(example("  spool schedules list --json | jq '.schedules[].name'"));
    sub->callback([cmd] { run_list(*cmd); });
  }
  {
    auto cmd = make_storage<AddCommand>();
    CLI::App* sub = schedules->add_subcommand("add", "Add a schedule (POST /v1/schedules)");
    sub->add_option("NAME", cmd->args.name, "A unique name, e.g. daily_digest")->required();
    sub->add_option("TYPE", cmd->args.type, "The type of the job each fire enqueues")->required();
    sub->add_option("PAYLOAD", cmd->payload_arg, "The job's payload as JSON text (default {})");
    auto* cron = sub->add_option("--cron", cmd->args.cron,
                                 "5 fields (6 with seconds first) or @daily, @hourly, ...");
    sub->add_option("--every", cmd->args.every, "A fixed interval instead: 30s, 5m, 1h")
        ->excludes(cron);
    sub->add_option("--tz", cmd->args.tz, "IANA time zone for --cron (default UTC)");
    sub->add_option("--queue,-q", cmd->args.queue, "Queue name (default: the type)");
    sub->add_option("--priority,-p", cmd->args.priority, "Higher runs first (default 0)");
    sub->add_option("--max-attempts", cmd->args.max_attempts, "Attempts before a job is dead");
    sub->add_option("--lease", cmd->args.lease, "How long a worker holds a job, e.g. 30s");
    sub->add_option("--tag", cmd->args.tags, "A tag; repeat for more")->allow_extra_args(false);
    sub->add_option("--misfire", cmd->args.misfire,
                    "After downtime: run_once (one catch-up fire, default) or skip");
    sub->add_option("--overlap", cmd->args.overlap,
                    "allow (default) or skip a fire while the previous job is unfinished");
    sub->add_flag("--paused", cmd->args.paused, "Create it paused");
    add_connection_options(sub, cmd->connection);
    sub->footer(
        example("  spool schedules add weekly_report build_report '{\"range\":\"week\"}' \\\n"
                "      --cron \"0 9 * * MON\" --tz America/New_York --overlap skip\n"
                "  spool schedules add cleanup purge_sessions --every 15m --misfire skip"));
    sub->callback([cmd] { run_add(*cmd); });
  }
  add_ref_verb(schedules, "show", "Show a schedule and its next five fire times", "daily_digest",
               run_show);
  add_ref_verb(schedules, "pause", "Pause a schedule: no fires until resumed", "daily_digest",
               [](const ScheduleCommand& c) { run_set_paused(c, true); });
  add_ref_verb(schedules, "resume", "Resume a schedule; it goes on from now", "daily_digest",
               [](const ScheduleCommand& c) { run_set_paused(c, false); });
  add_ref_verb(schedules, "trigger", "Enqueue the schedule's job now, outside its timing",
               "daily_digest", run_trigger);
  add_ref_verb(schedules, "rm", "Delete a schedule (its jobs stay)", "daily_digest", run_rm);
}

}  // namespace spool::cli
