#include "core/time_zone.hpp"

#include <date/tz.h>

#include <chrono>
#include <exception>
#include <string>

namespace spool {
namespace {

// A function-local static, so name() works even during other files' static initialization.
const std::string& utc_name() {
  static const std::string name = "UTC";
  return name;
}

}  // namespace

StatusOr<TimeZone> TimeZone::find(std::string_view iana_name) {
  if (iana_name == utc_name()) return utc();
  // date/tz reports every failure by throwing; nothing past this function may throw, so the
  // database and the zone's own file are both loaded here, where a failure becomes a Status.
  try {
    (void)date::get_tzdb();
  } catch (const std::exception& e) {
    return error(
        StatusCode::kUnavailable,
        std::string("the time zone database could not be read (is tzdata installed?): ") + e.what(),
        "tz");
  }
  try {
    const date::time_zone* zone = date::locate_zone(iana_name);
    (void)zone->get_info(date::sys_seconds{});  // loads the zone's file now, not on first use
    return TimeZone(zone);
  } catch (const std::exception&) {
    return invalid("tz", "unknown time zone \"" + std::string(iana_name) +
                             "\": expected an IANA name such as \"Europe/Berlin\" or \"UTC\"");
  }
}

const std::string& TimeZone::name() const {
  if (zone_ == nullptr) return utc_name();
  return static_cast<const date::time_zone*>(zone_)->name();
}

}  // namespace spool
