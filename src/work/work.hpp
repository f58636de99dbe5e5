// `spool work`: a spool::Worker whose handler runs a program once per job. What it does is
// described in `spool work --help` and docs/cli.md; the exit-code contract is work_outcome.hpp.
//
// The runtime (this module, src/work/) is built on the public client library alone, like any
// program a user would write; the command line that fills WorkSettings (CLI11, the CLI's
// duration parser and name rules) is cli/work_command.cpp.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace spool::work {

struct WorkSettings {
  std::string url;
  std::string token;
  std::vector<std::string> queues;
  std::vector<std::string> argv;  // the program (resolved to a path) and its arguments
  int concurrency = 5;
  int prefetch = 0;
  std::chrono::milliseconds timeout{0};  // zero: no limit
  std::chrono::milliseconds kill_grace{10'000};
  std::chrono::milliseconds shutdown_grace{30'000};
  std::optional<std::chrono::milliseconds> lease;
  std::string name;
  bool quiet = false;  // no line per completed job, and the program's stderr is not copied
};

// Works until SIGTERM or SIGINT, then shuts down gracefully. Returns the process exit code:
// 0 after a shutdown, 2 when the worker refused the settings.
int run_work(const WorkSettings& settings);

}  // namespace spool::work
