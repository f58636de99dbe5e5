// The `spool` command: parses the verb and hands over to it.
//
// Exit codes (exit.hpp): 0 ok, 1 the server or store refused, 2 bad usage, 3 could not
// connect. A verb that fails has already printed its message and throws CLI::RuntimeError(code);
// CLI11's own parse errors (unknown option, missing argument) are bad usage and exit 2, whatever
// number CLI11 gives them internally, so scripts can rely on the table above.
#include <CLI/CLI.hpp>
#include <exception>
#include <iostream>
#include <string>

#include "cli/commands.hpp"

namespace {

// "spool: the following argument was expected: ID" plus where to read more, naming the verb
// that was being parsed so its --help (with an example) is one copy-paste away.
std::string failure_message(const CLI::App* app, const CLI::Error& e) {
  std::string verb;
  for (const CLI::App* sub : app->get_subcommands()) verb = " " + sub->get_name();
  return "spool: " + std::string(e.what()) + "\nRun `spool" + verb + " --help` for usage.\n";
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Spool: a background job server, and the client to drive it."};
  app.name("spool");
  app.require_subcommand(1);
  app.failure_message(failure_message);
  app.footer(
      "Each verb has --help with an example, e.g. `spool enqueue --help`.\n"
      "\n"
      "Client verbs talk to the server at --url (env SPOOL_URL, default http://127.0.0.1:7070)\n"
      "with --token (env SPOOL_TOKEN); --json prints the server's answer as-is for scripts.\n"
      "\n"
      "Exit codes: 0 ok, 1 the server or store refused, 2 bad usage, 3 could not connect.\n"
      "Docs: docs/cli.md");
  spool::cli::add_serve_command(app);
  spool::cli::add_client_commands(app);
  spool::cli::add_backup_command(app);
  spool::cli::add_bench_command(app);
  spool::cli::add_work_command(app);
  spool::cli::add_schedule_commands(app);
  spool::cli::add_verify_webhook_command(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::RuntimeError& e) {
    return e.get_exit_code();  // the verb printed its own message
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);  // prints help, or the failure message
    return code == static_cast<int>(CLI::ExitCodes::Success) ? 0 : 2;
  } catch (const std::exception& e) {
    // Not expected: the verbs turn what they foresee into messages. Still a message, not abort().
    std::cerr << "spool: unexpected error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
