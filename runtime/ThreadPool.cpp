//===- ThreadPool.cpp - The pool generated parallel loops run on ----------===//
//
// One persistent pool per runtime copy (each compiled model library embeds
// its own). Workers start on the first parallel loop, so a library that is
// only loaded costs no threads. A loop is one "job": [0, count) cut into
// about four chunks per thread. Each thread (the caller is participant 0)
// owns a fixed contiguous share of the chunks and claims them from its own
// atomic counter; one that runs out steals from the others' counters. Fixed
// shares keep data on one core across loops: loops of the same shape (a
// weight gradient's matmul and the optimizer update after it) split the
// same elements the same way, so the consumer finds them in its own cache.
//
// A training step runs tens of loops a few microseconds apart, so dispatch
// must not go through the kernel: a job is published by bumping an atomic
// generation that idle workers spin on (with a pause instruction) for a
// while before they sleep on a condition variable; the caller wakes
// sleepers only when there are any. Every worker acknowledges every job
// (its own cache line), and the caller returns only after all have, so no
// worker can still be reading a job's fields when the next one is written.
//
// Jobs are serialised by a mutex, which makes the pool safe to use from
// several application threads at once; a loop started from inside a running
// job (nested parallelism) runs inline on the calling thread instead, so it
// can never wait for workers that are waiting for it.
//
//===----------------------------------------------------------------------===//

#include "Internal.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include <pthread.h>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

using namespace dnnrt;

namespace {

using Body = void (*)(void *ctx, int64_t begin, int64_t end);

/// True on pool workers, and on a calling thread while it runs a job.
thread_local bool insideJob = false;

/// How long an idle worker spins for the next job before it sleeps: longer
/// than the gaps between the loops of a step, short enough not to burn a
/// core between steps of an application that does other work.
constexpr auto kSpinTime = std::chrono::microseconds(200);

inline void cpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#else
  std::this_thread::yield();
#endif
}

int32_t defaultNumThreads() {
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int32_t>(std::min(n, 1024u));
}

class ThreadPool;
ThreadPool &pool();

class ThreadPool {
public:
  ThreadPool() {
    ::pthread_atfork(nullptr, nullptr, [] { pool().resetAfterFork(); });
  }
  ~ThreadPool() {
    std::lock_guard<std::mutex> job(jobMutex);
    stopWorkers();
  }

  void setNumThreads(int32_t n) { numThreads.store(n); }
  int32_t getNumThreads() const { return numThreads.load(); }

  void parallelFor(Body body, void *ctx, int64_t count) {
    if (count <= 0)
      return;
    int32_t threads = numThreads.load();
    if (count == 1 || threads <= 1 || insideJob) {
      body(ctx, 0, count);
      return;
    }

    std::lock_guard<std::mutex> job(jobMutex);
    // Resizing takes effect here, between jobs, so dnn_set_num_threads never
    // waits for (or deadlocks with) a running loop.
    try {
      startWorkers(threads - 1);
    } catch (...) {
      // No threads to be had (std::system_error): generated code cannot
      // handle a failure, so run the loop here.
      body(ctx, 0, count);
      return;
    }

    int64_t chunks = std::min<int64_t>(count, int64_t(threads) * 4);
    jobBody = body;
    jobCtx = ctx;
    jobCount = count;
    jobChunkSize = (count + chunks - 1) / chunks;
    jobChunks = (count + jobChunkSize - 1) / jobChunkSize;
    // Participant p owns the p-th contiguous share of the chunks, so the
    // same thread gets the same part of every loop of the same shape, step
    // after step: a gradient a matmul wrote is updated by the optimizer on
    // the core whose cache holds it. Idle participants then steal.
    jobParticipants = threads;
    for (int32_t p = 0; p < threads; ++p)
      shares[p].next.store(shareStart(p), std::memory_order_relaxed);
    uint64_t g = generation.load(std::memory_order_relaxed) + 1;
    generation.store(g); // seq_cst: ordered before the load of `sleepers`
    if (sleepers.load() > 0) {
      std::lock_guard<std::mutex> lock(sleepMutex);
      wake.notify_all();
    }

    insideJob = true;
    runChunks(0);
    insideJob = false;
    for (auto &worker : workers)
      while (worker->done.load(std::memory_order_acquire) != g)
        cpuRelax();
  }

  /// In the child of a fork only the forking thread exists: forget the
  /// workers (they are gone; their std::thread objects must not be joined or
  /// destroyed) and the locks other threads may have held, so the child can
  /// run loops on a fresh set of workers instead of waiting forever.
  void resetAfterFork() {
    new (&jobMutex) std::mutex();
    new (&sleepMutex) std::mutex();
    new (&wake) std::condition_variable();
    new std::vector<std::unique_ptr<Worker>>(std::move(workers)); // Deliberately leaked.
    workers = std::vector<std::unique_ptr<Worker>>();
    sleepers.store(0);
    stop.store(false);
  }

private:
  struct alignas(64) Worker {
    std::thread thread;
    std::atomic<uint64_t> done{0}; ///< The last generation it finished.
  };

