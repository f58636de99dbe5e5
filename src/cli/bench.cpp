// Placeholder until this verb lands.
#include "cli/commands.hpp"

namespace spool::cli {
void add_bench_command(CLI::App&) {}
}  // namespace spool::cli
