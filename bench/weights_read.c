/* How long one core takes just to read the MLP's weights (w1 784x512 and w2 512x256, f32:
 * 2.1 MB) with vector loads, over and over: the floor under examples/mlp.dnn's predict at
 * batch 1, which must read them all once per call (docs/performance.md).
 * Usage: cc -O2 -march=native bench/weights_read.c -o weights_read && ./weights_read */
#include <stdio.h>
#include <stdlib.h>

#include "simd.h"

int main(void) {
  const size_t n = 784 * 512 + 512 * 256;
  const int reps = 5000;
  float *w = aligned_alloc(64, n * sizeof(float));
  for (size_t i = 0; i < n; ++i)
    w[i] = (float)i * 1e-7f;
  /* Four independent sums, so that the adds never wait on each other. */
  vec s0 = ZERO(), s1 = ZERO(), s2 = ZERO(), s3 = ZERO();
  double start = now();
  for (int r = 0; r < reps; ++r)
    for (size_t i = 0; i < n; i += 4 * LANES) {
      s0 = ADD(s0, LOAD(w + i));
      s1 = ADD(s1, LOAD(w + i + LANES));
      s2 = ADD(s2, LOAD(w + i + 2 * LANES));
      s3 = ADD(s3, LOAD(w + i + 3 * LANES));
    }
  double seconds = (now() - start) / reps;
  /* Every sum reaches the output, so that no load is dead. */
  vec total = ADD(ADD(s0, s1), ADD(s2, s3));
  float sum[LANES];
  for (int i = 0; i < LANES; ++i)
    sum[i] = ((float *)&total)[i];
  printf("reading %.2f MB of weights: %.1f us per pass, %.1f GB/s (checksum %g)\n",
         n * sizeof(float) / 1e6, seconds * 1e6, n * sizeof(float) / seconds / 1e9, sum[0]);
  free(w);
  return 0;
}
