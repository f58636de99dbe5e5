// `spool work`: the command line. Parses and checks the options into work::WorkSettings and
// hands over to work::run_work() (src/work/, on the public client library only).
// Single-threaded.
#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>

#include "cli/commands.hpp"
#include "cli/duration.hpp"
#include "cli/exit.hpp"
#include "core/names.hpp"
#include "work/process_runner.hpp"
#include "work/work.hpp"

namespace spool::cli {
namespace {

struct WorkCommand {
  std::string url = "http://127.0.0.1:7070";
  std::string token;
  std::vector<std::string> queues;
  std::string program;
  std::vector<std::string> args;
  int concurrency = 5;
  int prefetch = 0;
  std::string timeout = "30m";
  std::string kill_grace = "10s";
  std::string shutdown_grace = "30s";
  std::string lease;
  std::string name;
  bool quiet = false;
};

std::chrono::milliseconds duration_option(const std::string& option, const std::string& text,
                                          std::int64_t min_ms, std::int64_t max_ms) {
  auto ms = parse_duration_ms(text);
  if (!ms) fail(kExitUsage, option + ": " + ms.error().message());
  if (*ms < min_ms || *ms > max_ms) {
    fail(kExitUsage, option + " must be between " + format_duration_ms(min_ms) + " and " +
                         format_duration_ms(max_ms) + ", got " + text);
  }
  return std::chrono::milliseconds(*ms);
}

work::WorkSettings check(const WorkCommand& cmd) {
  work::WorkSettings settings;
  settings.url = cmd.url;
  settings.token = cmd.token;
  if (cmd.queues.empty() || cmd.queues.size() > 32) {
    fail(kExitUsage, "give 1 to 32 queues with --queue, got " + std::to_string(cmd.queues.size()));
  }
  for (const std::string& queue : cmd.queues) {
    if (!is_valid_name(queue)) {
      fail(kExitUsage,
           "--queue \"" + queue + "\" is not a queue name: use " + std::string(kNameRule));
    }
  }
  settings.queues = cmd.queues;

  std::string why;
  std::optional<std::string> program = work::find_program(cmd.program, &why);
  if (!program) {
    std::string hint;
    if (cmd.program.find(' ') != std::string::npos) {
      // `--exec "./send.sh --fast"` is a natural mistake: no shell splits it.
      hint =
          ". --exec takes one program, run without a shell; put its arguments after `--`: "
          "spool work --queue Q --exec ./send.sh -- --fast";
    }
    fail(kExitUsage, "--exec: cannot run " + cmd.program + ": " + why + hint);
  }
  // Run it by the name the user gave when it has a '/': a relative path stays relative to the
  // directory `spool work` runs in, as the user wrote it.
  settings.argv.push_back(cmd.program.find('/') != std::string::npos ? cmd.program : *program);
  settings.argv.insert(settings.argv.end(), cmd.args.begin(), cmd.args.end());

  if (cmd.concurrency < 1 || cmd.concurrency > 1000) {
    fail(kExitUsage,
         "--concurrency must be between 1 and 1000, got " + std::to_string(cmd.concurrency));
  }
  settings.concurrency = cmd.concurrency;
  if (cmd.prefetch < 0 || cmd.prefetch > 1000) {
    fail(kExitUsage, "--prefetch must be between 0 and 1000, got " + std::to_string(cmd.prefetch));
  }
  settings.prefetch = cmd.prefetch;
  constexpr std::int64_t kDay = 86'400'000;
  settings.timeout = duration_option("--timeout", cmd.timeout, 0, 365 * kDay);
  settings.kill_grace = duration_option("--kill-grace", cmd.kill_grace, 0, kDay);
  settings.shutdown_grace = duration_option("--shutdown-grace", cmd.shutdown_grace, 0, kDay);
  if (!cmd.lease.empty()) settings.lease = duration_option("--lease", cmd.lease, 100, kDay);
  settings.name = cmd.name;
  settings.quiet = cmd.quiet;
  return settings;
}

constexpr const char* kFooter = R"(The program runs once per job, without a shell:
  stdin        the job's payload as JSON
  environment  SPOOL_JOB_ID, SPOOL_JOB_TYPE, SPOOL_QUEUE, SPOOL_ATTEMPT (1 on the first run),
               SPOOL_MAX_ATTEMPTS, on top of spool work's own environment
  stderr       copied to spool work's log (unless --quiet); its last 4 KiB become the error
               message when the job fails

Exit codes of the program:
  0            done: the job is acked; stdout is its result, JSON if it parses, else a string
               (no result when empty; past 64 KiB, the first 64 KiB as a string)
  75           EX_TEMPFAIL: retry later (spends an attempt, backs off)
  65, 64       EX_DATAERR, EX_USAGE: fail permanently (the job goes to dead)
  other        retry, as do death by a signal and running past --timeout (SIGTERM, then
               SIGKILL after --kill-grace); the message says which: "exit 3: <stderr>",
               "killed by SIGSEGV", "timed out after 60 s"

Leases are renewed while the program runs. SIGTERM or SIGINT: stop taking jobs, hand back the
ones not started, let running programs finish for --shutdown-grace, then SIGTERM them (their
jobs go back to the queue without spending an attempt) and exit 0. A second signal cuts the
grace short. Each program runs in its own process group: a signal for a job reaches what it
started too, and a Ctrl-C at the terminal reaches only spool work.

Example:
  spool work --queue emails --exec ./send_email.sh --concurrency 5 --timeout 60s
  spool work -q webhooks -q emails --exec python3 -- worker.py --verbose

Exit codes of spool work: 0 after a shutdown, 2 bad usage (e.g. no such program).
Docs: docs/cli.md, examples/shell/)";

}  // namespace

