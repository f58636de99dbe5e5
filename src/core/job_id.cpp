#include "core/job_id.hpp"

#include <sys/random.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace spool {
namespace {
constexpr char kCrockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

// Writes the 130-bit big-endian number (2 leading zero bits, hi 64, lo 64) as 26 base32 digits.
std::string encode128(std::uint64_t hi, std::uint64_t lo) {
  std::string out(26, '0');
  for (int i = 25; i >= 0; --i) {
    out[i] = kCrockford[lo & 31];
    lo = (lo >> 5) | (hi << 59);
    hi >>= 5;
  }
  return out;
}
}  // namespace

std::uint64_t SecureRandom::next_u64() {
  if (used_ == block_.size()) {
    auto* bytes = reinterpret_cast<unsigned char*>(block_.data());
    std::size_t want = sizeof(block_), got = 0;
    while (got < want) {
      ssize_t n = getrandom(bytes + got, want - got, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        // Not input or environment we can work around: without a CSPRNG, lease tokens would be
        // guessable, and handing out guessable capabilities is worse than not starting.
        std::fprintf(stderr, "spool: getrandom failed (%s): no secure randomness for ids\n",
                     std::strerror(errno));
        std::abort();
      }
      got += static_cast<std::size_t>(n);
    }
    used_ = 0;
  }
  return block_[used_++];
}

IdGenerator::IdGenerator(std::uint64_t seed) : jitter_rng_(seed) {}

std::string IdGenerator::next_ulid(TimeMs now) {
  if (now > last_ms_) {
    last_ms_ = now;
    last_hi_ = secure_.next_u64() & 0xFFFF;
    last_lo_ = secure_.next_u64();
  } else {
    // Same (or earlier) millisecond: keep the timestamp and increment the random part, so ids
    // stay strictly increasing (the ULID spec's monotonic mode).
    if (++last_lo_ == 0) last_hi_ = (last_hi_ + 1) & 0xFFFF;
  }
  std::uint64_t ts = static_cast<std::uint64_t>(last_ms_) & 0xFFFFFFFFFFFFULL;
  std::uint64_t hi = (ts << 16) | last_hi_;
  return encode128(hi, last_lo_);
}

std::string IdGenerator::next_token() {
  std::uint64_t hi = secure_.next_u64() >> 2;
  return encode128(hi, secure_.next_u64());
}

double IdGenerator::next_unit() {
  return static_cast<double>(jitter_rng_() >> 11) * (1.0 / 9007199254740992.0);
}

std::uint64_t random_seed() {
  std::random_device rd;
  return (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
}

}  // namespace spool
