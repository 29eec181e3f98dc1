/* The machine's f32 FMA peak in GFLOP/s on N threads: independent AVX-512 (else AVX2)
 * FMA chains, enough to cover the FMA latency, per thread. Usage: fma_peak [N]. */
#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define ITERATIONS 100000000L
#define CHAINS 12
#ifdef __AVX512F__
typedef __m512 vec;
#define LANES 16
#define SET1 _mm512_set1_ps
#define FMA _mm512_fmadd_ps
#else
typedef __m256 vec;
#define LANES 8
#define SET1 _mm256_set1_ps
#define FMA _mm256_fmadd_ps
#endif

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

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
