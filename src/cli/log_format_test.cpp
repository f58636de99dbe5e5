// The JSON rendering of the server's key=value log lines, and log_quote() round trips.
#include "cli/log_format.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "core/log.hpp"

namespace spool::cli {
namespace {

namespace json = boost::json;

json::object line(std::string_view message) {
  std::string text = log_line_json("2026-11-25T09:00:00.000Z", "info", message);
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  EXPECT_FALSE(ec) << "not JSON: " << text;
  return v.is_object() ? v.as_object() : json::object();
}

TEST(LogFormatTest, KeyValuePairsBecomeMembers) {
  auto o = line("event=request method=GET path=/v1/jobs status=200 duration_us=85");
  EXPECT_EQ(o.at("ts"), "2026-11-25T09:00:00.000Z");
  EXPECT_EQ(o.at("level"), "info");
  EXPECT_EQ(o.at("event"), "request");
  EXPECT_EQ(o.at("path"), "/v1/jobs");
  EXPECT_EQ(o.at("status"), 200);
  EXPECT_EQ(o.at("duration_us"), 85);
  EXPECT_FALSE(o.contains("msg"));
}

TEST(LogFormatTest, IdsStayStringsEvenWhenTheyLookLikeNumbers) {
  auto o = line("event=request request_id=12345 job_id=0042 count=0042");
  EXPECT_EQ(o.at("request_id"), "12345");
  EXPECT_EQ(o.at("job_id"), "0042");
  EXPECT_EQ(o.at("count"), "0042") << "a leading zero is not a plain number";
}

TEST(LogFormatTest, QuotedValuesKeepSpacesQuotesAndNewlines) {
  std::string what = "bad \"thing\"\nat line 2\\x";
  auto o = line("event=handler_exception what=" + log_quote(what) + " after=1");
  EXPECT_EQ(std::string(o.at("what").as_string()), what);
  EXPECT_EQ(o.at("after"), 1);
}

TEST(LogFormatTest, WordsThatAreNotKeyValueGoToMsg) {
  auto o = line("something happened: disk is=full, really");
  EXPECT_EQ(o.at("msg"), "something happened: disk really");
  EXPECT_EQ(o.at("is"), "full,");
}

TEST(LogFormatTest, AMessagesOwnLevelKeyDoesNotReplaceTheLines) {
  auto o = line("event=x level=7 ts=now");
  EXPECT_EQ(o.at("level"), "info");
  EXPECT_EQ(o.at("field_level"), 7);
  EXPECT_EQ(o.at("field_ts"), "now");
}

TEST(LogFormatTest, AnUnterminatedQuoteTakesTheRestOfTheLine) {
  auto o = line("event=x what=\"no end here");
  EXPECT_EQ(o.at("what"), "no end here");
}

TEST(LogFormatTest, LogQuoteEscapesControlCharacters) {
  EXPECT_EQ(log_quote("a\tb\x01"), "\"a\\tb\\u0001\"");
  EXPECT_EQ(log_quote(""), "\"\"");
}

TEST(LogFormatTest, FormatNames) {
  EXPECT_EQ(parse_log_format("text"), LogFormat::kText);
  EXPECT_EQ(parse_log_format("json"), LogFormat::kJson);
  EXPECT_EQ(parse_log_format("JSON"), std::nullopt);
}

}  // namespace
}  // namespace spool::cli
