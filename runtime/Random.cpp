//===- Random.cpp - Philox-4x32-10 ----------------------------------------===//

#include "Random.h"

#include <cmath>

using namespace dnnrt;

namespace {
constexpr uint32_t kM0 = 0xD2511F53, kM1 = 0xCD9E8D57;
constexpr uint32_t kW0 = 0x9E3779B9, kW1 = 0xBB67AE85;
constexpr double kTwoPi = 6.283185307179586476925286766559;

inline void mulhilo(uint32_t a, uint32_t b, uint32_t &hi, uint32_t &lo) {
  uint64_t p = uint64_t(a) * b;
  hi = uint32_t(p >> 32);
  lo = uint32_t(p);
}
} // namespace

PhiloxCounter dnnrt::philox4x32(PhiloxCounter c, PhiloxKey k) {
  for (int round = 0; round < 10; ++round) {
    if (round > 0) {
      // The key schedule: bump with the Weyl constants before each round but
      // the first.
      k[0] += kW0;
      k[1] += kW1;
    }
    uint32_t hi0, lo0, hi1, lo1;
    mulhilo(kM0, c[0], hi0, lo0);
    mulhilo(kM1, c[2], hi1, lo1);
    c = {hi1 ^ c[1] ^ k[0], lo1, hi0 ^ c[3] ^ k[1], lo0};
  }
  return c;
}

void dnnrt::boxMuller(uint32_t w1, uint32_t w2, double &z0, double &z1) {
  // u1 in (0, 1] keeps the log finite.
  double u1 = ((w1 >> 8) + 1) * 0x1p-24;
  double u2 = (w2 >> 8) * 0x1p-24;
  double r = std::sqrt(-2.0 * std::log(u1));
  double theta = kTwoPi * u2;
  z0 = r * std::cos(theta);
  z1 = r * std::sin(theta);
}
