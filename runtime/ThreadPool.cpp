//===- ThreadPool.cpp - The pool generated parallel loops run on ----------===//
//
// One persistent pool per runtime copy (each compiled model library embeds
// its own). Workers start on the first parallel loop, so a library that is
// only loaded costs no threads. A loop is one "job": [0, count) cut into
// about four chunks per thread, which workers and the calling thread claim
// from an atomic counter. Jobs are serialised by a mutex, which makes the
// pool safe to use from several application threads at once; a loop started
// from inside a running job (nested parallelism) runs inline on the calling
// thread instead, so it can never wait for workers that are waiting for it.
//
//===----------------------------------------------------------------------===//

#include "Internal.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include <pthread.h>

using namespace dnnrt;

namespace {

using Body = void (*)(void *ctx, int64_t begin, int64_t end);

/// True on pool workers, and on a calling thread while it runs a job.
thread_local bool insideJob = false;

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
    int64_t chunkSize = (count + chunks - 1) / chunks;
    {
      std::lock_guard<std::mutex> lock(mutex);
      jobBody = body;
      jobCtx = ctx;
      jobCount = count;
      jobChunkSize = chunkSize;
      jobChunks = (count + chunkSize - 1) / chunkSize;
      nextChunk.store(0);
      doneChunks = 0;
      jobActive = true;
      ++generation;
    }
    wake.notify_all();

    insideJob = true;
    int64_t mine = runChunks();
    insideJob = false;

    std::unique_lock<std::mutex> lock(mutex);
    doneChunks += mine;
    // Wait for every chunk, and for every worker to leave the job: a worker
    // still inside it must not see the counters of the next job.
    done.wait(lock,
              [&] { return doneChunks == jobChunks && busyWorkers == 0; });
    jobActive = false;
  }

  /// In the child of a fork only the forking thread exists: forget the
  /// workers (they are gone; their std::thread objects must not be joined or
  /// destroyed) and the locks other threads may have held, so the child can
  /// run loops on a fresh set of workers instead of waiting forever.
  void resetAfterFork() {
    new (&jobMutex) std::mutex();
    new (&mutex) std::mutex();
    new (&wake) std::condition_variable();
    new (&done) std::condition_variable();
    new std::vector<std::thread>(std::move(workers)); // Deliberately leaked.
    workers = std::vector<std::thread>();
    jobActive = false;
    busyWorkers = 0;
    doneChunks = 0;
    stop = false;
  }

private:
  /// Runs chunks of the current job until none is left; returns how many.
  int64_t runChunks() {
    int64_t ran = 0;
    for (;;) {
      int64_t c = nextChunk.fetch_add(1, std::memory_order_relaxed);
      if (c >= jobChunks)
        return ran;
      int64_t begin = c * jobChunkSize;
      int64_t end = std::min(begin + jobChunkSize, jobCount);
      jobBody(jobCtx, begin, end);
      ++ran;
    }
  }

  /// `seen` is the generation when the worker was started, so a worker that
  /// gets the lock only after the next job was published still joins it.
  void workerLoop(uint64_t seen) {
    insideJob = true;
    std::unique_lock<std::mutex> lock(mutex);
    for (;;) {
      wake.wait(lock,
                [&] { return stop || (jobActive && generation != seen); });
      if (stop)
        return;
      seen = generation;
      ++busyWorkers;
      lock.unlock();
      int64_t ran = runChunks();
      lock.lock();
      doneChunks += ran;
      --busyWorkers;
      if (busyWorkers == 0 && doneChunks == jobChunks)
        done.notify_one();
    }
  }

  /// Makes the pool have `n` workers; called with jobMutex held.
  void startWorkers(int32_t n) {
    if (static_cast<size_t>(n) == workers.size())
      return;
    stopWorkers();
    uint64_t current;
    {
      std::lock_guard<std::mutex> lock(mutex);
      current = generation;
    }
    workers.reserve(n);
    for (int32_t i = 0; i < n; ++i)
      workers.emplace_back([this, current] { workerLoop(current); });
  }

  /// Joins every worker; called with jobMutex held.
  void stopWorkers() {
    {
      std::lock_guard<std::mutex> lock(mutex);
      stop = true;
    }
    wake.notify_all();
    for (std::thread &t : workers)
      t.join();
    workers.clear();
    std::lock_guard<std::mutex> lock(mutex);
    stop = false;
  }

  std::atomic<int32_t> numThreads{defaultNumThreads()};
  std::mutex jobMutex; ///< Held for a whole job, and to start/stop workers.
  std::vector<std::thread> workers;

  // Job state. The job's parameters are written under `mutex` before a job
  // is published and read by workers after they take `mutex`, so they need
  // no atomics; only the chunk counter is contended.
  std::mutex mutex;
  std::condition_variable wake, done;
  Body jobBody = nullptr;
  void *jobCtx = nullptr;
  int64_t jobCount = 0, jobChunkSize = 1, jobChunks = 0;
  std::atomic<int64_t> nextChunk{0};
  int64_t doneChunks = 0;
  int32_t busyWorkers = 0;
  uint64_t generation = 0;
  bool jobActive = false;
  bool stop = false;
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
                                   void *ctx, int64_t count) {
  if (body)
    pool().parallelFor(body, ctx, count);
}
