/* What the hand-written C probes of bench/ (fma_peak.c, weights_read.c) share: f32 vectors of
 * the widest ISA the compiler targets (AVX-512, else AVX2; build with -march=native) and a
 * monotonic clock. */
#ifndef DNNC_BENCH_SIMD_H
#define DNNC_BENCH_SIMD_H

#include <immintrin.h>
#include <time.h>

#ifdef __AVX512F__
typedef __m512 vec;
#define LANES 16
#define SET1 _mm512_set1_ps
#define FMA _mm512_fmadd_ps
#define LOAD _mm512_load_ps
#define ADD _mm512_add_ps
#define ZERO _mm512_setzero_ps
#else
typedef __m256 vec;
#define LANES 8
#define SET1 _mm256_set1_ps
#define FMA _mm256_fmadd_ps
#define LOAD _mm256_load_ps
#define ADD _mm256_add_ps
#define ZERO _mm256_setzero_ps
#endif

static inline double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

#endif
