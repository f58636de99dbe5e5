// libFuzzer target: the TOML config loader (config/config.hpp) on arbitrary text: toml11's parser
// and every table reader after it ([server], [[tokens]], [queues.*], [watch], [push],
// [[schedules]], [callbacks]). Nothing escapes as an exception or a crash; traps when an
// invariant breaks:
//   - a refusal has a message;
//   - what loads passes validate(), and loading the same text again gives the same answer.
#include <cstddef>
#include <cstdint>
#include <string>

#include "config/config.hpp"
#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  spool::config::ServeConfig config;
  const spool::Status loaded = spool::config::load_config_text(text, "fuzz.toml", config);
  if (!loaded.ok()) {
    FUZZ_CHECK(!loaded.message().empty(), "a refused config without a message");
    return 0;
  }
  FUZZ_CHECK(spool::config::validate(config).ok(), "a loaded config fails validate()");
  spool::config::ServeConfig again;
  FUZZ_CHECK(spool::config::load_config_text(text, "fuzz.toml", again).ok(),
             "the same text loads once but not twice");
  FUZZ_CHECK(again.listen == config.listen && again.data == config.data &&
                 again.tokens.size() == config.tokens.size() &&
                 again.queues.size() == config.queues.size() &&
                 again.schedules.size() == config.schedules.size(),
             "the same text loads differently twice");
  return 0;
}
