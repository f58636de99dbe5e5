// The callback retry schedule: exponential from backoff_base_ms, capped at backoff_max_ms.
#include "push/callbacks.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace spool::push {
namespace {

TEST(CallbackRetryTest, DelaysDoubleFromTheBaseUpToTheCap) {
  CallbackOptions o;  // defaults: 10 s base, 15 min cap, 10 attempts
  std::int64_t total = 0;
  std::vector<std::int64_t> delays;
  for (int attempt = 1; attempt < o.max_attempts; ++attempt) {
    delays.push_back(callback_retry_delay_ms(o, attempt));
    total += delays.back();
  }
  EXPECT_EQ(delays.front(), 10'000);
  EXPECT_EQ(delays[1], 20'000);
  EXPECT_EQ(delays[6], 640'000);
  EXPECT_EQ(delays[7], 900'000);
  EXPECT_EQ(delays.back(), 900'000);
  EXPECT_EQ(total, 3'070'000);        // about 51 minutes, the documented default schedule
  EXPECT_LT(total, 2LL * 3'600'000);  // within the 2 h a finished job with a callback is kept
}

}  // namespace
}  // namespace spool::push
