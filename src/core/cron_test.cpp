// Cron expressions, time zones and schedule timing. Expected times were worked out by hand and
// checked against GNU date, e.g. date -u -d 'TZ="America/New_York" 2026-03-08 03:00' +%FT%TZ.
#include "core/cron.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <limits>
#include <string>
#include <vector>

#include "core/schedule_timing.hpp"
#include "core/time_format.hpp"
#include "core/time_zone.hpp"

namespace spool {
namespace {

TimeMs at(const char* rfc3339) {
  std::optional<TimeMs> t = parse_rfc3339(rfc3339);
  EXPECT_TRUE(t.has_value()) << rfc3339;
  return t.value_or(0);
}

CronExpression cron(std::string_view text) {
  StatusOr<CronExpression> parsed = CronExpression::parse(text);
  EXPECT_TRUE(parsed.has_value()) << text << ": " << parsed.error().message();
  return parsed ? *parsed : *CronExpression::parse("0 0 1 1 *");
}

TimeZone zone(std::string_view name) {
  StatusOr<TimeZone> found = TimeZone::find(name);
  EXPECT_TRUE(found.has_value()) << name << ": " << found.error().message();
  return found.value_or(TimeZone::utc());
}

struct FireCase {
  const char* expression;
  const char* zone;
  const char* after;
  std::vector<const char*> expected;  // the next fire times, in order
};

void expect_fires(const std::vector<FireCase>& cases) {
  for (const FireCase& c : cases) {
    SCOPED_TRACE(std::string(c.expression) + " in " + c.zone + " after " + c.after);
    std::vector<std::string> expected;
    for (const char* t : c.expected) expected.push_back(format_rfc3339(at(t)));
    std::vector<std::string> actual;
    for (TimeMs t : next_fire_times(cron(c.expression), zone(c.zone), at(c.after),
                                    static_cast<int>(c.expected.size()))) {
      actual.push_back(format_rfc3339(t));
    }
    EXPECT_EQ(actual, expected);
  }
}

TEST(CronTest, MonthEndsAndLeapYearsFireOnlyOnDaysThatExist) {
  expect_fires({
      {"0 0 31 * *",
       "UTC",
       "2026-01-31T00:00:00Z",
       {"2026-03-31T00:00:00Z", "2026-05-31T00:00:00Z", "2026-07-31T00:00:00Z",
        "2026-08-31T00:00:00Z", "2026-10-31T00:00:00Z", "2026-12-31T00:00:00Z"}},
      {"0 0 30 * *",
       "UTC",
       "2026-01-30T00:00:00Z",
       {"2026-03-30T00:00:00Z", "2026-04-30T00:00:00Z"}},
      {"0 0 29 2 *",
       "UTC",
       "2026-01-01T00:00:00Z",
       {"2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z"}},
      // 2100 is not a leap year (divisible by 100, not by 400).
      {"0 0 29 2 *", "UTC", "2096-02-29T00:00:00Z", {"2104-02-29T00:00:00Z"}},
      {"0 0 29 2 *", "UTC", "2399-01-01T00:00:00Z", {"2400-02-29T00:00:00Z"}},
      {"59 23 31 12 *", "UTC", "2026-12-31T23:59:00Z", {"2027-12-31T23:59:00Z"}},
  });
}

TEST(CronTest, LIsTheLastDayOfEachMonth) {
  expect_fires({
      {"0 12 L * *",
       "UTC",
       "2026-01-15T00:00:00Z",
       {"2026-01-31T12:00:00Z", "2026-02-28T12:00:00Z", "2026-03-31T12:00:00Z",
        "2026-04-30T12:00:00Z"}},
      {"0 12 L 2 *",
       "UTC",
       "2027-03-01T00:00:00Z",
       {"2028-02-29T12:00:00Z", "2029-02-28T12:00:00Z"}},
      {"0 0 1,15,L * *",
       "UTC",
       "2026-02-01T00:00:00Z",
       {"2026-02-15T00:00:00Z", "2026-02-28T00:00:00Z", "2026-03-01T00:00:00Z"}},
      {"0 0 l * *", "UTC", "2026-04-01T00:00:00Z", {"2026-04-30T00:00:00Z"}},
  });
}

TEST(CronTest, DayOfMonthAndDayOfWeekCombineAsVixieCronDoes) {
  expect_fires({
      // Both restricted: the 13th OR a Friday. April 2026 starts on a Wednesday.
      {"0 0 13 * 5",
       "UTC",
       "2026-04-01T00:00:00Z",
       {"2026-04-03T00:00:00Z", "2026-04-10T00:00:00Z", "2026-04-13T00:00:00Z",
        "2026-04-17T00:00:00Z", "2026-04-24T00:00:00Z"}},
      // Both restricted, with a day of month February never has: every Monday in February.
      {"0 0 30 2 MON",
       "UTC",
       "2026-01-01T00:00:00Z",
       {"2026-02-02T00:00:00Z", "2026-02-09T00:00:00Z", "2026-02-16T00:00:00Z",
        "2026-02-23T00:00:00Z", "2027-02-01T00:00:00Z"}},
      // Day of month starts with *: both must match, so odd days that are Mondays.
      {"0 0 */2 * 1",
       "UTC",
       "2026-04-01T00:00:00Z",
       {"2026-04-13T00:00:00Z", "2026-04-27T00:00:00Z", "2026-05-11T00:00:00Z",
        "2026-05-25T00:00:00Z"}},
      // Day of week starts with *: the 13th that is a Sunday.
      {"0 0 13 * */7",
       "UTC",
       "2026-01-01T00:00:00Z",
       {"2026-09-13T00:00:00Z", "2026-12-13T00:00:00Z"}},
      // ? is *: day of week alone decides.
      {"0 0 ? * MON",
       "UTC",
       "2026-04-01T00:00:00Z",
       {"2026-04-06T00:00:00Z", "2026-04-13T00:00:00Z"}},
      {"0 0 1 * ?",
       "UTC",
       "2026-04-01T00:00:00Z",
       {"2026-05-01T00:00:00Z", "2026-06-01T00:00:00Z"}},
  });
}

TEST(CronTest, StepsRangesAndNamesSelectTheDocumentedValues) {
  expect_fires({
      {"*/15 * * * *",
       "UTC",
       "2026-01-01T00:00:00Z",
       {"2026-01-01T00:15:00Z", "2026-01-01T00:30:00Z", "2026-01-01T00:45:00Z",
        "2026-01-01T01:00:00Z"}},
      {"10-50/20 * * * *",
       "UTC",
       "2026-01-01T00:00:00Z",
       {"2026-01-01T00:10:00Z", "2026-01-01T00:30:00Z", "2026-01-01T00:50:00Z",
        "2026-01-01T01:10:00Z"}},
      {"5/20 * * * *",
       "UTC",
       "2026-01-01T00:00:00Z",
       {"2026-01-01T00:05:00Z", "2026-01-01T00:25:00Z", "2026-01-01T00:45:00Z",
        "2026-01-01T01:05:00Z"}},
      {"0 9-17/4 * * *",
       "UTC",
       "2026-01-01T00:00:00Z",
       {"2026-01-01T09:00:00Z", "2026-01-01T13:00:00Z", "2026-01-01T17:00:00Z",
        "2026-01-02T09:00:00Z"}},
      {"1,5 0 * * *",
       "UTC",
       "2026-01-01T00:00:00Z",
       {"2026-01-01T00:01:00Z", "2026-01-01T00:05:00Z", "2026-01-02T00:01:00Z"}},
      {"0 9 * * MON-FRI",
       "UTC",
       "2026-04-03T09:00:00Z",
       {"2026-04-06T09:00:00Z", "2026-04-07T09:00:00Z", "2026-04-08T09:00:00Z",
        "2026-04-09T09:00:00Z", "2026-04-10T09:00:00Z", "2026-04-13T09:00:00Z"}},
      // SUN ending a range is 7, and 7 is Sunday.
      {"0 0 * * fri-sun",
       "UTC",
       "2026-04-01T00:00:00Z",
       {"2026-04-03T00:00:00Z", "2026-04-04T00:00:00Z", "2026-04-05T00:00:00Z",
        "2026-04-10T00:00:00Z"}},
      {"0 0 * * SUN-SUN",
       "UTC",
       "2026-04-01T00:00:00Z",
       {"2026-04-05T00:00:00Z", "2026-04-12T00:00:00Z"}},
      {"0 0 * * 6-SUN,3",
       "UTC",
       "2026-04-01T00:00:00Z",
       {"2026-04-04T00:00:00Z", "2026-04-05T00:00:00Z", "2026-04-08T00:00:00Z"}},
      {"0 0 * * 7",
       "UTC",
       "2026-04-01T00:00:00Z",
       {"2026-04-05T00:00:00Z", "2026-04-12T00:00:00Z"}},
      {"0 0 * * 0",
       "UTC",
       "2026-04-01T00:00:00Z",
       {"2026-04-05T00:00:00Z", "2026-04-12T00:00:00Z"}},
      {"0 0 * * Sat,SUN",
       "UTC",
       "2026-04-01T00:00:00Z",
       {"2026-04-04T00:00:00Z", "2026-04-05T00:00:00Z", "2026-04-11T00:00:00Z"}},
      {"0 0 1 jan,Jul *",
       "UTC",
       "2026-02-01T00:00:00Z",
       {"2026-07-01T00:00:00Z", "2027-01-01T00:00:00Z"}},
      {"0 0 1 FEB-APR/2 *",
       "UTC",
       "2026-01-01T00:00:00Z",
       {"2026-02-01T00:00:00Z", "2026-04-01T00:00:00Z", "2027-02-01T00:00:00Z"}},
      {" \t0  0\t* *   *  ", "UTC", "2026-01-01T00:00:00Z", {"2026-01-02T00:00:00Z"}},
  });
}

TEST(CronTest, SixFieldsPutSecondsFirst) {
  expect_fires({
      {"*/20 * * * * *",
       "UTC",
       "2026-01-01T00:00:00.500Z",
       {"2026-01-01T00:00:20Z", "2026-01-01T00:00:40Z", "2026-01-01T00:01:00Z"}},
      {"30 15 10 * * *",
       "UTC",
       "2026-01-01T10:15:30Z",
       {"2026-01-02T10:15:30Z", "2026-01-03T10:15:30Z"}},
      // Fires are whole seconds strictly after `after`, also before 1970.
      {"* * * * * *",
       "UTC",
       "2026-01-01T12:00:00.999Z",
       {"2026-01-01T12:00:01Z", "2026-01-01T12:00:02Z"}},
      {"* * * * * *",
       "UTC",
       "1969-12-31T23:59:59.500Z",
       {"1970-01-01T00:00:00Z", "1970-01-01T00:00:01Z"}},
  });
}

TEST(CronTest, EveryMacroExpandsToItsDocumentedSchedule) {
  expect_fires({
      {"@yearly", "UTC", "2026-04-01T12:00:00Z", {"2027-01-01T00:00:00Z", "2028-01-01T00:00:00Z"}},
      {"@annually",
       "UTC",
       "2026-04-01T12:00:00Z",
       {"2027-01-01T00:00:00Z", "2028-01-01T00:00:00Z"}},
      {"@monthly", "UTC", "2026-04-01T12:00:00Z", {"2026-05-01T00:00:00Z", "2026-06-01T00:00:00Z"}},
      {"@weekly", "UTC", "2026-04-01T12:00:00Z", {"2026-04-05T00:00:00Z", "2026-04-12T00:00:00Z"}},
      {"@daily", "UTC", "2026-04-01T12:00:00Z", {"2026-04-02T00:00:00Z", "2026-04-03T00:00:00Z"}},
      {"@midnight",
       "UTC",
       "2026-04-01T12:00:00Z",
       {"2026-04-02T00:00:00Z", "2026-04-03T00:00:00Z"}},
      {"@hourly", "UTC", "2026-04-01T12:00:00Z", {"2026-04-01T13:00:00Z", "2026-04-01T14:00:00Z"}},
      {"@DAILY",
       "Europe/Berlin",
       "2026-04-01T12:00:00Z",
       {"2026-04-01T22:00:00Z", "2026-04-02T22:00:00Z"}},
  });
  EXPECT_EQ(cron("@weekly").text(), "@weekly");
}

TEST(CronTest, LocalTimesOfAZoneWithoutDaylightSavingAreOffsetByItsFixedOffset) {
  expect_fires({
      {"0 9 * * *",
       "Asia/Kolkata",
       "2026-01-01T00:00:00Z",
       {"2026-01-01T03:30:00Z", "2026-01-02T03:30:00Z"}},
  });
}

// America/New_York springs forward on 2026-03-08: 02:00 EST becomes 03:00 EDT at 07:00Z.
TEST(CronDstTest, SpringForwardInNewYorkFiresSkippedTimesOnceAtTheTransition) {
  expect_fires({
      {"30 2 * * *",
       "America/New_York",
       "2026-03-07T00:00:00Z",
       {"2026-03-07T07:30:00Z", "2026-03-08T07:00:00Z", "2026-03-09T06:30:00Z"}},
      // The second before the transition: the gap's local times are still ahead.
      {"30 2 * * *",
       "America/New_York",
       "2026-03-08T06:59:59Z",
       {"2026-03-08T07:00:00Z", "2026-03-09T06:30:00Z"}},
      {"30 2 * * *", "America/New_York", "2026-03-08T07:00:00Z", {"2026-03-09T06:30:00Z"}},
      // Four matching local times in the gap, one fire.
      {"*/15 2 * * *",
       "America/New_York",
       "2026-03-08T00:00:00Z",
       {"2026-03-08T07:00:00Z", "2026-03-09T06:00:00Z", "2026-03-09T06:15:00Z"}},
      // 02:00 (skipped) and 03:00 EDT are the same instant: fired once.
      {"0 * * * *",
       "America/New_York",
       "2026-03-08T05:30:00Z",
       {"2026-03-08T06:00:00Z", "2026-03-08T07:00:00Z", "2026-03-08T08:00:00Z"}},
      {"*/15 * * * *",
       "America/New_York",
       "2026-03-08T06:30:00Z",
       {"2026-03-08T06:45:00Z", "2026-03-08T07:00:00Z", "2026-03-08T07:15:00Z"}},
  });
}

// America/New_York falls back on 2026-11-01: 02:00 EDT becomes 01:00 EST at 06:00Z, so 01:00-01:59
// happens twice.
TEST(CronDstTest, FallBackInNewYorkFiresRepeatedTimesOnlyAtTheirFirstOccurrence) {
  expect_fires({
      {"30 1 * * *",
       "America/New_York",
       "2026-10-31T12:00:00Z",
       {"2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z"}},
      {"30 2 * * *",
       "America/New_York",
       "2026-10-31T12:00:00Z",
       {"2026-11-01T07:30:00Z", "2026-11-02T07:30:00Z"}},
      {"0 * * * *",
       "America/New_York",
       "2026-11-01T03:30:00Z",
       {"2026-11-01T04:00:00Z", "2026-11-01T05:00:00Z", "2026-11-01T07:00:00Z",
        "2026-11-01T08:00:00Z"}},
      {"*/15 * * * *",
       "America/New_York",
       "2026-11-01T05:30:00Z",
       {"2026-11-01T05:45:00Z", "2026-11-01T07:00:00Z", "2026-11-01T07:15:00Z"}},
      // From inside the second pass (01:10 EST): nothing more fires until the hour is over.
      {"*/15 * * * *", "America/New_York", "2026-11-01T06:10:00Z", {"2026-11-01T07:00:00Z"}},
      {"30 1 * * *", "America/New_York", "2026-11-01T06:10:00Z", {"2026-11-02T06:30:00Z"}},
      {"0 1 * * *",
       "America/New_York",
       "2026-11-01T00:00:00Z",
       {"2026-11-01T05:00:00Z", "2026-11-02T06:00:00Z"}},
  });
}

// Europe/Berlin springs forward on 2026-03-29: 02:00 CET becomes 03:00 CEST at 01:00Z.
TEST(CronDstTest, SpringForwardInBerlinFiresSkippedTimesOnceAtTheTransition) {
  expect_fires({
      {"30 2 * * *",
       "Europe/Berlin",
       "2026-03-28T00:00:00Z",
       {"2026-03-28T01:30:00Z", "2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z"}},
      {"0 * * * *",
       "Europe/Berlin",
       "2026-03-28T23:30:00Z",
       {"2026-03-29T00:00:00Z", "2026-03-29T01:00:00Z", "2026-03-29T02:00:00Z"}},
      {"*/15 2 * * *",
       "Europe/Berlin",
       "2026-03-29T00:00:00Z",
       {"2026-03-29T01:00:00Z", "2026-03-30T00:00:00Z"}},
  });
}

// Europe/Berlin falls back on 2026-10-25: 03:00 CEST becomes 02:00 CET at 01:00Z.
TEST(CronDstTest, FallBackInBerlinFiresRepeatedTimesOnlyAtTheirFirstOccurrence) {
  expect_fires({
      {"30 2 * * *",
       "Europe/Berlin",
       "2026-10-24T12:00:00Z",
       {"2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"}},
      {"0 * * * *",
       "Europe/Berlin",
       "2026-10-24T22:30:00Z",
       {"2026-10-24T23:00:00Z", "2026-10-25T00:00:00Z", "2026-10-25T02:00:00Z"}},
      {"*/15 * * * *",
       "Europe/Berlin",
       "2026-10-25T00:30:00Z",
       {"2026-10-25T00:45:00Z", "2026-10-25T02:00:00Z"}},
  });
}

TEST(CronDstTest, UnusualTransitionsFollowTheSameRules) {
  expect_fires({
      // Samoa skipped 2011-12-30 entirely (UTC-10 to UTC+14 at 10:00Z): that day's noon fires at
      // the transition.
      {"0 12 * * *",
       "Pacific/Apia",
       "2011-12-29T00:00:00Z",
       {"2011-12-29T22:00:00Z", "2011-12-30T10:00:00Z", "2011-12-30T22:00:00Z"}},
      // Lord Howe Island moves its clocks by half an hour: back at 15:00Z on 2026-04-04
      // (01:30-01:59 repeats), forward at 15:30Z on 2026-10-03 (02:00-02:29 is skipped).
      {"*/15 * * * *",
       "Australia/Lord_Howe",
       "2026-04-04T14:00:00Z",
       {"2026-04-04T14:15:00Z", "2026-04-04T14:30:00Z", "2026-04-04T14:45:00Z",
        "2026-04-04T15:30:00Z"}},
      {"*/15 * * * *",
       "Australia/Lord_Howe",
       "2026-10-03T15:00:00Z",
       {"2026-10-03T15:15:00Z", "2026-10-03T15:30:00Z", "2026-10-03T15:45:00Z"}},
  });
}

TEST(CronTest, AnExpressionThatNeverFiresAnswersNulloptQuickly) {
  const auto start = std::chrono::steady_clock::now();
  for (const char* never : {"0 0 30 2 *", "0 0 31 4,6,9,11 *", "59 59 23 31 2 *"}) {
    SCOPED_TRACE(never);
    EXPECT_EQ(cron(never).next_after(at("2026-01-01T00:00:00Z"), TimeZone::utc()), std::nullopt);
    EXPECT_EQ(cron(never).next_after(at("2026-01-01T00:00:00Z"), zone("America/New_York")),
              std::nullopt);
  }
  // A search that stepped through seconds or minutes would take far longer than this.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(250));
}

TEST(CronTest, RareFiresMoreThanThirtyYearsApartAreStillFound) {
  // February 29th that is a Sunday: 2088, then 2128 (2100 is not a leap year).
  expect_fires({{"0 0 29 2 */7", "UTC", "2088-03-01T00:00:00Z", {"2128-02-29T00:00:00Z"}}});
}

TEST(CronTest, TimesPastTheYear9999AnswerNullopt) {
  EXPECT_EQ(cron("0 0 1 1 *").next_after(at("9999-06-01T00:00:00Z"), TimeZone::utc()),
            std::nullopt);
  EXPECT_EQ(cron("* * * * *").next_after(std::numeric_limits<TimeMs>::max(), TimeZone::utc()),
            std::nullopt);
  EXPECT_EQ(cron("* * * * *").next_after(std::numeric_limits<TimeMs>::min(), TimeZone::utc()),
            std::nullopt);
  EXPECT_EQ(cron("59 23 31 12 *").next_after(at("9999-06-01T00:00:00Z"), TimeZone::utc()),
            at("9999-12-31T23:59:00Z"));
}

TEST(CronTest, TextIsKeptAsWritten) {
  EXPECT_EQ(cron(" 0 9 * * mon-fri ").text(), " 0 9 * * mon-fri ");
}

struct InvalidCase {
  const char* expression;
  const char* fragment;  // a part of the message, including the field it points at
};

TEST(CronTest, EveryInvalidFormIsRejectedWithAMessageThatPointsAtTheField) {
  const std::vector<InvalidCase> cases = {
      {"",
       "expected 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds "
       "first, got 0"},
      {"   ", "got 0"},
      {"* * * *", "got 4"},
      {"* * * * * * *", "got 7"},
      {"60 * * * *", "field 1 (minute) is \"60\": expected 0-59, with lists"},
      {"* 24 * * *", "field 2 (hour) is \"24\": expected 0-23, with lists"},
      {"* * 0 * *", "field 3 (day of month) is \"0\": expected 1-31 or L, with lists"},
      {"* * 32 * *", "field 3 (day of month) is \"32\": expected 1-31 or L"},
      {"* * * 0 *", "field 4 (month) is \"0\": expected 1-12 or JAN-DEC, with lists"},
      {"* * * 13 *", "field 4 (month) is \"13\": expected 1-12 or JAN-DEC"},
      {"* * * JANUARY *", "field 4 (month) is \"JANUARY\": expected 1-12 or JAN-DEC"},
      {"* * * MON *", "field 4 (month) is \"MON\": expected 1-12 or JAN-DEC"},
      {"* * * * FOO", "field 5 (day of week) is \"FOO\": expected 0-7 or SUN-SAT"},
      {"* * * * JAN", "field 5 (day of week) is \"JAN\": expected 0-7 or SUN-SAT"},
      {"* JAN * * *", "field 2 (hour) is \"JAN\": expected 0-23"},
      {"60 * * * * *", "field 1 (second) is \"60\": expected 0-59"},
      {"0 0 9 * * 8", "field 6 (day of week) is \"8\": expected 0-7 or SUN-SAT"},
      {"99999999999 * * * *", "field 1 (minute) is \"99999999999\": expected 0-59"},
      {"-5 * * * *", "field 1 (minute) is \"-5\": expected 0-59"},
      // Steps.
      {"*/0 * * * *", "field 1 (minute) is \"*/0\": the step must be between 1 and 60, got 0"},
      {"*/61 * * * *", "field 1 (minute) is \"*/61\": the step must be between 1 and 60, got 61"},
      {"0 */25 * * *", "field 2 (hour) is \"*/25\": the step must be between 1 and 24, got 25"},
      {"*/100000000000 * * * *", "the step must be between 1 and 60, got 100000000000"},
      {"0 0 * * */8", "field 5 (day of week) is \"*/8\": the step must be between 1 and 7, got 8"},
      {"*/ * * * *", "field 1 (minute) is \"*/\": expected 0-59"},
      {"*/x * * * *", "field 1 (minute) is \"*/x\": expected 0-59"},
      {"*/5/2 * * * *", "field 1 (minute) is \"*/5/2\": expected 0-59"},
      // Ranges.
      {"5-1 * * * *",
       "field 1 (minute) is \"5-1\": the range 5-1 is reversed: expected low-high, such as 1-5"},
      {"0 0 * * 5-0",
       "the range 5-0 is reversed: expected low-high, such as 0-5 (Sunday is 7 at "
       "the end of a range)"},
      {"0 0 * * SAT-MON", "field 5 (day of week) is \"SAT-MON\": the range SAT-MON is reversed"},
      {"1- * * * *", "field 1 (minute) is \"1-\": expected 0-59"},
      {"-1 * * * *", "field 1 (minute) is \"-1\": expected 0-59"},
      {"1-2-3 * * * *", "field 1 (minute) is \"1-2-3\": expected 0-59"},
      {"0 0 1-32 * *", "field 3 (day of month) is \"1-32\": expected 1-31 or L"},
      // Lists.
      {"1,,5 * * * *", "field 1 (minute) is \"1,,5\": list item 2 is empty; expected 0-59"},
      {",1 * * * *", "field 1 (minute) is \",1\": list item 1 is empty"},
      {"1, * * * *", "field 1 (minute) is \"1,\": list item 2 is empty"},
      // Trailing junk.
      {"5x * * * *", "field 1 (minute) is \"5x\": expected 0-59"},
      {"1-5x * * * *", "field 1 (minute) is \"1-5x\": expected 0-59"},
      {"*5 * * * *", "field 1 (minute) is \"*5\": expected 0-59"},
      {"0 0 * * MONDAY", "field 5 (day of week) is \"MONDAY\": expected 0-7 or SUN-SAT"},
      // L, W, # and ? forms.
      {"0 0 L-3 * *",
       "field 3 (day of month) is \"L-3\": only a plain L (the last day of the "
       "month) is supported"},
      {"0 0 L/2 * *", "field 3 (day of month) is \"L/2\": only a plain L"},
      {"0 0 1-L * *", "field 3 (day of month) is \"1-L\": only a plain L"},
      {"0 0 15W * *",
       "field 3 (day of month) is \"15W\": the nearest-weekday form (W) is not "
       "supported"},
      {"0 0 LW * *", "field 3 (day of month) is \"LW\": the nearest-weekday form (W)"},
      {"0 0 * * 5L",
       "field 5 (day of week) is \"5L\": L is only supported in day of month, as "
       "a plain L"},
      {"0 0 * * L", "field 5 (day of week) is \"L\": L is only supported in day of month"},
      {"L * * * *", "field 1 (minute) is \"L\": expected 0-59"},
      {"0 0 * * MON#2",
       "field 5 (day of week) is \"MON#2\": the nth-weekday form (#) is not "
       "supported"},
      {"? * * * *",
       "field 1 (minute) is \"?\": ? is only allowed in day of month and day of "
       "week; use * here"},
      {"0 ?,1 * * *",
       "field 2 (hour) is \"?,1\": ? is only allowed in day of month and day of "
       "week"},
      {"0 0 ?/2 * *", "field 3 (day of month) is \"?/2\": ? stands alone, meaning *"},
      {"0 0 * * 1,?", "field 5 (day of week) is \"1,?\": ? stands alone, meaning *"},
      // Macros.
      {"@fortnightly",
       "cron \"@fortnightly\": unknown macro \"@fortnightly\": expected @yearly, "
       "@annually, @monthly, @weekly, @daily, @midnight or @hourly"},
      {"@reboot", "unknown macro \"@reboot\""},
      {"@", "unknown macro \"@\""},
      {"@daily 5", "cron \"@daily 5\": a macro stands alone, but \"@daily\" is followed by \"5\""},
      {"0 0 * * @daily", "field 5 (day of week) is \"@daily\": expected 0-7 or SUN-SAT"},
      // Unprintable text is escaped in the message.
      {"0 0 * * \x01", "field 5 (day of week) is \"\\x01\": expected 0-7 or SUN-SAT"},
      {"0 0 * * \"", "field 5 (day of week) is \"\\\"\""},
  };
  for (const InvalidCase& c : cases) {
    SCOPED_TRACE(c.expression);
    StatusOr<CronExpression> parsed = CronExpression::parse(c.expression);
    ASSERT_FALSE(parsed.has_value());
    EXPECT_EQ(parsed.error().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(parsed.error().field(), "cron");
    EXPECT_NE(parsed.error().message().find(c.fragment), std::string::npos)
        << "message: " << parsed.error().message();
  }
}

TEST(CronTest, MessagesQuoteTheWholeExpressionAndTheField) {
  EXPECT_EQ(CronExpression::parse("0 9 * * 8").error().message(),
            "cron \"0 9 * * 8\": field 5 (day of week) is \"8\": expected 0-7 or SUN-SAT, with "
            "lists (,), ranges (-) and steps (/)");
  EXPECT_EQ(CronExpression::parse("* * *").error().message(),
            "cron \"* * *\": expected 5 fields (minute hour day-of-month month day-of-week) or 6 "
            "with seconds first, got 3");
}

TEST(CronTest, AVeryLongExpressionIsCutShortInTheMessage) {
  const std::string text = "0 0 * * " + std::string(500, '9');
  StatusOr<CronExpression> parsed = CronExpression::parse(text);
  ASSERT_FALSE(parsed.has_value());
  EXPECT_LT(parsed.error().message().size(), 300u);
  EXPECT_NE(parsed.error().message().find("...\""), std::string::npos);
}

TEST(TimeZoneTest, FindsIanaNamesAndKeepsTheNameAsGiven) {
  EXPECT_EQ(zone("Europe/Berlin").name(), "Europe/Berlin");
  EXPECT_EQ(zone("America/New_York").name(), "America/New_York");
  EXPECT_EQ(zone("US/Eastern").name(), "US/Eastern");
  EXPECT_EQ(zone("Europe/Berlin"), zone("Europe/Berlin"));
  EXPECT_FALSE(zone("Europe/Berlin") == zone("America/New_York"));
}

TEST(TimeZoneTest, UtcNeedsNoLookupAndIsTheDefault) {
  EXPECT_EQ(TimeZone::utc().name(), "UTC");
  EXPECT_EQ(TimeZone().name(), "UTC");
  EXPECT_EQ(zone("UTC"), TimeZone::utc());
  const TimeZone copy = TimeZone::utc();
  EXPECT_EQ(copy, TimeZone());
}

TEST(TimeZoneTest, AnUnknownNameIsAnInvalidArgumentThatSuggestsTheForm) {
  StatusOr<TimeZone> found = TimeZone::find("Europe/Berln");
  ASSERT_FALSE(found.has_value());
  EXPECT_EQ(found.error().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(found.error().field(), "tz");
  EXPECT_EQ(found.error().message(),
            "unknown time zone \"Europe/Berln\": expected an IANA name such as \"Europe/Berlin\" "
            "or \"UTC\"");
  for (const char* bad : {"", "europe/berlin", "Europe", "EST5EDT-junk", "../../etc/passwd",
                          "zone.tab", "posixrules"}) {
    SCOPED_TRACE(bad);
    EXPECT_FALSE(TimeZone::find(bad).has_value());
  }
}

TEST(TimeZoneTest, ALinkNameBehavesLikeItsTarget) {
  expect_fires({{"30 2 * * *", "US/Eastern", "2026-03-08T00:00:00Z", {"2026-03-08T07:00:00Z"}}});
}

TEST(ScheduleTest, NextFireTimesListsUpToNAscendingTimes) {
  const std::vector<TimeMs> times =
      next_fire_times(cron("0 9 * * *"), zone("Europe/Berlin"), at("2026-03-27T12:00:00Z"), 5);
  const std::vector<TimeMs> expected = {at("2026-03-28T08:00:00Z"), at("2026-03-29T07:00:00Z"),
                                        at("2026-03-30T07:00:00Z"), at("2026-03-31T07:00:00Z"),
                                        at("2026-04-01T07:00:00Z")};
  EXPECT_EQ(times, expected);
  EXPECT_TRUE(next_fire_times(cron("0 9 * * *"), TimeZone::utc(), 0, 0).empty());
  EXPECT_TRUE(next_fire_times(cron("0 9 * * *"), TimeZone::utc(), 0, -3).empty());
  EXPECT_TRUE(next_fire_times(cron("0 0 30 2 *"), TimeZone::utc(), 0, 5).empty());
  EXPECT_EQ(
      next_fire_times(cron("59 23 31 12 *"), TimeZone::utc(), at("9998-01-01T00:00:00Z"), 5).size(),
      2u);
}

TEST(ScheduleTest, NextEveryIsTheFirstTickStrictlyAfter) {
  EXPECT_EQ(next_every(1000, 500, 1000), 1500);
  EXPECT_EQ(next_every(1000, 500, 1499), 1500);
  EXPECT_EQ(next_every(1000, 500, 1500), 2000);
  EXPECT_EQ(next_every(1000, 500, 1501), 2000);
  EXPECT_EQ(next_every(1000, 500, 999), 1000);
  EXPECT_EQ(next_every(1000, 500, -5'000'000), 1000);
  EXPECT_EQ(next_every(-1000, 300, 0), 200);
  EXPECT_EQ(next_every(at("2026-01-01T00:00:00Z"), 3'600'000, at("2026-06-15T10:30:00Z")),
            at("2026-06-15T11:00:00Z"));
}

TEST(ScheduleTest, NextEverySaturatesInsteadOfOverflowing) {
  constexpr TimeMs kMax = std::numeric_limits<TimeMs>::max();
  constexpr TimeMs kMin = std::numeric_limits<TimeMs>::min();
  EXPECT_EQ(next_every(kMax - 10, 100, kMax - 5), kMax);
  EXPECT_EQ(next_every(kMin, kMax, kMax - 1), kMax);
  EXPECT_EQ(next_every(kMin, 1, kMax - 1), kMax);
  EXPECT_EQ(next_every(0, 1, kMax - 1), kMax);
}

}  // namespace
}  // namespace spool
