// What every fuzz target shares: FUZZ_CHECK, which names the broken invariant on stderr and
// traps (libFuzzer then saves the input), and a check that a text is one valid JSON value, which
// is what every body the server answers must be. Header-only; each target is one process on
// one thread.
#pragma once

#include <boost/json/parse.hpp>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <system_error>

#define FUZZ_CHECK(cond, what)                                                                 \
  do {                                                                                         \
    if (!(cond)) {                                                                             \
      std::fprintf(stderr, "fuzz invariant broken at %s:%d: %s\n  (%s)\n", __FILE__, __LINE__, \
                   what, #cond);                                                               \
      __builtin_trap();                                                                        \
    }                                                                                          \
  } while (0)

namespace spool::fuzz {

// True when `text` is exactly one JSON value in valid UTF-8 (Boost.JSON's default parser).
inline bool is_valid_json(std::string_view text) {
  boost::json::error_code ec;
  (void)boost::json::parse(text, ec);
  return !ec;
}

}  // namespace spool::fuzz
