// How the CLI prints for people: aligned tables, indented JSON, colour only when it helps.
// Scripts use --json and never see this formatting. Values and pure functions; safe from any
// thread (Style is decided once per process by Style::for_stdout()).
#pragma once

#include <boost/json/value.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"

namespace spool::cli {

enum class Colour { kNone, kDim, kBold, kRed, kGreen, kYellow, kBlue, kMagenta, kCyan };

// Whether to emit ANSI colour. On only for a terminal, and off whenever NO_COLOR is set
// (https://no-color.org) or TERM is "dumb", so pipes and log files stay plain text.
struct Style {
  bool colour = false;

  static Style for_stdout();
  std::string paint(std::string_view text, Colour colour) const;
};

// The colour a job state is shown in, the same everywhere: red for dead, green for completed...
Colour state_colour(std::string_view state);

// Width as the terminal shows it: counts UTF-8 code points, not bytes (wide CJK characters are
// not special-cased; job types and queues are ASCII by the name rule).
std::size_t display_width(std::string_view text);

// Cuts to at most `width` code points, ending in "…" when something was cut. Newlines and tabs
// become spaces so one error message cannot break a table row.
std::string shorten(std::string_view text, std::size_t width);

// A table with a header row. Columns are as wide as their widest cell; numeric columns are
// right-aligned. Colour is applied after padding so escape codes never disturb alignment.
class Table {
 public:
  struct Column {
    std::string header;
    bool right_align = false;
  };
  struct Cell {
    std::string text;
    Colour colour = Colour::kNone;
    Cell(std::string t, Colour c = Colour::kNone) : text(std::move(t)), colour(c) {}  // NOLINT
    Cell(const char* t, Colour c = Colour::kNone) : text(t), colour(c) {}             // NOLINT
  };

  explicit Table(std::vector<Column> columns) : columns_(std::move(columns)) {}
  // REQUIRES: cells.size() == number of columns.
  void add_row(std::vector<Cell> cells);
  bool empty() const { return rows_.empty(); }
  // Two spaces between columns, no trailing spaces, one '\n' per line.
  std::string render(const Style& style) const;

 private:
  std::vector<Column> columns_;
  std::vector<std::vector<Cell>> rows_;
};

// JSON indented by two spaces per level, keys in the order given. Boost.JSON 1.81 has no pretty
// printer; this keeps payloads readable without re-ordering what the producer sent.
std::string pretty_json(const boost::json::value& value, int indent = 0);

// "2026-11-25T02:34:49.123Z" as "2026-11-25 02:34:49" for tables; anything unparseable is shown
// as given. Times stay UTC, the API's only zone, so they match the server's logs.
std::string short_time(std::string_view rfc3339);
// "3m ago" / "in 2h" relative to `now`, or empty when `rfc3339` does not parse.
std::string relative_time(std::string_view rfc3339, TimeMs now);

// Helpers to read the server's JSON without throwing: a missing or mistyped field reads as
// empty/zero, because a display should show what it can rather than fail on a newer server.
std::string json_string(const boost::json::value& object, std::string_view key);
std::int64_t json_int(const boost::json::value& object, std::string_view key);
const boost::json::value* json_find(const boost::json::value& object, std::string_view key);

}  // namespace spool::cli
