// Finding the exact bytes of JSON values in a request body, so payload, result and progress are
// stored as the client wrote them (API.md: "the JSON that was given"). A DOM round trip is not
// faithful: Boost.JSON writes 10.5 as 1.05E1 and turns integers past 64 bits into doubles, and a
// payment amount or an id that loses digits is data loss.
//
// REQUIRES: the text was already parsed successfully as JSON (JsonDocument::parse_object): these
// functions only skip over values, they do not validate. Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

namespace spool::http {

// The raw text of each element of the JSON array at the start of `array_text` (leading
// whitespace allowed), in order.
std::vector<std::string_view> raw_elements(std::string_view array_text);

// The raw text of member `key` of the JSON object at the start of `object_text`. With duplicate
// keys the last one counts, as in the parsed document.
std::optional<std::string_view> raw_member(std::string_view object_text, std::string_view key);

}  // namespace spool::http
