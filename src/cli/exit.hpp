// How a verb of `spool` ends when it fails: the exit codes scripts rely on, and fail(), which
// prints the message for a person and leaves with one of them.
//
// The codes (also in `spool --help` and docs/cli.md; scripts in the wild depend on them):
//   0 ok, 1 the server or store refused, 2 bad usage, 3 could not connect.
// A verb that fails throws CLI::RuntimeError(code); main() turns that into the process exit code
// without printing anything more. Single-threaded, like the rest of the CLI.
#pragma once

#include <CLI/CLI.hpp>
#include <iostream>
#include <string>
#include <string_view>

namespace spool::cli {

// Refused: the server answered 4xx/5xx, the store failed, or (verify-webhook) the signature is bad.
inline constexpr int kExitRefused = 1;
inline constexpr int kExitUsage = 2;        // the command line or the config is wrong
inline constexpr int kExitUnreachable = 3;  // no server answered at the address

// Prints "<who>: <message>" to stderr and leaves with `code`. `who` is "spool" for most verbs;
// `spool serve` and `spool verify-webhook` name themselves. Whatever the verb printed to stdout
// is flushed first, so a script reading both streams sees them in order.
[[noreturn]] inline void fail(int code, std::string_view message, std::string_view who = "spool") {
  std::cout.flush();
  std::cerr << who << ": " << message << "\n";
  throw CLI::RuntimeError(code);
}

}  // namespace spool::cli
