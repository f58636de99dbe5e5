// CronExpression: a parsed cron schedule ("0 9 * * MON-FRI") and the math for its next fire time
// in a time zone. An immutable value: thread-safe for const use, cheap enough to copy.
//
// Syntax (Vixie cron, plus seconds and L):
//   [second] minute hour day-of-month month day-of-week
//   second 0-59 (only in the 6-field form, which puts it first), minute 0-59, hour 0-23,
//   day of month 1-31 or L (the last day of the month), month 1-12 or JAN-DEC,
//   day of week 0-7 or SUN-SAT (0 and 7 are both Sunday; a range may end in SUN: FRI-SUN).
//   Each field is * or a comma list of items: N, N-M, */S, N-M/S, N/S (N to the field's maximum
//   in steps of S). Names are case-insensitive; ? means * in day of month and day of week; L may be
//   a list item ("1,15,L") but takes no range or step.
//   Macros (case-insensitive, standing alone): @yearly = @annually = "0 0 1 1 *",
//   @monthly = "0 0 1 * *", @weekly = "0 0 * * 0", @daily = @midnight = "0 0 * * *",
//   @hourly = "0 * * * *".
//   Day of month and day of week combine as in Vixie cron: when both are restricted (neither
//   field starts with * or ?) a day matches if either matches; otherwise it must match both.
//   So "0 0 13 * 5" fires on the 13th and on every Friday, but "0 0 */2 * 1" only on odd days
//   that are Mondays.
//   The 5-field form fires at second 0.
//
// Time zones and daylight saving time. Each matching local time (a whole second on the zone's
// clocks) stands for one instant, and the expression fires at the set of those instants:
//   1. A local time that exists once fires at that instant.
//   2. A local time skipped by a spring-forward gap fires at the first instant after the gap,
//      the transition itself. "30 2 * * *" in America/New_York on 2026-03-08 fires at 03:00 EDT
//      (07:00Z). All matching local times inside one gap share that instant, so it fires once:
//      "*/15 2 * * *" fires once at 03:00 EDT that day, and "0 * * * *" fires at 01:00 EST,
//      03:00 EDT (standing for both 02:00 and 03:00), then 04:00 EDT.
//   3. A local time repeated by a fall-back overlap fires at its first occurrence only. Local
//      times in the overlap do not fire again on the second pass: "*/15 * * * *" in
//      America/New_York on 2026-11-01 fires at 01:45 EDT (05:45Z), then 02:00 EST (07:00Z),
//      leaving the repeated hour 01:00-01:59 EST silent.
//   4. The same instant never fires twice: walk a schedule by passing the previous fire time as
//      `after`, and each answer is strictly later than the one before.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.hpp"
#include "core/status.hpp"
#include "core/time_zone.hpp"

namespace spool {

class CronExpression {
 public:
  // kInvalidArgument (field "cron") with a message that names the field, shows its text and says
  // what was expected.
  static StatusOr<CronExpression> parse(std::string_view text);

  // The first fire instant strictly after `after` (whole seconds, in ms), evaluated in `zone`'s
  // local time. nullopt if it never fires ("0 0 30 2 *"): the search covers 400 years, after
  // which the Gregorian calendar repeats; also nullopt past the year 9999.
  std::optional<TimeMs> next_after(TimeMs after, const TimeZone& zone) const;

  // The text it was parsed from, unchanged.
  const std::string& text() const { return text_; }

 private:
  CronExpression() = default;

  bool day_matches(int year, unsigned month, unsigned day, unsigned days_in_month) const;
  unsigned next_day_to_try(unsigned day, unsigned days_in_month) const;
  // The first matching local time (seconds since 1970-01-01 00:00 on the zone's clocks) at or
  // after `from_local_seconds`, no later than the end of `last_year`.
  std::optional<std::int64_t> next_local_match(std::int64_t from_local_seconds,
                                               int last_year) const;

  std::string text_;
  // Bit i is set when value i matches.
  std::uint64_t seconds_ = 0;
  std::uint64_t minutes_ = 0;
  std::uint32_t hours_ = 0;
  std::uint32_t days_of_month_ = 0;  // bits 1-31
  std::uint16_t months_ = 0;         // bits 1-12
  std::uint8_t days_of_week_ = 0;    // bits 0-6, 0 = Sunday
  bool last_day_of_month_ = false;   // L
  bool day_of_month_restricted_ = false;
  bool day_of_week_restricted_ = false;
};

}  // namespace spool
