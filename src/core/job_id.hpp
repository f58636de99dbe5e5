// Job ids are ULIDs: 48 bits of milliseconds then 80 random bits, in Crockford base32, 26 chars.
// They sort by creation time. IdGenerator is not thread-safe: the engine thread owns one.
#pragma once

#include <cstdint>
#include <random>
#include <string>

#include "core/clock.hpp"

namespace spool {

class IdGenerator {
 public:
  explicit IdGenerator(std::uint64_t seed);
  // Ids from one generator are strictly increasing, even within one millisecond.
  std::string next_ulid(TimeMs now);
  // An opaque random token (lease tokens): 26 base32 chars, 128 random bits.
  std::string next_token();
  // Uniform in [0, 1): jitter samples.
  double next_unit();

 private:
  std::mt19937_64 rng_;
  TimeMs last_ms_ = -1;
  std::uint64_t last_hi_ = 0;  // top 16 of the 80 random bits
  std::uint64_t last_lo_ = 0;  // low 64 of the 80 random bits
};

// Seeds from the OS (std::random_device).
std::uint64_t random_seed();

}  // namespace spool
