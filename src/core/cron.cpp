// CronExpression's time math: the next fire instant in a zone's local time (rules in cron.hpp).
#include "core/cron.hpp"

#include <date/tz.h>

#include <algorithm>
#include <bit>
#include <chrono>

namespace spool {
namespace {

using date::local_seconds;
using date::sys_seconds;
using std::chrono::seconds;

// Searching further would only repeat the calendar: the Gregorian cycle is 400 years.
constexpr int kSearchYears = 400;
constexpr int kLastYear = 9999;
// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z: what RFC 3339 can write.
constexpr TimeMs kEarliestAfter = -62'135'596'800'000;
constexpr TimeMs kLatestAfter = 253'402'300'799'999;

std::optional<unsigned> next_bit(std::uint64_t bits, unsigned from, unsigned max) {
  if (from > max) return std::nullopt;
  const std::uint64_t at_or_after = bits & (~std::uint64_t{0} << from);
  if (at_or_after == 0) return std::nullopt;
  const auto bit = static_cast<unsigned>(std::countr_zero(at_or_after));
  if (bit > max) return std::nullopt;
  return bit;
}

bool has_bit(std::uint64_t bits, unsigned i) { return (bits >> i) & 1; }

local_seconds to_local(const date::time_zone* zone, sys_seconds t) {
  if (zone == nullptr) return local_seconds{t.time_since_epoch()};
  return zone->to_local(t);
}

// The instant a local time fires at (the header's DST rules 1-3).
struct FireInstant {
  sys_seconds at;
  // Set when the local time is repeated by a fall-back overlap: the first local time after the
  // overlap, where the second pass through it ends.
  std::optional<local_seconds> after_overlap;
};

FireInstant resolve(const date::time_zone* zone, local_seconds local) {
  if (zone == nullptr) return {sys_seconds{local.time_since_epoch()}, std::nullopt};
  const date::local_info info = zone->get_info(local);
  switch (info.result) {
    case date::local_info::nonexistent:
      return {info.second.begin, std::nullopt};
    case date::local_info::ambiguous:
      return {sys_seconds{local.time_since_epoch() - info.first.offset},
              local_seconds{(info.second.begin + info.first.offset).time_since_epoch()}};
    default:
      return {sys_seconds{local.time_since_epoch() - info.first.offset}, std::nullopt};
  }
}

int year_of(local_seconds t) {
  return static_cast<int>(date::year_month_day{date::floor<date::days>(t)}.year());
}

}  // namespace

bool CronExpression::day_matches(int year, unsigned month, unsigned day,
                                 unsigned days_in_month) const {
  const bool by_day_of_month =
      has_bit(days_of_month_, day) || (last_day_of_month_ && day == days_in_month);
  const date::weekday weekday{date::local_days{date::year{year} / date::month{month} / day}};
  const bool by_day_of_week = has_bit(days_of_week_, weekday.c_encoding());
  if (day_of_month_restricted_ && day_of_week_restricted_) return by_day_of_month || by_day_of_week;
  return by_day_of_month && by_day_of_week;
}

unsigned CronExpression::next_day_to_try(unsigned day, unsigned days_in_month) const {
  if (day_of_month_restricted_ && day_of_week_restricted_) return day + 1;
  // The day of month must match, so skip to the next one it allows (past the month if none):
  // this is what makes "0 0 30 2 *" cost a few steps a year rather than one per day.
  unsigned next = next_bit(days_of_month_, day + 1, days_in_month).value_or(days_in_month + 1);
  if (last_day_of_month_ && day < days_in_month) next = std::min(next, days_in_month);
  return next;
}

std::optional<std::int64_t> CronExpression::next_local_match(std::int64_t from_local_seconds,
                                                             int last_year) const {
  const local_seconds from{seconds{from_local_seconds}};
  const auto from_day = date::floor<date::days>(from);
  const date::year_month_day ymd{from_day};
  const auto time_of_day = (from - from_day).count();
  int year = static_cast<int>(ymd.year());
  auto month = static_cast<unsigned>(ymd.month());
  auto day = static_cast<unsigned>(ymd.day());
  auto hour = static_cast<unsigned>(time_of_day / 3600);
  auto minute = static_cast<unsigned>(time_of_day / 60 % 60);
  auto second = static_cast<unsigned>(time_of_day % 60);
  // Each step either accepts the current field or moves it (or a larger one) forward and resets
  // the smaller ones, so the search jumps between candidate values instead of ticking seconds.
  while (year <= last_year) {
    if (!has_bit(months_, month)) {
      if (auto next = next_bit(months_, month + 1, 12)) {
        month = *next;
      } else {
        ++year;
        month = *next_bit(months_, 1, 12);
      }
      day = 1;
      hour = minute = second = 0;
      continue;
    }
    const auto days_in_month = static_cast<unsigned>(
        date::year_month_day_last{date::year{year} / date::month{month} / date::last}.day());
    if (day > days_in_month) {
      if (++month > 12) {
        month = 1;
        ++year;
      }
      day = 1;
      hour = minute = second = 0;
      continue;
    }
    if (!day_matches(year, month, day, days_in_month)) {
      day = next_day_to_try(day, days_in_month);
      hour = minute = second = 0;
      continue;
    }
    const auto next_hour = next_bit(hours_, hour, 23);
    if (!next_hour) {
      ++day;
      hour = minute = second = 0;
      continue;
    }
    if (*next_hour != hour) {
      hour = *next_hour;
      minute = second = 0;
    }
    const auto next_minute = next_bit(minutes_, minute, 59);
    if (!next_minute) {
      ++hour;
      minute = second = 0;
      continue;
    }
    if (*next_minute != minute) {
      minute = *next_minute;
      second = 0;
    }
    const auto next_second = next_bit(seconds_, second, 59);
    if (!next_second) {
      ++minute;
      second = 0;
      continue;
    }
    const local_seconds match = date::local_days{date::year{year} / date::month{month} / day} +
                                std::chrono::hours{hour} + std::chrono::minutes{minute} +
                                seconds{*next_second};
    return match.time_since_epoch().count();
  }
  return std::nullopt;
}

std::optional<TimeMs> CronExpression::next_after(TimeMs after, const TimeZone& zone) const {
  if (after < kEarliestAfter || after > kLatestAfter) return std::nullopt;
  const auto* tz = static_cast<const date::time_zone*>(zone.zone_);
  // The first whole second strictly after `after` (floor division: `after` may be negative).
  const sys_seconds first{seconds{(after >= 0 ? after / 1000 : (after - 999) / 1000) + 1}};
  // Search from the earliest local time whose instant is at or after `first`. That is first's
  // own local time, except when `first` is the end of a spring-forward gap: then the local
  // times in the gap fire at `first` too (rule 2), and the gap starts one second after the local
  // time of the second before.
  local_seconds from = std::min(to_local(tz, first), to_local(tz, first - seconds{1}) + seconds{1});
  const int last_year = std::min(year_of(from) + kSearchYears, kLastYear);
  // Terminates: `from` moves strictly forward each time round, and the search stops at last_year.
  for (;;) {
    const auto match = next_local_match(from.time_since_epoch().count(), last_year);
    if (!match) return std::nullopt;
    const local_seconds local{seconds{*match}};
    const FireInstant fire = resolve(tz, local);
    if (fire.at >= first) return fire.at.time_since_epoch().count() * 1000;
    // `first` lies in the second pass through a fall-back overlap, and this local time's one
    // fire (its first occurrence) is already behind: go on from the end of the overlap (rule 3).
    from = std::max(fire.after_overlap.value_or(local), local + seconds{1});
  }
}

}  // namespace spool
