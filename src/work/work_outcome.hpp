// The exit-code contract of `spool work --exec`: how the end of one program run becomes the job's
// outcome. Kept apart from the worker so it reads as the table it is, and is tested as one.
//
//   exit 0                      ack; stdout is the result: JSON if it parses, else a string
//   exit 75 (EX_TEMPFAIL)       retry (spend the attempt, back off)
//   exit 65 (EX_DATAERR), 64    permanent: straight to dead
//   any other exit, a signal,   retry
//   a timeout, not started
//
// A failure's message is what happened ("exit 3", "killed by SIGSEGV", "timed out after 60 s")
// then ": " and the tail of stderr. The result: stdout without surrounding whitespace; nothing
// (no result) when that is empty; past ProcessSpec::output_limit (64 KiB) it is not parsed and the
// result is the first 64 KiB as a string. Text that is not UTF-8 is repaired with U+FFFD so the
// server's strict JSON parser takes it.
//
// To change the contract: change judge(), its table here, `spool work --help` (work_command.cpp)
// and docs/cli.md together; scripts in the wild depend on these numbers.
//
// Pure functions on values; safe from any thread.
#pragma once

#include <boost/json/value.hpp>
#include <optional>
#include <string>

#include "process_runner.hpp"

namespace spool::work {

inline constexpr int kExitUsageError = 64;  // EX_USAGE
inline constexpr int kExitDataError = 65;   // EX_DATAERR
inline constexpr int kExitTempFail = 75;    // EX_TEMPFAIL

struct JobVerdict {
  enum class Kind { kAck, kRetry, kPermanent };
  Kind kind = Kind::kRetry;
  std::optional<boost::json::value> result;  // kAck: the result; nullopt when stdout was empty
  std::string message;                       // kRetry, kPermanent: the error message
  std::string note;  // for the log: "stdout was 70000 bytes; the result is its first 65536 ..."
};

JobVerdict judge(const ProcessOutcome& outcome);

}  // namespace spool::work
