#include "core/job_id.hpp"

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

IdGenerator::IdGenerator(std::uint64_t seed) : rng_(seed) {}

std::string IdGenerator::next_ulid(TimeMs now) {
  if (now > last_ms_) {
    last_ms_ = now;
    last_hi_ = rng_() & 0xFFFF;
    last_lo_ = rng_();
  } else {
    // Same (or earlier) millisecond: keep the timestamp and increment the random part, so ids
    // stay strictly increasing (the ULID spec's monotonic mode).
    if (++last_lo_ == 0) last_hi_ = (last_hi_ + 1) & 0xFFFF;
  }
  std::uint64_t ts = static_cast<std::uint64_t>(last_ms_) & 0xFFFFFFFFFFFFULL;
  std::uint64_t hi = (ts << 16) | last_hi_;
  return encode128(hi, last_lo_);
}

std::string IdGenerator::next_token() { return encode128(rng_() >> 2, rng_()); }

double IdGenerator::next_unit() {
  return static_cast<double>(rng_() >> 11) * (1.0 / 9007199254740992.0);
}

std::uint64_t random_seed() {
  std::random_device rd;
  return (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
}

}  // namespace spool
