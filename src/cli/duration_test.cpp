// Unit tests for duration parsing and display (duration.hpp).
#include "cli/duration.hpp"

#include <gtest/gtest.h>

namespace spool::cli {
namespace {

TEST(DurationTest, ParsesEveryUnit) {
  EXPECT_EQ(parse_duration_ms("500ms").value(), 500);
  EXPECT_EQ(parse_duration_ms("10s").value(), 10'000);
  EXPECT_EQ(parse_duration_ms("5m").value(), 300'000);
  EXPECT_EQ(parse_duration_ms("2h").value(), 7'200'000);
  EXPECT_EQ(parse_duration_ms("1d").value(), 86'400'000);
  EXPECT_EQ(parse_duration_ms("0s").value(), 0);
}

TEST(DurationTest, AcceptsAFractionThatIsWholeMilliseconds) {
  EXPECT_EQ(parse_duration_ms("1.5s").value(), 1'500);
  EXPECT_EQ(parse_duration_ms("0.5h").value(), 1'800'000);
}

TEST(DurationTest, RefusesABareNumberBecauseTheUnitWouldBeAGuess) {
  auto result = parse_duration_ms("10");
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(result.error().message().find("no unit"), std::string::npos);
  EXPECT_NE(result.error().message().find("\"10\""), std::string::npos);
}

TEST(DurationTest, RefusesUnknownUnitsNamingThem) {
  auto result = parse_duration_ms("10min");
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message().find("unknown unit \"min\""), std::string::npos);
  EXPECT_NE(result.error().message().find("500ms, 10s, 5m, 2h or 1d"), std::string::npos);
}

TEST(DurationTest, RefusesNegativeEmptyAndMalformedInput) {
  EXPECT_FALSE(parse_duration_ms("-5s"));
  EXPECT_FALSE(parse_duration_ms(""));
  EXPECT_FALSE(parse_duration_ms("s"));
  EXPECT_FALSE(parse_duration_ms(".s"));
  EXPECT_FALSE(parse_duration_ms("1.2.3s"));
  EXPECT_FALSE(parse_duration_ms("10 s"));
  EXPECT_FALSE(parse_duration_ms("1.5ms"));  // not a whole millisecond
}

TEST(DurationTest, RefusesMoreThanAYearWithoutOverflowing) {
  EXPECT_FALSE(parse_duration_ms("367d"));
  EXPECT_FALSE(parse_duration_ms("99999999999999999999999d"));
  EXPECT_TRUE(parse_duration_ms("365d"));
}

TEST(DurationTest, FormatsWithTheLargestExactUnit) {
  EXPECT_EQ(format_duration_ms(0), "0ms");
  EXPECT_EQ(format_duration_ms(250), "250ms");
  EXPECT_EQ(format_duration_ms(1'000), "1s");
  EXPECT_EQ(format_duration_ms(1'500), "1.5s");
  EXPECT_EQ(format_duration_ms(30'000), "30s");
  EXPECT_EQ(format_duration_ms(300'000), "5m");
  EXPECT_EQ(format_duration_ms(3'600'000), "1h");
  EXPECT_EQ(format_duration_ms(86'400'000), "1d");
  EXPECT_EQ(format_duration_ms(1'234), "1234ms");
}

TEST(DurationTest, FormattedValuesParseBack) {
  for (std::int64_t ms : {0LL, 1LL, 999LL, 1'500LL, 90'000LL, 3'600'000LL, 129'600'000LL}) {
    EXPECT_EQ(parse_duration_ms(format_duration_ms(ms)).value(), ms) << format_duration_ms(ms);
  }
}

}  // namespace
}  // namespace spool::cli
