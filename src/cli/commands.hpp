// The `spool` command's verbs. Each add_* registers its subcommands on the app; a verb that fails
// ends through fail() (exit.hpp), which prints a message for a person and throws
// CLI::RuntimeError with one of the exit codes listed there.
#pragma once

namespace CLI {
class App;
}

namespace spool::cli {

void add_serve_command(CLI::App& app);           // serve.cpp
void add_client_commands(CLI::App& app);         // client_commands.cpp: enqueue, job, jobs, ...
void add_backup_command(CLI::App& app);          // backup.cpp
void add_bench_command(CLI::App& app);           // bench.cpp
void add_work_command(CLI::App& app);            // work_command.cpp
void add_schedule_commands(CLI::App& app);       // schedule_commands.cpp: schedules list|add|...
void add_verify_webhook_command(CLI::App& app);  // verify_webhook.cpp

}  // namespace spool::cli
