// Runs a shell command from a black-box test and keeps what it printed: for tests that drive the
// `spool` CLI (or another tool) as a person would. Bound the command itself (`timeout 20 ...`):
// this waits for it to end.
#pragma once

#include <string>

namespace spool::testing {

// Runs `cmd` with /bin/sh; its stdout goes to `out`. Answers the exit code, or -1 when it did not
// exit normally (killed by a signal, or could not be started).
int run_command(const std::string& cmd, std::string* out);

}  // namespace spool::testing
