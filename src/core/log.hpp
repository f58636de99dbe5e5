// Helpers for the server's `key=value` log lines (one line per event; see cli/log_format.hpp for
// the JSON rendering). Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace spool {

// A log value in double quotes, with `"` and `\` escaped and control characters (newlines) as
// \n, \t or \u00XX, so a message never splits the line and the JSON formatter reads it back.
std::string log_quote(std::string_view value);

}  // namespace spool
