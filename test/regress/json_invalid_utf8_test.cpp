// Trapped by test/fuzz/http_request_fuzz.cpp on its seed
// test/fuzz/corpus/http_request_fuzz/bad_query (issue 17 part 5 had reported it from outside): GET
// /v1/jobs?type=%ff was answered 400 with the decoded byte 0xff copied into the message, so the
// body was not valid JSON (and a client's JSON parser failed on the error instead of reading it).
// The same held for every message quoting a client's bytes (404 paths, query values). JSON strings
// now carry only UTF-8: anything else becomes U+FFFD.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <string>

#include "core/json_writer.hpp"
#include "http/errors.hpp"
#include "http/requests.hpp"

namespace {

bool valid_json(const std::string& text) {
  boost::json::error_code ec;
  (void)boost::json::parse(text, ec);
  return !ec;
}

std::string json_string(std::string_view s) {
  std::string out;
  spool::append_json_string(out, s);
  return out;
}

TEST(RegressJsonUtf8, AQueryValueThatIsNotUtf8StaysOutOfTheAnswer) {
  auto r = spool::http::parse_list_jobs({{"type", "\xff"}});
  ASSERT_FALSE(r);
  const std::string body = spool::http::error_body(r.error());
  EXPECT_TRUE(valid_json(body)) << body;
  EXPECT_NE(body.find("\\ufffd"), std::string::npos) << body;
}

TEST(RegressJsonUtf8, EveryIllFormedSequenceBecomesAReplacementCharacter) {
  EXPECT_EQ(json_string("a\xff"), "\"a\\ufffd\"");
  EXPECT_EQ(json_string("\xc0\xaf"), "\"\\ufffd\\ufffd\"");                        // overlong '/'
  EXPECT_EQ(json_string("\xed\xa0\x80"), "\"\\ufffd\\ufffd\\ufffd\"");             // a surrogate
  EXPECT_EQ(json_string("\xe2\x82"), "\"\\ufffd\\ufffd\"");                        // cut short
  EXPECT_EQ(json_string("\xf4\x90\x80\x80"), "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");  // > U+10FFFF
  for (std::string_view s : {"\xff", "\xc0\xaf", "\xed\xa0\x80", "\xe2\x82", "x\x80y"}) {
    EXPECT_TRUE(valid_json(json_string(s))) << json_string(s);
  }
}

TEST(RegressJsonUtf8, WellFormedUtf8IsKeptByteForByte) {
  const std::string text = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xef\xbf\xbf";
  EXPECT_EQ(json_string(text), "\"" + text + "\"");
  EXPECT_EQ(json_string("tab\there \"q\" \x01"), "\"tab\\there \\\"q\\\" \\u0001\"");
}

}  // namespace
