//===- DropoutMaskTest.cpp - dropout's counter-based keep mask ------------===//
//
// The mask hash (dnnc/Support/DropoutMask.h) that the dropout lowering and
// the reference interpreter share: element indices below 2^32 keep the
// hashes of the 32-bit definition (masks of existing models do not change),
// and indices past 2^32 draw a mask of their own instead of repeating it.
//
//===----------------------------------------------------------------------===//

#include "dnnc/Support/DropoutMask.h"

#include <gtest/gtest.h>

namespace mask = dnnc::dropout_mask;

namespace {

/// The definition as it stood with 32-bit indices.
uint32_t hash32(uint64_t siteKey, uint32_t index) {
  uint32_t h = mask::lowbias32(index * mask::kGolden32 + uint32_t(siteKey));
  return mask::lowbias32(h ^ uint32_t(siteKey >> 32));
}

TEST(DropoutMask, IndicesBelow2To32HashAsWith32BitIndices) {
  uint64_t siteKey = mask::siteKey(0x0123456789abcdefull, 2);
  for (uint64_t i : {0ull, 1ull, 2ull, 1000ull, 123456789ull, 0xfffffffeull, 0xffffffffull})
    EXPECT_EQ(mask::elementHash(siteKey, i), hash32(siteKey, uint32_t(i))) << "index " << i;
}

TEST(DropoutMask, IndicesPast2To32DoNotRepeatTheMask) {
  uint64_t siteKey = mask::siteKey(42, 0);
  uint32_t threshold = mask::threshold(0.5);
  int sameHash = 0, sameDecision = 0;
  const int n = 100000;
  for (uint64_t i = 0; i < n; ++i) {
    uint32_t low = mask::elementHash(siteKey, i), high = mask::elementHash(siteKey, i + (1ull << 32));
    sameHash += low == high;
    sameDecision += (low >= threshold) == (high >= threshold);
  }
  EXPECT_EQ(sameHash, 0);
  // Independent decisions at p = 0.5 agree half the time (5 sigma: 0.8%).
  EXPECT_NEAR(double(sameDecision) / n, 0.5, 0.008);
}

TEST(DropoutMask, KeepsAboutOneMinusPOfTheElements) {
  uint64_t siteKey = mask::siteKey(7, 1);
  for (double p : {0.1, 0.25, 0.5, 0.9}) {
    uint32_t threshold = mask::threshold(p);
    int kept = 0;
    const int n = 200000;
    for (uint64_t i = 0; i < n; ++i)
      kept += mask::elementHash(siteKey, (1ull << 33) + i) >= threshold;
    EXPECT_NEAR(double(kept) / n, 1 - p, 0.005) << "p = " << p;
  }
}

} // namespace
