// UTF-8 well-formedness (RFC 3629: no overlong forms, no surrogates, nothing past U+10FFFF),
// for text that must be UTF-8 before it goes on: JSON strings we write, TOML files we read.
// Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace spool {

// The length (1 to 4) of the well-formed UTF-8 sequence at the start of `s`, or 0 when there is
// none (an ill-formed or cut-short sequence, or `s` empty).
std::size_t utf8_sequence_length(std::string_view s);

// The offset of the first byte of `s` that does not start a well-formed sequence, or nullopt when
// all of `s` is UTF-8.
std::optional<std::size_t> first_invalid_utf8(std::string_view s);

}  // namespace spool
