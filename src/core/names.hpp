// Name rules for job types and queues: [A-Za-z0-9_.:-]{1,128} (API.md "Names").
#pragma once

#include <string_view>

namespace spool {

inline constexpr std::size_t kMaxNameLength = 128;
bool is_valid_name(std::string_view name);
inline constexpr std::string_view kNameRule = "1 to 128 characters from A-Z a-z 0-9 _ . : -";

}  // namespace spool
