// Runs one program to its end, the way `spool work --exec` runs one per job: input written to its
// stdin, stdout and stderr read at the same time (so a chatty program cannot stall on a full
// pipe), a timeout and a stop request that end it with SIGTERM and then SIGKILL, and nothing left
// behind: the child is always reaped, and it inherits no descriptor but its three pipes.
//
// The child runs in a process group of its own (its pid is the group id), so a signal reaches the
// processes it started too, and a Ctrl-C at the terminal reaches only `spool work`, which decides
// what happens to running jobs. When the program itself exits, whatever it left running in its
// group gets SIGTERM (SIGKILL after the grace if it still holds the output pipes open): a job's
// processes do not outlive the job.
//
// The child gets the default signal dispositions and an empty signal mask whatever the caller
// has, and the caller's environment plus ProcessSpec::env.
//
// Threading: run_process() blocks its calling thread until the child is reaped; any number of
// threads may run processes at once. It neither needs nor changes process-wide state (SIGPIPE is
// blocked only on the calling thread, around writes to the child's stdin). ProcessSpec::on_stderr
// runs on the calling thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace spool::work {

struct ProcessSpec {
  // argv[0] is the program: a path when it has a '/', else a name looked up in PATH. No shell.
  std::vector<std::string> argv;
  // Set in the child's environment, replacing inherited variables of the same name.
  std::vector<std::pair<std::string, std::string>> env;
  std::string input;  // written to stdin, which is then closed
  // The program gets SIGTERM after this long, then SIGKILL after kill_grace. Zero: no limit.
  std::chrono::milliseconds timeout{0};
  std::chrono::milliseconds kill_grace{5'000};
  std::size_t output_limit = 64 * 1024;     // stdout bytes kept; the rest is read and counted
  std::size_t error_tail_limit = 4 * 1024;  // the last stderr bytes kept
  // Called with each piece of stderr as it is read (not split at lines), e.g. to log it.
  std::function<void(std::string_view)> on_stderr;
};

enum class ProcessEnd {
  kExited,      // exit_code says how
  kSignaled,    // a signal ended it (not one of ours)
  kTimedOut,    // ran past the timeout; we ended it
  kStopped,     // the stop_token was requested; we ended it
  kNotStarted,  // start_error says why
};

struct ProcessOutcome {
  ProcessEnd end = ProcessEnd::kNotStarted;
  int exit_code = -1;  // when it exited (also after our SIGTERM), else -1
  int signal = 0;      // the signal that ended it, else 0
  bool core_dumped = false;
  std::string output;                    // stdout: the first output_limit bytes
  std::uint64_t output_bytes = 0;        // stdout: how many bytes the program wrote in all
  std::string error_tail;                // stderr: the last error_tail_limit bytes
  std::uint64_t error_bytes = 0;         // stderr: how many bytes in all
  std::string start_error;               // kNotStarted: "cannot run ./x.sh: Permission denied"
  std::chrono::nanoseconds took{0};      // from start to reaped
  std::chrono::milliseconds timeout{0};  // the spec's, for describe()

  bool output_truncated() const { return output_bytes > output.size(); }
};

// Starts the program and waits for it to end. Requesting `stop` ends it like a timeout would
// (SIGTERM to its group, SIGKILL after kill_grace) and the outcome says kStopped.
// REQUIRES: !spec.argv.empty().
ProcessOutcome run_process(const ProcessSpec& spec, std::stop_token stop = {});

// What happened, for a person: "exit 0", "exit 3", "killed by SIGSEGV (core dumped)",
// "timed out after 60 s", "timed out after 1.5 s, killed by SIGKILL after the grace",
// "stopped", "cannot run ./x.sh: No such file or directory".
std::string describe(const ProcessOutcome& outcome);

// "SIGSEGV", or "signal 40" for one without a name.
std::string signal_name(int signo);

// "60 s", "1.5 s", "250 ms".
std::string format_seconds(std::chrono::milliseconds duration);

// `text` with every byte that is not part of valid UTF-8 replaced by U+FFFD, so it can go into
// JSON that a strict parser accepts.
std::string sanitize_utf8(std::string_view text);

// Where `program` would be run from: itself when it has a '/', else the first match in PATH.
// nullopt (with *why set) when there is no such executable file.
std::optional<std::string> find_program(const std::string& program, std::string* why);

}  // namespace spool::work
