// Placeholder until this verb lands.
#include "cli/commands.hpp"

namespace spool::cli {
void add_client_commands(CLI::App&) {}
}  // namespace spool::cli
