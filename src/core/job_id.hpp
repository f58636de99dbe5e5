// Job ids are ULIDs: 48 bits of milliseconds then 80 random bits, in Crockford base32, 26 chars.
// They sort by creation time. IdGenerator is not thread-safe: the engine thread owns one.
//
// Randomness: a lease token is a capability (whoever holds it may settle the job), so tokens and
// the random bits of ids come from the OS CSPRNG (getrandom), never from a seeded generator:
// mt19937_64's state can be rebuilt from about 312 of its outputs, and ULIDs publish outputs to
// every producer. The seed drives only the jitter samples, which tests want reproducible.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <random>
#include <string>

#include "core/clock.hpp"

namespace spool {

// Bytes from getrandom(2), read a block at a time so the hot path makes one system call per
// few hundred draws. Aborts if the OS has no CSPRNG to give (a kernel older than 3.17).
class SecureRandom {
 public:
  std::uint64_t next_u64();

 private:
  std::array<std::uint64_t, 512> block_{};
  std::size_t used_ = block_.size();
};

class IdGenerator {
 public:
  // `seed` seeds the jitter samples (next_unit) only.
  explicit IdGenerator(std::uint64_t seed);
  // Ids from one generator are strictly increasing, even within one millisecond.
  std::string next_ulid(TimeMs now);
  // An opaque random token (lease tokens): 26 base32 chars, 128 random bits.
  std::string next_token();
  // Uniform in [0, 1): jitter samples, from the seeded generator.
  double next_unit();

 private:
  SecureRandom secure_;
  std::mt19937_64 jitter_rng_;
  TimeMs last_ms_ = -1;
  std::uint64_t last_hi_ = 0;  // top 16 of the 80 random bits
  std::uint64_t last_lo_ = 0;  // low 64 of the 80 random bits
};

// Seeds from the OS (std::random_device).
std::uint64_t random_seed();

}  // namespace spool
