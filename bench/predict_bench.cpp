//===- predict_bench.cpp - Inference throughput of a compiled model ------===//
//
// Google Benchmark driver that times entry point "predict" of a model library
// built by dnnc, through the runtime API embedded in that library (the same
// path an application takes): parameters loaded from a safetensors file,
// dnn_session_run with caller-provided output buffers, for several batch
// sizes and thread counts (dnn_set_num_threads). Reports items/s, where an
// item is one sample of the batch.
//
//   dnnc-bench-predict --model_lib=mlp.so --params=mlp.safetensors \
//       [--model=NAME] [--batch_sizes=1,32,256] [--threads=1,2] \
//       [--seed=N] [benchmark flags, e.g. --benchmark_format=json]
//
// The library, parameters and model may also come from the environment:
// DNNC_BENCH_LIB, DNNC_BENCH_PARAMS, DNNC_BENCH_MODEL. The default thread
// counts are 1 and every hardware thread.
//
// Benchmarks are named "predict/<model>/batch:<B>/threads:<T>" and measure
// wall-clock time (the runtime runs parallel loops on its own thread pool).
// Command line, set-up and inputs are shared with dnnc-bench-train
// (BenchCommon.h).
//
//===----------------------------------------------------------------------===//

#include "BenchCommon.h"

#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>

using namespace dnn::bench;

namespace {

const char *const usage =
    "usage: dnnc-bench-predict --model_lib=MODEL.so --params=PARAMS.safetensors\n"
    "         [--model=NAME] [--batch_sizes=1,32,256] [--threads=1,N] [--seed=S]\n"
    "         [benchmark flags]\n"
    "environment: DNNC_BENCH_LIB, DNNC_BENCH_PARAMS, DNNC_BENCH_MODEL\n\n";

void benchPredict(benchmark::State &state, Fixture *f, int64_t batch, int64_t threads) {
  const dnn::RuntimeApi &api = *f->api;
  dnn_status status = api.set_num_threads((int32_t)threads);
  if (status != DNN_OK) {
    state.SkipWithError(("set_num_threads: " + f->error(status)).c_str());
    return;
  }
  Batch b;
  std::string error;
  if (!makeBatch(*f, batch, /*intRanges=*/{}, /*withOutputs=*/true, b, error)) {
    state.SkipWithError(error.c_str());
    return;
  }
  auto run = [&] {
    return api.session_run(f->session, f->entry->name, (int32_t)b.inputs.size(), b.inputs.data(),
                           (int32_t)b.outputs.size(), b.outputs.data());
  };
  // Warm-up: starts the thread pool for this thread count and touches the
  // session's buffers.
  for (int i = 0; i < 3; ++i) {
    if ((status = run()) != DNN_OK) {
      state.SkipWithError(("session_run: " + f->error(status)).c_str());
      return;
    }
  }
  for (auto _ : state) {
    status = run();
    if (status != DNN_OK) {
      state.SkipWithError(("session_run: " + f->error(status)).c_str());
      break;
    }
    benchmark::DoNotOptimize(b.outputs.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * batch);
  state.counters["batch"] = (double)batch;
  state.counters["threads"] = (double)threads;
}

} // namespace

int main(int argc, char **argv) {
  Options opts = parseOptions(argc, argv, Tool{"dnnc-bench-predict", usage, {1, 32, 256}, {}});
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv))
    return 1;

  Fixture f;
  openFixture(opts, "predict", f);
  for (int64_t batch : opts.batchSizes)
    for (int64_t threads : opts.threads)
      benchmark::RegisterBenchmark(benchmarkName("predict", f, batch, threads).c_str(),
                                   benchPredict, &f, batch, threads)
          ->UseRealTime()
          ->Unit(benchmark::kMicrosecond);
  runBenchmarks(opts, f);
  return 0;
}
