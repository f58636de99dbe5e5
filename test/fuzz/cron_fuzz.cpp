// libFuzzer target: CronExpression::parse on arbitrary bytes, and next_after on whatever parses,
// in zones with ordinary, half-hour and whole-day transitions. Traps when an invariant breaks:
// every rejection has a message, and a fire is a whole second strictly after `after` with no
// other fire between (asking again from just before it gives it back). Build: CMakeLists.txt.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "core/cron.hpp"
#include "core/time_zone.hpp"

namespace {

spool::TimeZone zone(std::string_view name) {
  spool::StatusOr<spool::TimeZone> found = spool::TimeZone::find(name);
  if (!found) __builtin_trap();
  return *found;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const spool::StatusOr<spool::CronExpression> cron = spool::CronExpression::parse(text);
  if (!cron) {
    if (cron.error().message().empty() || cron.error().field() != "cron") __builtin_trap();
    return 0;
  }
  if (cron->text() != text) __builtin_trap();
  static const spool::TimeZone zones[] = {spool::TimeZone::utc(), zone("America/New_York"),
                                          zone("Europe/Berlin"), zone("Australia/Lord_Howe"),
                                          zone("Pacific/Apia")};
  static constexpr spool::TimeMs afters[] = {
      0,
      1'772'953'199'500,  // 2026-03-08T06:59:59.500Z, just before New York springs forward
      1'793'510'400'000,  // 2026-11-01T05:20:00Z, in New York's first pass through 01:00-01:59
      1'793'514'000'000,  // 2026-11-01T06:20:00Z, in its second pass
      1'325'239'200'000,  // 2011-12-30T10:00:00Z, where Samoa skipped a day
      -1'000,
  };
  for (const spool::TimeZone& z : zones) {
    for (const spool::TimeMs after : afters) {
      const std::optional<spool::TimeMs> next = cron->next_after(after, z);
      if (!next) continue;
      if (*next <= after || *next % 1000 != 0) __builtin_trap();
      if (cron->next_after(*next - 1, z) != next) __builtin_trap();
    }
  }
  return 0;
}
