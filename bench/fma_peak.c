/* The machine's f32 FMA peak in GFLOP/s on N threads: independent AVX-512 (else AVX2)
 * FMA chains, enough to cover the FMA latency, per thread. Usage: fma_peak [N]. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "simd.h"

#define ITERATIONS 100000000L
#define CHAINS 12

static void *work(void *out) {
  vec a[CHAINS], b = SET1(0.999f), c = SET1(1e-4f);
  for (int i = 0; i < CHAINS; ++i)
    a[i] = SET1(i * 1e-3f);
  for (long it = 0; it < ITERATIONS; ++it)
    for (int i = 0; i < CHAINS; ++i)
      a[i] = FMA(a[i], b, c);
  float sum = 0;
  for (int i = 0; i < CHAINS; ++i)
    sum += ((float *)&a[i])[0];
  *(float *)out = sum;
  return NULL;
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 1;
  if (n < 1 || n > 256)
    return 2;
  pthread_t threads[256];
  float sums[256];
  double start = now();
  for (int i = 0; i < n; ++i)
    pthread_create(&threads[i], NULL, work, &sums[i]);
  for (int i = 0; i < n; ++i)
    pthread_join(threads[i], NULL);
  double seconds = now() - start;
  printf("%.1f GFLOP/s\n", n * (double)ITERATIONS * CHAINS * LANES * 2 / seconds / 1e9);
  return 0;
}
