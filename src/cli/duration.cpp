#include "cli/duration.hpp"

#include <array>
#include <cmath>
#include <string>

namespace spool::cli {
namespace {

struct Unit {
  std::string_view suffix;
  std::int64_t ms;
};

// "ms" must be tried before "m" and "s" so that "500ms" is not read as 500m + "s".
constexpr std::array<Unit, 5> kUnits{{
    {"ms", 1},
    {"s", 1'000},
    {"m", 60'000},
    {"h", 3'600'000},
    {"d", 86'400'000},
}};

// A year is far past any delay, lease or window the API accepts; refusing more keeps the
// arithmetic clear of overflow and catches a slip like "10000000d".
constexpr std::int64_t kMaxDurationMs = 366LL * 86'400'000;

constexpr std::string_view kAllowed = "use a number and a unit: 500ms, 10s, 5m, 2h or 1d";

std::string quoted(std::string_view text) { return "\"" + std::string(text) + "\""; }

}  // namespace

StatusOr<std::int64_t> parse_duration_ms(std::string_view text) {
  if (text.empty()) return invalid("", "a duration cannot be empty; " + std::string(kAllowed));
  if (text.front() == '-') {
    return invalid("", "a duration cannot be negative, got " + quoted(text));
  }

  std::size_t digits_end = 0;
  bool seen_dot = false;
  while (digits_end < text.size()) {
    char c = text[digits_end];
    if (c >= '0' && c <= '9') {
      ++digits_end;
    } else if (c == '.' && !seen_dot) {
      seen_dot = true;
      ++digits_end;
    } else {
      break;
    }
  }
  std::string_view number = text.substr(0, digits_end);
  std::string_view suffix = text.substr(digits_end);
  if (number.empty() || number == ".") {
    return invalid("", "cannot read " + quoted(text) + " as a duration; " + std::string(kAllowed));
  }
  if (suffix.empty()) {
    return invalid("", "the duration " + quoted(text) + " has no unit; " + std::string(kAllowed));
  }

  const Unit* unit = nullptr;
  for (const Unit& u : kUnits) {
    if (suffix == u.suffix) {
      unit = &u;
      break;
    }
  }
  if (unit == nullptr) {
    return invalid("", "unknown unit \"" + std::string(suffix) + "\" in " + quoted(text) + "; " +
                           std::string(kAllowed));
  }

  // Digits-only input is converted exactly; a fraction goes through double, and the result must
  // be a whole number of milliseconds so "1.5ms" is refused rather than silently rounded.
  double value = 0;
  if (!seen_dot) {
    std::int64_t whole = 0;
    for (char c : number) {
      whole = whole * 10 + (c - '0');
      if (whole > kMaxDurationMs) {
        return invalid("", "the duration " + quoted(text) + " is longer than a year");
      }
    }
    value = static_cast<double>(whole);
  } else {
    value = std::stod(std::string(number));
  }
  double ms = value * static_cast<double>(unit->ms);
  if (ms > static_cast<double>(kMaxDurationMs)) {
    return invalid("", "the duration " + quoted(text) + " is longer than a year");
  }
  double rounded = std::round(ms);
  if (std::fabs(ms - rounded) > 1e-6) {
    return invalid("", "the duration " + quoted(text) +
                           " is not a whole number of milliseconds; the API counts in ms");
  }
  return static_cast<std::int64_t>(rounded);
}

std::string format_duration_ms(std::int64_t ms) {
  if (ms < 0) return "-" + format_duration_ms(-ms);
  for (auto it = kUnits.rbegin(); it != kUnits.rend(); ++it) {
    if (it->ms == 1) break;
    if (ms < it->ms) continue;
    if (ms % it->ms == 0) return std::to_string(ms / it->ms) + std::string(it->suffix);
    std::int64_t tenth = it->ms / 10;
    if (ms % tenth == 0) {
      std::int64_t tenths = ms / tenth;
      return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10) +
             std::string(it->suffix);
    }
  }
  return std::to_string(ms) + "ms";
}

}  // namespace spool::cli
