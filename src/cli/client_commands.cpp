// The client verbs of `spool`: enqueue, job, jobs, cancel, retry, stats, queues, pause, resume.
// Each parses its arguments, makes one or a few calls to the HTTP API (API.md) and prints the
// answer for a person, or as-is with --json for a script. Requests are built in
// client_requests.cpp and answers drawn in client_views.cpp; this file is the wiring and the
// error messages. Single-threaded, like the rest of the CLI.
//
// To add a verb: register it in add_client_commands() with add_connection_options(), give it a
// footer with an example, and send errors through Api (exit codes in commands.hpp).
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <boost/json.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <iterator>
#include <memory>
#include <thread>

#include "cli/api_client.hpp"
#include "cli/client_requests.hpp"
#include "cli/client_views.hpp"
#include "cli/commands.hpp"
#include "cli/duration.hpp"
#include "cli/event_stream.hpp"
#include "cli/event_views.hpp"
#include "cli/output.hpp"
#include "transport/http_connection.hpp"

namespace spool::cli {
namespace {

// ---- enqueue ---------------------------------------------------------------------------------

struct EnqueueCommand {
  ConnectionOptions connection;
  EnqueueArgs args;
  std::string payload_arg;
  bool quiet = false;
};

std::string read_payload_text(const std::string& arg, std::string* source) {
  if (arg == "-") {
    *source = "the payload read from stdin";
    // Without this a person who typed `-` by mistake sees a terminal that seems to hang.
    if (isatty(STDIN_FILENO) == 1)
      std::cerr << "reading the payload from stdin; end it with Ctrl-D\n";
    return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  }
  if (!arg.empty() && arg.front() == '@') {
    std::string path = arg.substr(1);
    *source = "the payload file " + path;
    std::ifstream in(path, std::ios::binary);
    if (!in) fail(kExitUsage, "cannot read the payload file " + path + ": " + std::strerror(errno));
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  *source = "the payload";
  return arg;
}

void run_enqueue(const EnqueueCommand& cmd) {
  json::value payload = json::object();
  if (!cmd.payload_arg.empty()) {
    std::string source;
    std::string text = read_payload_text(cmd.payload_arg, &source);
    auto parsed = parse_payload(text, source);
    if (!parsed) usage_error(parsed.error());
    payload = std::move(*parsed);
  }
  auto body = build_enqueue_request(cmd.args, std::move(payload));
  if (!body) usage_error(body.error());

  Api api(cmd.connection);
  Answer answer =
      api.call("POST", "/v1/jobs", json::serialize(*body), "the server refused the job");
  if (api.json_output()) return print_raw(answer);
  std::string id = json_string(answer.value, "id");
  if (cmd.quiet) {
    std::cout << id << "\n";
    return;
  }
  Style style = Style::for_stdout();
  std::string state = json_string(answer.value, "state");
  std::cout << "job " << style.paint(id, Colour::kBold) << " "
            << style.paint(state, state_colour(state)) << "\n";
  const json::value* deduplicated = json_find(answer.value, "deduplicated");
  if (deduplicated != nullptr && deduplicated->is_bool() && deduplicated->get_bool()) {
    std::cout << "deduplicated: the job already exists\n";
  }
}

// ---- job, jobs ---------------------------------------------------------------------------------

struct JobCommand {
  ConnectionOptions connection;
  std::string id;
  bool follow = false;
};

// ---- live events: job --follow, jobs watch ------------------------------------------------------

// How long a watch keeps trying to reconnect to a server that went away before it gives up.
constexpr auto kReconnectFor = std::chrono::seconds(60);

// Reads GET /v1/events at `target` and hands each event to `on_event` until it answers false.
// `on_open` runs after each (re)connection, before any of its events. A stream that ends (server
// restart, network trouble) is resumed with Last-Event-ID after the server's retry delay, so
// nothing is missed or shown twice; a refusal (401, 403, 400) ends the verb at once, and so does a
// server that cannot be reached for kReconnectFor.
void follow_events(Api& api, const std::string& target, const std::function<void()>& on_open,
                   const std::function<bool(const SseEvent&)>& on_event) {
  EventStream::Options options;
  options.token = api.options().token;
  EventStream stream(api.endpoint(), options);
  std::string last_id;
  bool connected_once = false;
  auto failing_since = std::chrono::steady_clock::now();
  for (;;) {
    transport::HttpResponse refused;
    transport::TransportError error;
    auto opened = stream.open(target, last_id, &refused, &error);
    if (opened == EventStream::Opened::kRefused) api.fail_answer(refused, "cannot watch events");
    if (opened == EventStream::Opened::kStreaming) {
      connected_once = true;
      on_open();
      std::vector<SseEvent> events;
      while (stream.next(events, &error)) {
        for (const auto& e : events) {
          if (!e.id.empty()) last_id = e.id;
          if (!on_event(e)) return;
        }
        events.clear();
      }
      failing_since = std::chrono::steady_clock::now();
    } else if (!connected_once) {
      api.fail_transport(error);
    } else if (std::chrono::steady_clock::now() - failing_since > kReconnectFor) {
      fail(kExitUnreachable, "lost the event stream from " + api.url() + " and could not " +
                                 "reconnect for a minute (" + error.detail + ")");
    }
    std::cout.flush();
    std::cerr << "spool: the event stream ended (" << error.detail << "); reconnecting\n";
    auto delay = stream.parser().retry_ms().value_or(2000);
    std::this_thread::sleep_for(
        std::chrono::milliseconds(std::clamp<std::int64_t>(delay, 100, 30'000)));
  }
}

// Prints one event, as a calm line or (with --json) its data object; false for a frame that is not
// JSON (a newer server's extension), which is skipped.
bool print_event(const SseEvent& e, bool as_json, const Style& style, json::value* data) {
  boost::system::error_code ec;
  *data = json::parse(e.data, ec);
  if (ec) return false;
  if (as_json) {
    std::cout << e.data << "\n";
  } else if (e.event == "gap") {
    std::cout << render_gap_line(*data, style) << "\n";
  } else {
    std::cout << render_event_line(e.event, *data, style) << "\n";
  }
  std::cout.flush();
  return true;
}

// The exit code for a finished job: 0 completed, 1 dead or cancelled (docs/cli.md).
[[noreturn]] void finish_follow(const std::string& id, const std::string& state) {
  std::cout.flush();
  if (state == "completed") throw CLI::RuntimeError(0);
  fail(kExitRefused, "job " + id + " " + (state == "dead" ? "is dead" : "was " + state));
}

void run_follow(const JobCommand& cmd) {
  Api api(cmd.connection);
  Style style = Style::for_stdout();
  bool shown = false;
  // The stream opens first and the job is read once it is open, so no change falls between.
  auto show_job = [&] {
    Answer answer = api.call("GET", job_target(cmd.id), {}, "cannot show job " + cmd.id);
    if (api.json_output()) {
      print_raw(answer);
    } else if (!shown) {
      std::cout << render_job(answer.value, wall_now(), style);
    }
    std::cout.flush();
    shown = true;
    std::string state = json_string(answer.value, "state");
    if (is_final_event(state)) finish_follow(cmd.id, state);
  };
  follow_events(
      api, events_target({}, {}, cmd.id),
      [&] {
        if (!shown) show_job();
      },
      [&](const SseEvent& e) {
        json::value data;
        if (!print_event(e, api.json_output(), style, &data)) return true;
        // Missed events: the job may have finished meanwhile.
        if (e.event == "gap") show_job();
        if (is_final_event(e.event)) finish_follow(cmd.id, e.event);
        return true;
      });
}

void run_job(const JobCommand& cmd) {
  if (cmd.follow) return run_follow(cmd);
  Api api(cmd.connection);
  Answer answer = api.call("GET", job_target(cmd.id), {}, "cannot show job " + cmd.id);
  if (api.json_output()) return print_raw(answer);
  std::cout << render_job(answer.value, wall_now(), Style::for_stdout());
}

struct WatchCommand {
  ConnectionOptions connection;
  std::string queue;
  std::string type;
};

void run_watch(const WatchCommand& cmd) {
  Api api(cmd.connection);
  Style style = Style::for_stdout();
  follow_events(
      api, events_target(cmd.queue, cmd.type, {}),
      [&] {
        if (isatty(STDERR_FILENO) == 1) {
          std::cerr << "watching job events at " << api.url() << " (Ctrl-C to stop)\n";
        }
      },
      [&](const SseEvent& e) {
        json::value data;
        print_event(e, api.json_output(), style, &data);
        return true;
      });
}

struct JobsCommand {
  ConnectionOptions connection;
  JobsFilter filter;
};

void run_jobs(const JobsCommand& cmd) {
  auto target = build_jobs_target(cmd.filter);
  if (!target) usage_error(target.error());
  Api api(cmd.connection);
  Answer answer = api.call("GET", *target, {}, "cannot list jobs");
  if (api.json_output()) return print_raw(answer);
  Style style = Style::for_stdout();
  std::cout << render_jobs_table(answer.value, style);
  std::string next = json_string(answer.value, "next_cursor");
  if (!next.empty()) {
    std::cout << style.paint("more: " + next_page_command(cmd.filter, next), Colour::kDim) << "\n";
  }
}

// ---- cancel, retry -----------------------------------------------------------------------------

void run_cancel(const JobCommand& cmd) {
  Api api(cmd.connection);
  Answer answer = api.call("DELETE", job_target(cmd.id), {}, "cannot cancel job " + cmd.id);
  if (api.json_output()) return print_raw(answer);
  std::cout << "job " << cmd.id << " " << json_string(answer.value, "state") << "\n";
}

struct RetryCommand {
  ConnectionOptions connection;
  std::string id;
  bool dead = false;
  std::string queue;
  std::string type;
};

void run_retry(const RetryCommand& cmd) {
  if (cmd.id.empty() && !cmd.dead) {
    fail(kExitUsage,
         "say what to retry: a job id (spool retry ID) or the dead jobs "
         "(spool retry --dead [--queue Q] [--type T])");
  }
  if (!cmd.id.empty() && cmd.dead) {
    fail(kExitUsage, "give a job id or --dead, not both");
  }
  if (!cmd.dead && (!cmd.queue.empty() || !cmd.type.empty())) {
    fail(kExitUsage, "--queue and --type choose which dead jobs to retry; use them with --dead");
  }
  Api api(cmd.connection);
  if (!cmd.id.empty()) {
    Answer answer =
        api.call("POST", job_target(cmd.id, "/retry"), {}, "cannot retry job " + cmd.id);
    if (api.json_output()) return print_raw(answer);
    std::cout << "job " << cmd.id << " " << json_string(answer.value, "state")
              << " again, attempts reset\n";
    return;
  }

  // Every queue unless one was named. Queues without dead jobs are skipped: nothing to do there.
  std::vector<std::string> queues;
  if (!cmd.queue.empty()) {
    queues.push_back(cmd.queue);
  } else {
    Answer listed = api.call("GET", "/v1/queues", {}, "cannot list the queues");
    if (const json::value* list = json_find(listed.value, "queues"); list && list->is_array()) {
      for (const auto& queue : list->get_array()) {
        const json::value* counts = json_find(queue, "counts");
        if (counts != nullptr && json_find(*counts, "dead") != nullptr &&
            json_int(*counts, "dead") == 0) {
          continue;
        }
        queues.push_back(json_string(queue, "name"));
      }
    }
  }
  json::object body;
  if (!cmd.type.empty()) body["type"] = cmd.type;
  std::string body_text = json::serialize(body);

  // With --json the per-queue answers are gathered into one object a script can read.
  json::object per_queue;
  std::int64_t total = 0;
  for (const std::string& queue : queues) {
    Answer answer = api.call("POST", queue_target(queue, "/retry-dead"), body_text,
                             "cannot retry the dead jobs of queue " + queue);
    std::int64_t retried = json_int(answer.value, "retried");
    per_queue[queue] = retried;
    total += retried;
    if (!api.json_output()) std::cout << queue << ": " << retried << " retried\n";
  }
  if (api.json_output()) {
    std::cout << json::serialize(json::object{{"retried", total}, {"queues", per_queue}}) << "\n";
    return;
  }
  if (queues.empty()) {
    std::cout << "no dead jobs to retry\n";
  } else if (queues.size() > 1) {
    std::cout << "total: " << total << " retried\n";
  }
}

// ---- stats, queues, pause, resume --------------------------------------------------------------

void run_stats(const ConnectionOptions& connection) {
  Api api(connection);
  Answer answer = api.call("GET", "/v1/stats", {}, "cannot read the stats");
  if (api.json_output()) return print_raw(answer);
  std::cout << render_stats(answer.value, Style::for_stdout());
}

void run_queues(const ConnectionOptions& connection) {
  Api api(connection);
  Answer answer = api.call("GET", "/v1/queues", {}, "cannot list the queues");
  if (api.json_output()) return print_raw(answer);
  std::cout << render_queues(answer.value, Style::for_stdout());
}

struct QueueCommand {
  ConnectionOptions connection;
  std::string queue;
};

void run_pause(const QueueCommand& cmd, bool pause) {
  Api api(cmd.connection);
  std::string verb = pause ? "pause" : "resume";
  Answer answer = api.call("POST", queue_target(cmd.queue, "/" + verb), {},
                           "cannot " + verb + " queue " + cmd.queue);
  if (api.json_output()) return print_raw(answer);
  if (pause) {
    std::cout << "queue " << cmd.queue
              << " paused: it still accepts jobs but hands none out until `spool resume "
              << shell_quote(cmd.queue) << "`\n";
  } else {
    const json::value* counts = json_find(answer.value, "counts");
    std::cout << "queue " << cmd.queue << " resumed";
    if (counts != nullptr) {
      std::int64_t queued = json_int(*counts, "queued");
      std::cout << ": " << queued << (queued == 1 ? " job" : " jobs") << " queued";
    }
    std::cout << "\n";
  }
}

}  // namespace

void add_client_commands(CLI::App& app) {
  {
    auto cmd = make_storage<EnqueueCommand>();
    CLI::App* sub = app.add_subcommand("enqueue", "Add a job (POST /v1/jobs)");
    sub->add_option("TYPE", cmd->args.type, "The job type, e.g. send_email")->required();
    sub->add_option("PAYLOAD", cmd->payload_arg,
                    "The payload: JSON text, @file to read a file, or - for stdin (default {})");
    sub->add_option("--queue,-q", cmd->args.queue, "Queue name (default: the type)");
    sub->add_option("--priority,-p", cmd->args.priority, "Higher runs first (default 0)");
    auto* delay =
        sub->add_option("--delay", cmd->args.delay, "Wait this long before running: 10s, 5m, 2h");
    sub->add_option("--at", cmd->args.at, "Run at this time (RFC 3339, e.g. 2026-11-25T09:00:00Z)")
        ->excludes(delay);
    sub->add_option("--dedupe-key", cmd->args.dedupe_key,
                    "A second job with this key is not added while the first exists");
    sub->add_option("--dedupe-window", cmd->args.dedupe_window,
                    "How long the dedupe key holds, e.g. 10m (default: the server's)");
    sub->add_option("--max-attempts", cmd->args.max_attempts, "Attempts before the job is dead");
    sub->add_option("--lease", cmd->args.lease, "How long a worker holds the job, e.g. 30s");
    sub->add_option("--run-timeout", cmd->args.timeout,
                    "The longest one attempt may run, however often its lease is renewed, e.g. 2m");
    sub->add_option("--tag", cmd->args.tags, "A tag; repeat for more")->allow_extra_args(false);
    sub->add_flag("--quiet", cmd->quiet, "Print only the job id");
    add_connection_options(sub, cmd->connection);
    sub->footer(
        example("  spool enqueue send_email '{\"to\":\"ana@example.com\"}' --priority 10 \\\n"
                "      --dedupe-key escrow-esc-123-release --tag escrow\n"
                "  spool enqueue build_pdf @request.json --delay 5m\n"
                "  echo '{\"id\":42}' | spool enqueue audit - --queue audit"));
    sub->callback([cmd] { run_enqueue(*cmd); });
  }
  {
    auto cmd = make_storage<JobCommand>();
    CLI::App* sub = app.add_subcommand("job", "Show one job: state, attempts, times, payload");
    sub->add_option("ID", cmd->id, "The job id")->required();
    sub->add_flag("--follow,-f", cmd->follow,
                  "Then print its events as they happen until it finishes; exit 0 when it "
                  "completes, 1 when it is dead or cancelled");
    add_connection_options(sub, cmd->connection);
    sub->footer(
        example("  spool job 01JD5Z8Q3N4M6P7R8S9T0V1W2X\n"
                "  spool job 01JD5Z8Q3N4M6P7R8S9T0V1W2X --follow && echo sent"));
    sub->callback([cmd] { run_job(*cmd); });
  }
  {
    auto cmd = make_storage<JobsCommand>();
    CLI::App* sub = app.add_subcommand("jobs", "List jobs, newest first, with filters");
    sub->add_option("--state,-s", cmd->filter.state,
                    "scheduled, queued, active, retrying, completed, dead or cancelled");
    sub->add_option("--type,-t", cmd->filter.type, "Only this job type");
    sub->add_option("--queue,-q", cmd->filter.queue, "Only this queue");
    sub->add_option("--tag", cmd->filter.tags,
                    "Only jobs with this tag (repeat it: jobs with all of them)");
    sub->add_option("--limit,-n", cmd->filter.limit, "At most this many (1..500, default 50)");
    sub->add_option("--order", cmd->filter.order, "desc (newest first, default) or asc");
    sub->add_option("--cursor", cmd->filter.cursor, "Continue from a previous page");
    add_connection_options(sub, cmd->connection);
    sub->footer(
        example("  spool jobs --state dead --queue emails --limit 20\n"
                "  spool jobs watch --queue emails"));
    auto watch_cmd = make_storage<WatchCommand>();
    CLI::App* watch = sub->add_subcommand(
        "watch", "Print job events as they happen (GET /v1/events), one line each");
    watch->add_option("--queue,-q", watch_cmd->queue, "Only this queue");
    watch->add_option("--type,-t", watch_cmd->type, "Only this job type");
    add_connection_options(watch, watch_cmd->connection);
    watch->footer(
        example("  spool jobs watch --queue emails\n"
                "  spool jobs watch --type send_email --json | jq -c 'select(.event == \"dead\")'\n"
                "Reconnects by itself and resumes where it stopped; Ctrl-C ends it."));
    watch->callback([watch_cmd] { run_watch(*watch_cmd); });
    sub->callback([cmd, watch] {
      if (!watch->parsed()) run_jobs(*cmd);
    });
  }
  {
    auto cmd = make_storage<JobCommand>();
    CLI::App* sub = app.add_subcommand("cancel", "Cancel a job that has not started");
    sub->add_option("ID", cmd->id, "The job id")->required();
    add_connection_options(sub, cmd->connection);
    sub->footer(example("  spool cancel 01JD5Z8Q3N4M6P7R8S9T0V1W2X"));
    sub->callback([cmd] { run_cancel(*cmd); });
  }
  {
    auto cmd = make_storage<RetryCommand>();
    CLI::App* sub =
        app.add_subcommand("retry", "Run a dead or cancelled job again, or all dead jobs");
    sub->add_option("ID", cmd->id, "The job id");
    sub->add_flag("--dead", cmd->dead, "Retry every dead job (of --queue, or of every queue)");
    sub->add_option("--queue,-q", cmd->queue, "With --dead: only this queue");
    sub->add_option("--type,-t", cmd->type, "With --dead: only this job type");
    add_connection_options(sub, cmd->connection);
    sub->footer(
        example("  spool retry 01JD5Z8Q3N4M6P7R8S9T0V1W2X\n"
                "  spool retry --dead --queue emails --type send_release_email"));
    sub->callback([cmd] { run_retry(*cmd); });
  }
  {
    auto cmd = make_storage<ConnectionOptions>();
    CLI::App* sub = app.add_subcommand("stats", "Job counts per queue and state");
    add_connection_options(sub, *cmd);
    sub->footer(example("  spool stats --url http://jobs.internal:7070"));
    sub->callback([cmd] { run_stats(*cmd); });
  }
  {
    auto cmd = make_storage<ConnectionOptions>();
    CLI::App* sub = app.add_subcommand("queues", "Queues: paused or not, counts, config");
    add_connection_options(sub, *cmd);
    sub->footer(example("  spool queues --json | jq '.queues[] | select(.paused)'"));
    sub->callback([cmd] { run_queues(*cmd); });
  }
  for (bool pause : {true, false}) {
    auto cmd = make_storage<QueueCommand>();
    CLI::App* sub = pause ? app.add_subcommand("pause",
                                               "Stop handing out a queue's jobs "
                                               "(it still accepts new ones)")
                          : app.add_subcommand("resume", "Hand out a paused queue's jobs again");
    sub->add_option("QUEUE", cmd->queue, "The queue name")->required();
    add_connection_options(sub, cmd->connection);
    sub->footer(example(pause ? "  spool pause emails" : "  spool resume emails"));
    sub->callback([cmd, pause] { run_pause(*cmd, pause); });
  }
}

}  // namespace spool::cli