  /// The first chunk of participant `p`'s share of the current job (of
  /// participant `jobParticipants`: one past the last chunk).
  int64_t shareStart(int32_t p) const { return jobChunks * p / jobParticipants; }

  /// Runs participant `self`'s chunks of the current job, then steals the
  /// others' until none is left.
  void runChunks(int32_t self) {
    for (int32_t k = 0; k < jobParticipants; ++k) {
      int32_t owner = (self + k) % jobParticipants;
      int64_t end = shareStart(owner + 1);
      for (;;) {
        int64_t c = shares[owner].next.fetch_add(1, std::memory_order_relaxed);
        if (c >= end)
          break;
        int64_t begin = c * jobChunkSize;
        jobBody(jobCtx, begin, std::min(begin + jobChunkSize, jobCount));
      }
    }
  }

  /// Waits for a generation other than `seen` (or stop): spins, then sleeps.
  uint64_t awaitJob(uint64_t seen) {
    auto deadline = std::chrono::steady_clock::now() + kSpinTime;
    for (unsigned spins = 0;; ++spins) {
      uint64_t g = generation.load(std::memory_order_acquire);
      if (g != seen || stop.load(std::memory_order_relaxed))
        return g;
      cpuRelax();
      if ((spins & 255) == 255 && std::chrono::steady_clock::now() > deadline) {
        std::unique_lock<std::mutex> lock(sleepMutex);
        sleepers.fetch_add(1); // seq_cst: ordered before the load of `generation`
        wake.wait(lock, [&] { return stop.load() || generation.load() != seen; });
        sleepers.fetch_sub(1);
        deadline = std::chrono::steady_clock::now() + kSpinTime;
      }
    }
  }

  /// `seen` is the generation when the worker was started.
  void workerLoop(Worker &self, int32_t index, uint64_t seen) {
    insideJob = true;
    for (;;) {
      seen = awaitJob(seen);
      if (stop.load())
        return;
      runChunks(index);
      self.done.store(seen, std::memory_order_release);
    }
  }

  /// Makes the pool have `n` workers; called with jobMutex held.
  void startWorkers(int32_t n) {
    if (static_cast<size_t>(n) == workers.size())
      return;
    stopWorkers();
    shares.reset(new Share[n + 1]);
    uint64_t current = generation.load();
    workers.reserve(n);
    for (int32_t i = 0; i < n; ++i) {
      workers.push_back(std::make_unique<Worker>());
      Worker &w = *workers.back();
      w.done.store(current);
      w.thread = std::thread([this, &w, i, current] { workerLoop(w, i + 1, current); });
    }
  }

  /// Joins every worker; called with jobMutex held.
  void stopWorkers() {
    {
      std::lock_guard<std::mutex> lock(sleepMutex);
      stop.store(true);
      wake.notify_all();
    }
    for (auto &w : workers)
      if (w->thread.joinable())
        w->thread.join();
    workers.clear();
    stop.store(false);
  }

  std::atomic<int32_t> numThreads{defaultNumThreads()};
  std::mutex jobMutex; ///< Held for a whole job, and to start/stop workers.
  std::vector<std::unique_ptr<Worker>> workers;

  // Job state, written by the caller before it publishes the generation and
  // read by workers after they see it; only the chunk counter is contended.
  Body jobBody = nullptr;
  void *jobCtx = nullptr;
  int64_t jobCount = 0, jobChunkSize = 1, jobChunks = 0;
  int32_t jobParticipants = 0;
  struct alignas(64) Share {
    std::atomic<int64_t> next{0}; ///< Its next unclaimed chunk.
  };
  std::unique_ptr<Share[]> shares;
  alignas(64) std::atomic<uint64_t> generation{0};
  std::atomic<int32_t> sleepers{0};
  std::atomic<bool> stop{false};
  std::mutex sleepMutex;
  std::condition_variable wake;
};

ThreadPool &pool() {
  // Destroyed at exit or dlclose, which joins the (idle) workers before the
  // code they run is unmapped.
  static ThreadPool instance;
  return instance;
}

} // namespace

extern "C" dnn_status dnn_set_num_threads(int32_t num_threads) {
  return guarded([&]() -> dnn_status {
    if (num_threads < 1)
      return fail(DNN_ERROR_INVALID_ARGUMENT,
                  "dnn_set_num_threads: the number of threads must be at "
                  "least 1, got %d",
                  num_threads);
    pool().setNumThreads(num_threads);
    return DNN_OK;
  });
}

extern "C" int32_t dnn_get_num_threads(void) { return pool().getNumThreads(); }

extern "C" void dnnrt_parallel_for(void (*body)(void *, int64_t, int64_t),
                                   void *ctx, int64_t count, const char *region) {
  if (!body)
    return;
  // Nested loops run inside a profiled one; only the outermost is timed.
  if (!profiling() || insideJob) {
    pool().parallelFor(body, ctx, count);
    return;
  }
  auto start = std::chrono::steady_clock::now();
  pool().parallelFor(body, ctx, count);
  recordRegion(region, std::chrono::steady_clock::now() - start);
}
