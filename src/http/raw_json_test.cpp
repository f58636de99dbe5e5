#include "http/raw_json.hpp"

#include <gtest/gtest.h>

namespace spool::http {
namespace {

TEST(RawJson, AMemberIsItsBytesAsWritten) {
  std::string_view body = R"( {"type":"t", "payload" : {"a":10.5,"s":"x}\"]","n":[1,{}]} ,
    "z":123456789012345678901234567890})";
  EXPECT_EQ(raw_member(body, "payload"), R"({"a":10.5,"s":"x}\"]","n":[1,{}]})");
  EXPECT_EQ(raw_member(body, "z"), "123456789012345678901234567890");
  EXPECT_EQ(raw_member(body, "type"), R"("t")");
  EXPECT_FALSE(raw_member(body, "missing"));
}

TEST(RawJson, EscapedKeysAndDuplicatesMatchTheParsedDocument) {
  EXPECT_EQ(raw_member(R"({"pay\u006coad":1.50})", "payload"), "1.50");
  EXPECT_EQ(raw_member(R"({"result":1,"result":2.0})", "result"), "2.0");
}

TEST(RawJson, ElementsAreEachValuesBytes) {
  auto elements = raw_elements(R"([ {"p":1.0}, "a,b" ,[2,3],null ])");
  ASSERT_EQ(elements.size(), 4u);
  EXPECT_EQ(elements[0], R"({"p":1.0})");
  EXPECT_EQ(elements[1], R"("a,b")");
  EXPECT_EQ(elements[2], "[2,3]");
  EXPECT_EQ(elements[3], "null");
  EXPECT_TRUE(raw_elements("[]").empty());
}

}  // namespace
}  // namespace spool::http
