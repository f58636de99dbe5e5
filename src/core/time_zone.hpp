// TimeZone: a handle to one IANA time zone ("Europe/Berlin") from the OS tz database
// (/usr/share/zoneinfo, read through Howard Hinnant's date/tz). Schedules evaluate cron
// expressions in a zone's local time; CronExpression::next_after does that math.
//
// A TimeZone is a pointer-sized value: copy it freely. The zone data it points at belongs to the
// process-wide tz database, which is loaded once and lives until exit. Thread-safe for const use.
// A default-constructed TimeZone is UTC.
//
// Limit of the OS database as date/tz reads it: zone files list transitions up to 2037 and keep
// later years' rules in a POSIX TZ footer that date/tz ignores, so from 2038 on a zone keeps the
// offset of its last listed transition (America/New_York stays on EST all year).
#pragma once

#include <string>
#include <string_view>

#include "core/status.hpp"

namespace spool {

class TimeZone {
 public:
  TimeZone() = default;
  static TimeZone utc() { return TimeZone(); }

  // The zone named exactly as in the tz database (case matters): "America/New_York", "UTC",
  // links such as "US/Eastern" too. kInvalidArgument (field "tz") for any other name;
  // kUnavailable if the tz database itself cannot be read (tzdata not installed).
  static StatusOr<TimeZone> find(std::string_view iana_name);

  // The name it was found by ("UTC" for utc()).
  const std::string& name() const;

  friend bool operator==(const TimeZone& a, const TimeZone& b) { return a.zone_ == b.zone_; }

 private:
  friend class CronExpression;  // converts between local and UTC times (cron.cpp)

  explicit TimeZone(const void* zone) : zone_(zone) {}

  // A const date::time_zone* into the tz database, or nullptr for UTC, which then needs no
  // database at all. void keeps <date/tz.h> out of every file that includes this one.
  const void* zone_ = nullptr;
};

}  // namespace spool
