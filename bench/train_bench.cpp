//===- train_bench.cpp - Training-step throughput of a compiled model -----===//
//
// Google Benchmark driver that times dnn_session_train_step of a model
// library built by dnnc (entry point "train_step": forward, backward and the
// update of the parameters and optimizer state of the model's `train with`),
// through the runtime API embedded in that library, the path `dnn-run train`
// and an application take. Each benchmark starts from the parameters of a
// safetensors file (optimizer state and step counter reset) and steps
// repeatedly on one fixed random batch: float inputs uniform in [0, 1),
// integer labels uniform over the classes. Reports items/s, where an item is
// one sample of the batch, for several batch sizes and thread counts
// (dnn_set_num_threads).
//
//   dnnc-bench-train --model_lib=mlp.so --params=mlp.safetensors \
//       [--model=NAME] [--batch_sizes=128] [--threads=1,2] [--classes=K] \
//       [--seed=N] [benchmark flags, e.g. --benchmark_format=json]
//
// The class count of an i32 label input comes from the model's signature
// (the width of an f32 output [N, C] such as the logits or probs over the
// label's batch dimension) unless --classes gives it. Library, parameters
// and model may come from the environment as for dnnc-bench-predict
// (BenchCommon.h, shared with it); the default thread counts are 1 and every
// hardware thread.
//
// Benchmarks are named "train_step/<model>/batch:<B>/threads:<T>" and
// measure wall-clock time.
//
//===----------------------------------------------------------------------===//

#include "BenchCommon.h"

#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

using namespace dnn::bench;

namespace {

const char *const usage =
    "usage: dnnc-bench-train --model_lib=MODEL.so --params=PARAMS.safetensors\n"
    "         [--model=NAME] [--batch_sizes=128] [--threads=1,N] [--classes=K]\n"
    "         [--seed=S] [benchmark flags]\n"
    "environment: DNNC_BENCH_LIB, DNNC_BENCH_PARAMS, DNNC_BENCH_MODEL\n\n";

void benchTrain(benchmark::State &state, Fixture *f, const std::vector<int64_t> *ranges,
                int64_t batch, int64_t threads) {
  const dnn::RuntimeApi &api = *f->api;
  dnn_status status = api.set_num_threads((int32_t)threads);
  if (status != DNN_OK) {
    state.SkipWithError(("set_num_threads: " + f->error(status)).c_str());
    return;
  }
  // Every configuration starts from the same parameters, with the optimizer
  // state and step counter reset (the file holds none, or those of step 0),
  // as torch_train.py does.
  status = api.session_load_params(f->session, f->params.c_str());
  if (status != DNN_OK) {
    state.SkipWithError(("load_params: " + f->error(status)).c_str());
    return;
  }
  Batch b;
  std::string error;
  if (!makeBatch(*f, batch, *ranges, /*withOutputs=*/false, b, error)) {
    state.SkipWithError(error.c_str());
    return;
  }
  double loss = 0;
  auto step = [&] {
    return api.session_train_step(f->session, (int32_t)b.inputs.size(), b.inputs.data(), &loss);
  };
  // Warm-up: starts the thread pool for this thread count and allocates the
  // session's buffers for the next parameters and optimizer state.
  for (int i = 0; i < 3; ++i) {
    if ((status = step()) != DNN_OK) {
      state.SkipWithError(("train_step: " + f->error(status)).c_str());
      return;
    }
  }
  for (auto _ : state) {
    status = step();
    if (status != DNN_OK) {
      state.SkipWithError(("train_step: " + f->error(status)).c_str());
      break;
    }
    benchmark::DoNotOptimize(loss);
    benchmark::ClobberMemory();
  }
  // A step that diverged would still take its time, but is no training.
  if (!std::isfinite(loss))
    state.SkipWithError("the loss is not finite");
  state.SetItemsProcessed(state.iterations() * batch);
  state.counters["batch"] = (double)batch;
  state.counters["threads"] = (double)threads;
  state.counters["loss"] = loss; // of the last step: shows that it trains
}

} // namespace

int main(int argc, char **argv) {
  int64_t classes = 0;
  Tool tool{"dnnc-bench-train", usage, {128}, [&](const std::string &arg) {
              std::string v;
              if (!flagValue(arg, "classes", v))
                return false;
              classes = parsePositive("classes", v);
              return true;
            }};
  Options opts = parseOptions(argc, argv, tool);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv))
    return 1;

  Fixture f;
  openFixture(opts, "train_step", f);
  if (!f.model->optimizer)
    fail(std::string("model '") + f.model->name + "' has no `train with` optimizer");

  // The range of every i32 input: labels index the classes.
  std::vector<int64_t> ranges;
  for (int32_t i = 0; i < f.entry->num_inputs; ++i) {
    const dnn_tensor_info &input = f.model->inputs[f.entry->inputs[i]];
    int64_t range = 0;
    if (input.dtype == DNN_DTYPE_I32) {
      range = classes ? classes : classCount(*f.model, input);
      if (!range)
        fail(std::string("cannot tell the class count of i32 input '") + input.name +
             "' from the signature of model '" + f.model->name + "'; pass --classes=K");
    }
    ranges.push_back(range);
  }

  for (int64_t batch : opts.batchSizes)
    for (int64_t threads : opts.threads)
      benchmark::RegisterBenchmark(benchmarkName("train_step", f, batch, threads).c_str(),
                                   benchTrain, &f, &ranges, batch, threads)
          ->UseRealTime()
          ->Unit(benchmark::kMillisecond);
  runBenchmarks(opts, f);
  return 0;
}
