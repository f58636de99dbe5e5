// The `spool` command: parses the verb and hands over to it.
#include <CLI/CLI.hpp>

#include "cli/commands.hpp"

int main(int argc, char** argv) {
  CLI::App app{"Spool: a background job server. Run `spool <verb> --help` for each verb."};
  app.require_subcommand(1);
  spool::cli::add_serve_command(app);
  spool::cli::add_client_commands(app);
  spool::cli::add_backup_command(app);
  spool::cli::add_bench_command(app);
  CLI11_PARSE(app, argc, argv);
  return 0;
}