void add_work_command(CLI::App& app) {
  auto cmd = std::make_shared<WorkCommand>();
  CLI::App* sub = app.add_subcommand("work", "Run a program once per job of some queues");
  sub->add_option("--queue,-q", cmd->queues, "A queue to take jobs from; repeat for more")
      ->required()
      ->allow_extra_args(false);
  sub->add_option("--exec,-e", cmd->program,
                  "The program to run per job: a path, or a name found in PATH")
      ->required();
  sub->add_option("ARGS", cmd->args, "Arguments for the program, after `--`");
  sub->add_option("--concurrency,-c", cmd->concurrency, "Programs running at once, 1..1000")
      ->capture_default_str();
  sub->add_option("--timeout", cmd->timeout,
                  "Stop a program running longer than this (SIGTERM); 0s: no limit")
      ->capture_default_str();
  sub->add_option("--kill-grace", cmd->kill_grace, "After SIGTERM, wait this long before SIGKILL")
      ->capture_default_str();
  sub->add_option("--shutdown-grace", cmd->shutdown_grace,
                  "On SIGTERM/SIGINT, how long running programs may finish")
      ->capture_default_str();
  sub->add_option("--lease", cmd->lease,
                  "Lease asked for each job, e.g. 30s (default: the job's own); renewed at half");
  sub->add_option("--prefetch", cmd->prefetch,
                  "Jobs reserved ahead of free slots, 0..1000, for short jobs")
      ->capture_default_str();
  sub->add_option("--name", cmd->name, "Worker name shown on active jobs (default host:pid)");
  sub->add_flag("--quiet", cmd->quiet,
                "Log only failures and worker events; do not copy the programs' stderr");
  sub->add_option("--url", cmd->url, "The server's address")
      ->envname("SPOOL_URL")
      ->capture_default_str();
  sub->add_option("--token", cmd->token, "Bearer token (worker role); never shown")
      ->envname("SPOOL_TOKEN");
  sub->footer(kFooter);
  sub->callback([cmd] {
    work::WorkSettings settings = check(*cmd);
    int code = work::run_work(settings);
    if (code != 0) throw CLI::RuntimeError(code);
  });
}

}  // namespace spool::cli
