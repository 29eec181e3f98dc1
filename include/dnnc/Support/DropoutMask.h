//===- DropoutMask.h - The counter-based keep mask of dropout ---*- C++ -*-===//
//
// Which elements a dropout keeps is a pure function of the step's random
// key, the dropout's site number in the model and the element's row-major
// index, so that the backward pass recomputes the mask instead of storing it
// and a repeated step draws the same one. The compiled code (the dnn.dropout
// lowering) and the reference interpreter both implement this definition;
// the constants live here once.
//
//===----------------------------------------------------------------------===//
#ifndef DNNC_SUPPORT_DROPOUTMASK_H
#define DNNC_SUPPORT_DROPOUTMASK_H

#include <cmath>
#include <cstdint>

namespace dnnc::dropout_mask {

constexpr uint64_t kGolden64 = 0x9E3779B97F4A7C15ull;
constexpr uint64_t kMix64A = 0xBF58476D1CE4E5B9ull, kMix64B = 0x94D049BB133111EBull;
constexpr uint32_t kGolden32 = 0x9E3779B9u;
constexpr uint32_t kLowbiasA = 0x7FEB352Du, kLowbiasB = 0x846CA68Bu;

/// splitmix64's finalizer.
constexpr uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * kMix64A;
  z = (z ^ (z >> 27)) * kMix64B;
  return z ^ (z >> 31);
}

/// Chris Wellons' lowbias32 integer hash.
constexpr uint32_t lowbias32(uint32_t x) {
  x ^= x >> 16;
  x *= kLowbiasA;
  x ^= x >> 15;
  x *= kLowbiasB;
  x ^= x >> 16;
  return x;
}

/// The key of dropout number `site` in a step keyed `key`.
constexpr uint64_t siteKey(uint64_t key, int64_t site) {
  return mix64(key + uint64_t(site + 1) * kGolden64);
}

/// Elements whose hash is below the threshold are dropped: p * 2^32, rounded.
inline uint32_t threshold(double p) {
  double t = std::nearbyint(p * 4294967296.0);
  return t >= 4294967295.0 ? 0xFFFFFFFFu : t <= 0 ? 0u : uint32_t(t);
}

/// The hash of element `index` (row-major) under `siteKey`. The index's high
/// word enters the second round scaled like the low word in the first, so
/// tensors past 2^32 elements do not repeat their mask, and indices below
/// 2^32 hash as they did when indices were 32-bit.
constexpr uint32_t elementHash(uint64_t siteKey, uint64_t index) {
  uint32_t h = lowbias32(uint32_t(index) * kGolden32 + uint32_t(siteKey));
  return lowbias32(h ^ uint32_t(siteKey >> 32) ^ (uint32_t(index >> 32) * kGolden32));
}

} // namespace dnnc::dropout_mask

#endif // DNNC_SUPPORT_DROPOUTMASK_H
