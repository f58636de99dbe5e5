// Unit tests for the CLI's output helpers (output.hpp): tables, shortening, JSON, times.
#include "cli/output.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "core/time_format.hpp"

namespace spool::cli {
namespace {

TEST(TableTest, AlignsColumnsToTheWidestCell) {
  Table table({{"ID"}, {"STATE"}, {"N", true}});
  table.add_row({"a", "queued", "7"});
  table.add_row({"bbbb", "dead", "123"});
  EXPECT_EQ(table.render(Style{}),
            "ID    STATE     N\n"
            "a     queued    7\n"
            "bbbb  dead    123\n");
}

TEST(TableTest, ColourDoesNotDisturbAlignment) {
  Table table({{"STATE"}, {"X"}});
  table.add_row({Table::Cell("dead", Colour::kRed), "1"});
  table.add_row({"queued", "2"});
  std::string out = table.render(Style{.colour = true});
  EXPECT_NE(out.find("\x1b[31mdead\x1b[0m    1\n"), std::string::npos) << out;
  EXPECT_NE(out.find("queued  2\n"), std::string::npos) << out;
}

TEST(TableTest, CountsCodePointsNotBytes) {
  Table table({{"A"}, {"B"}});
  table.add_row({"é", "x"});
  table.add_row({"ab", "y"});
  EXPECT_EQ(table.render(Style{}), "A   B\né   x\nab  y\n");
}

TEST(TableTest, LeavesNoTrailingSpaces) {
  Table table({{"A"}, {"LONG HEADER"}});
  table.add_row({"x", ""});
  EXPECT_EQ(table.render(Style{}), "A  LONG HEADER\nx\n");
}

TEST(StyleTest, PaintsOnlyWhenColourIsOn) {
  EXPECT_EQ(Style{}.paint("dead", Colour::kRed), "dead");
  EXPECT_EQ(Style{.colour = true}.paint("dead", Colour::kRed), "\x1b[31mdead\x1b[0m");
  EXPECT_EQ(Style{.colour = true}.paint("x", Colour::kNone), "x");
}

TEST(ShortenTest, CutsWithAnEllipsisAndFlattensNewlines) {
  EXPECT_EQ(shorten("short", 10), "short");
  EXPECT_EQ(shorten("connection refused by host", 10), "connectio…");
  EXPECT_EQ(shorten("line one\nline two", 40), "line one line two");
  EXPECT_EQ(shorten("ééééé", 3), "éé…");
}

TEST(PrettyJsonTest, IndentsAndKeepsKeyOrder) {
  auto value = boost::json::parse(R"({"z":1,"a":[1,{"b":null}],"e":{},"l":[]})");
  EXPECT_EQ(pretty_json(value),
            "{\n"
            "  \"z\": 1,\n"
            "  \"a\": [\n"
            "    1,\n"
            "    {\n"
            "      \"b\": null\n"
            "    }\n"
            "  ],\n"
            "  \"e\": {},\n"
            "  \"l\": []\n"
            "}");
  EXPECT_EQ(pretty_json(boost::json::parse(R"("a\"b")")), R"("a\"b")");
}

TEST(TimeTest, ShortTimeDropsMillisecondsAndTheT) {
  EXPECT_EQ(short_time("2026-11-25T02:34:49.123Z"), "2026-11-25 02:34:49");
  EXPECT_EQ(short_time("2026-11-25T03:34:49+01:00"), "2026-11-25 02:34:49");
  EXPECT_EQ(short_time("not a time"), "not a time");
}

TEST(TimeTest, RelativeTimeReadsLikeSpeech) {
  TimeMs base = *parse_rfc3339("2026-11-25T02:00:00Z");
  EXPECT_EQ(relative_time("2026-11-25T01:57:00Z", base), "3m ago");
  EXPECT_EQ(relative_time("2026-11-25T04:30:00Z", base), "in 2h");
  EXPECT_EQ(relative_time("2026-11-25T02:00:00.500Z", base), "in under a second");
  EXPECT_EQ(relative_time("2026-11-23T02:00:00Z", base), "2d ago");
  EXPECT_EQ(relative_time("2026-11-25T01:59:15Z", base), "45s ago");
  EXPECT_EQ(relative_time("garbage", base), "");
}

TEST(JsonReadTest, MissingOrMistypedFieldsReadAsEmpty) {
  auto value = boost::json::parse(R"({"s":"x","n":3,"o":{"a":1},"z":null})");
  EXPECT_EQ(json_string(value, "s"), "x");
  EXPECT_EQ(json_string(value, "n"), "3");
  EXPECT_EQ(json_string(value, "z"), "");
  EXPECT_EQ(json_string(value, "missing"), "");
  EXPECT_EQ(json_int(value, "n"), 3);
  EXPECT_EQ(json_int(value, "s"), 0);
  EXPECT_EQ(json_int(boost::json::value(42), "n"), 0);
}

}  // namespace
}  // namespace spool::cli
