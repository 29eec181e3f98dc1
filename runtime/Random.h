//===- Random.h - Philox-4x32-10 and the parameter streams ------*- C++ -*-===//
//
// The counter-based generator behind dnn_session_init_params. Counter-based
// means element i of a parameter is a pure function of (seed, parameter
// number, i): the bits do not depend on thread count, on the order the
// elements are filled in, or on the machine.
//
//===----------------------------------------------------------------------===//
#ifndef DNNRT_RANDOM_H
#define DNNRT_RANDOM_H

#include <array>
#include <cstdint>

namespace dnnrt {

using PhiloxCounter = std::array<uint32_t, 4>;
using PhiloxKey = std::array<uint32_t, 2>;

/// Philox-4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2,
/// 3", SC 2011), as in Random123's philox4x32 with 10 rounds.
PhiloxCounter philox4x32(PhiloxCounter counter, PhiloxKey key);

/// The random words of one parameter. Stream definition (part of the
/// runtime's contract; docs/runtime-abi.md):
///
///   For parameter number p (its declaration index in the model) and seed s,
///   block k (k = 0, 1, ...) is the four 32-bit words
///     philox4x32(counter = {k & 0xffffffff, k >> 32, p, 0},
///                key     = {s & 0xffffffff, s >> 32}),
///   and word i of the stream is word i % 4 of block i / 4.
///
///   Uniform elements: element i uses word i, u = (w >> 8) * 2^-24 in [0, 1).
///   Normal elements: elements 2j and 2j+1 use words 2j and 2j+1 via
///   Box-Muller in double precision: u1 = ((w_2j >> 8) + 1) * 2^-24 in (0, 1],
///   u2 = (w_2j+1 >> 8) * 2^-24, r = sqrt(-2 ln u1),
///   z_2j = r cos(2 pi u2), z_2j+1 = r sin(2 pi u2). An odd last element
///   takes z_2j only. Results are rounded to float at the very end.
class ParamStream {
public:
  ParamStream(uint64_t seed, uint32_t param)
      : key{uint32_t(seed), uint32_t(seed >> 32)}, param(param) {}

  /// Word `i` of the stream.
  uint32_t word(uint64_t i) {
    uint64_t k = i / 4;
    if (k != cachedBlock || !haveBlock) {
      block = philox4x32({uint32_t(k), uint32_t(k >> 32), param, 0}, key);
      cachedBlock = k;
      haveBlock = true;
    }
    return block[i % 4];
  }

private:
  PhiloxKey key;
  uint32_t param;
  PhiloxCounter block{};
  uint64_t cachedBlock = 0;
  bool haveBlock = false;
};

/// Uniform in [0, 1) from one word (24 bits, exact in float).
inline double uniformFromWord(uint32_t w) { return (w >> 8) * 0x1p-24; }

/// Standard normal pair from two words (see ParamStream).
void boxMuller(uint32_t w1, uint32_t w2, double &z0, double &z1);

} // namespace dnnrt

#endif // DNNRT_RANDOM_H
