// RFC 3339 UTC timestamps with milliseconds ("2026-11-25T02:34:49.123Z"), the API's only format.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/clock.hpp"

namespace spool {

std::string format_rfc3339(TimeMs t);
// Accepts "Z" or a numeric offset ("+01:00"), with or without fractional seconds.
std::optional<TimeMs> parse_rfc3339(std::string_view text);

}  // namespace spool
