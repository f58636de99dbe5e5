// ReadinessCache under the manual clock: how many probes reach the engine for how many /readyz
// calls. The probe here is a stand-in that counts and, when asked, holds its answer back.
#include "metrics/readiness_cache.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <vector>

namespace spool::metrics {
namespace {

class ReadinessCacheTest : public ::testing::Test {
 protected:
  // One /readyz call: the store latency it was answered with (the probe's number), or -1 while
  // unanswered.
  double& call() {
    answers_.push_back(-1);
    std::size_t at = answers_.size() - 1;
    cache_.get(
        [this](ReadinessCache::Answer done) {
          ++probes_;
          ReadinessProbe p;
          p.store_latency_ms = probes_;
          if (hold_) {
            held_.push_back(std::move(done));
          } else {
            done(p);
          }
        },
        [this, at](const ReadinessProbe& p) { answers_[at] = p.store_latency_ms; });
    return answers_[at];
  }

  ManualClock clock_;
  ReadinessCache cache_{clock_};
  int probes_ = 0;
  bool hold_ = false;
  std::vector<ReadinessCache::Answer> held_;
  std::deque<double> answers_;  // a deque: references to earlier answers stay valid
};

TEST_F(ReadinessCacheTest, CallsWithinASecondShareOneProbeAndALaterCallProbesAgain) {
  EXPECT_EQ(call(), 1);
  clock_.advance_ms(999);
  EXPECT_EQ(call(), 1);
  EXPECT_EQ(probes_, 1);
  clock_.advance_ms(1);
  EXPECT_EQ(call(), 2);
  EXPECT_EQ(probes_, 2);
}

TEST_F(ReadinessCacheTest, CallsWhileAProbeIsOnItsWayWaitForItInsteadOfStartingAnother) {
  hold_ = true;
  double& first = call();
  double& second = call();
  EXPECT_EQ(probes_, 1);
  EXPECT_EQ(first, -1);
  ASSERT_EQ(held_.size(), 1u);
  ReadinessProbe p;
  p.store_latency_ms = 7;
  held_[0](p);
  EXPECT_EQ(first, 7);
  EXPECT_EQ(second, 7);
  EXPECT_EQ(call(), 7);  // and it is the cached one now
  EXPECT_EQ(probes_, 1);
}

TEST_F(ReadinessCacheTest, AProbesAgeCountsFromWhenItWasAskedFor) {
  hold_ = true;
  double& first = call();
  clock_.advance_ms(900);  // a slow store
  ReadinessProbe p;
  p.store_latency_ms = 900;
  held_[0](p);
  EXPECT_EQ(first, 900);
  clock_.advance_ms(99);
  EXPECT_EQ(call(), 900);
  clock_.advance_ms(1);  // what the store said is now up to 1 s old
  call();
  EXPECT_EQ(probes_, 2);
}

}  // namespace
}  // namespace spool::metrics
