// Durations as people type them on the command line ("500ms", "10s", "5m", "2h", "1d") turned
// into the API's integer milliseconds, and back into a short form for display.
// Pure functions on values; safe from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.hpp"

namespace spool::cli {

// Parses one number (digits, optionally with a fraction: "1.5h") followed by exactly one unit:
// ms, s, m, h or d. A bare number is refused rather than guessed at, because "10" could mean
// seconds or milliseconds and a wrong guess is off by a factor of a thousand. Negative values and
// results past one year are refused. Errors are kInvalidArgument and quote the input.
StatusOr<std::int64_t> parse_duration_ms(std::string_view text);

// The inverse for display: 1500 -> "1.5s", 300000 -> "5m", 0 -> "0ms". Picks the largest unit
// that shows the value exactly with at most one decimal; otherwise falls back to milliseconds.
std::string format_duration_ms(std::int64_t ms);

}  // namespace spool::cli
