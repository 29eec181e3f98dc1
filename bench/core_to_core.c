/* How long a cache line takes to travel between two cores: two threads,
 * pinned to the first and the last CPU, bounce one line (each waits for the
 * other's write, then writes), and the round trip is printed in ns. A line
 * one core wrote costs the other core half of it; docs/performance.md
 * ("Two cores on two dies") explains why that matters to the thread pool.
 * Usage: core_to_core [round trips]. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "simd.h"

static _Alignas(64) atomic_long line;
static long trips = 200000;

static int pin(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

static void *answer(void *cpu) {
  pin(*(int *)cpu);
  for (long i = 0; i < trips; ++i) {
    while (atomic_load_explicit(&line, memory_order_acquire) != 2 * i + 1)
      ;
    atomic_store_explicit(&line, 2 * i + 2, memory_order_release);
  }
  return NULL;
}

int main(int argc, char **argv) {
  if (argc > 1)
    trips = atol(argv[1]);
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  if (cpus < 2 || trips < 1) {
    printf("core-to-core round trip: needs two CPUs\n");
    return 0;
  }
  int last = (int)cpus - 1;
  if (pin(0) != 0)
    return 1;
  pthread_t other;
  pthread_create(&other, NULL, answer, &last);
  double start = now();
  for (long i = 0; i < trips; ++i) {
    atomic_store_explicit(&line, 2 * i + 1, memory_order_release);
    while (atomic_load_explicit(&line, memory_order_acquire) != 2 * i + 2)
      ;
  }
  double seconds = now() - start;
  pthread_join(other, NULL);
  printf("core-to-core round trip (CPU 0 <-> CPU %d): %.0f ns\n", last, seconds / trips * 1e9);
  return 0;
}
