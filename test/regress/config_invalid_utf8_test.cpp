// Found by test/fuzz/config_fuzz.cpp (input in
// test/fuzz/corpus/config_fuzz/regress_ml_literal_invalid_utf8): a multi-line literal string
// holding a byte that is not UTF-8 (data = '''\xff...''') made toml11 3.7.1 (Debian 12's
// libtoml11-dev) read past its buffer while it built the error message (a heap-buffer-overflow
// under ASan; in a plain build, whatever lies there). TOML files must be UTF-8, so the loader now
// refuses such bytes before toml11 sees them, naming the line.
#include <gtest/gtest.h>

#include <string>

#include "config/config.hpp"

namespace {

TEST(RegressConfig, AByteThatIsNotUtf8IsRefusedBeforeTomlParsesIt) {
  const std::string text =
      "[server]\ndata = '''\xffmulti\nline'''\nlisten = \"\\u0082:1\"\n"
      "when = 1979-05-T07:2723:00-08:00\n";
  spool::config::ServeConfig c;
  const spool::Status s = spool::config::load_config_text(text, "spool.toml", c);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(),
            "spool.toml: line 2: the byte 0xff is not UTF-8; a TOML file must be UTF-8 text");
}

TEST(RegressConfig, EveryStringFormRefusesBytesThatAreNotUtf8) {
  for (const char* text :
       {"a = \"\xc0\xaf\"", "a = '\xed\xa0\x80'", "a = \"\"\"\xff\"\"\"", "# \xfe comment\n"}) {
    spool::config::ServeConfig c;
    const spool::Status s = spool::config::load_config_text(text, "spool.toml", c);
    ASSERT_FALSE(s.ok()) << text;
    EXPECT_NE(s.message().find("is not UTF-8"), std::string::npos) << s.message();
  }
}

TEST(RegressConfig, Utf8TextStillLoads) {
  spool::config::ServeConfig c;
  const spool::Status s = spool::config::load_config_text(
      "[server]\ndata = '''caf\xc3\xa9\n\xe2\x82\xac'''\n", "spool.toml", c);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(c.data, "caf\xc3\xa9\n\xe2\x82\xac");
}

}  // namespace
