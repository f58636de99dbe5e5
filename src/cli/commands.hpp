// The `spool` command's verbs. Each add_* registers its subcommands on the app; a verb that fails
// prints a message for a person to stderr and throws CLI::RuntimeError(exit_code).
// Exit codes: 0 ok, 1 the server or store refused (4xx/5xx), 2 bad usage, 3 could not connect.
#pragma once

namespace CLI {
class App;
}

namespace spool::cli {

void add_serve_command(CLI::App& app);      // serve.cpp
void add_client_commands(CLI::App& app);    // client_commands.cpp: enqueue, job, jobs, ...
void add_backup_command(CLI::App& app);     // backup.cpp
void add_bench_command(CLI::App& app);      // bench.cpp
void add_work_command(CLI::App& app);       // work_command.cpp
void add_schedule_commands(CLI::App& app);  // schedule_commands.cpp: schedules list|add|...

}  // namespace spool::cli
