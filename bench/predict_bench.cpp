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
//
//===----------------------------------------------------------------------===//

#include "ModelLibrary.h"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

struct Options {
  std::string library;
  std::string params;
  std::string model;
  std::vector<int64_t> batchSizes = {1, 32, 256};
  std::vector<int64_t> threads;
  uint64_t seed = 1;
};

[[noreturn]] void fail(const std::string &message) {
  std::fprintf(stderr, "dnnc-bench-predict: %s\n", message.c_str());
  std::exit(1);
}

std::vector<int64_t> parseList(const std::string &flag, const std::string &text) {
  std::vector<int64_t> values;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    if (comma == std::string::npos)
      comma = text.size();
    std::string item = text.substr(pos, comma - pos);
    char *end = nullptr;
    long long v = std::strtoll(item.c_str(), &end, 10);
    if (item.empty() || *end != '\0' || v < 1)
      fail("--" + flag + ": expected a comma-separated list of positive integers, got '" + text +
           "'");
    values.push_back(v);
    pos = comma + 1;
  }
  return values;
}

/// Takes our flags out of argv (leaving the benchmark library's).
Options parseOptions(int &argc, char **argv) {
  Options o;
  if (const char *e = std::getenv("DNNC_BENCH_LIB"))
    o.library = e;
  if (const char *e = std::getenv("DNNC_BENCH_PARAMS"))
    o.params = e;
  if (const char *e = std::getenv("DNNC_BENCH_MODEL"))
    o.model = e;

  int out = 1;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](const char *name, std::string &dst) {
      std::string prefix = std::string("--") + name + "=";
      if (arg.compare(0, prefix.size(), prefix) != 0)
        return false;
      dst = arg.substr(prefix.size());
      return true;
    };
    std::string v;
    if (arg == "--help" || arg == "-h") {
      std::printf(
          "usage: dnnc-bench-predict --model_lib=MODEL.so --params=PARAMS.safetensors\n"
          "         [--model=NAME] [--batch_sizes=1,32,256] [--threads=1,N] [--seed=S]\n"
          "         [benchmark flags]\n"
          "environment: DNNC_BENCH_LIB, DNNC_BENCH_PARAMS, DNNC_BENCH_MODEL\n\n");
      argv[out++] = argv[i]; // let the benchmark library print its flags too
    } else if (value("model_lib", o.library) || value("params", o.params) ||
               value("model", o.model)) {
    } else if (value("batch_sizes", v)) {
      o.batchSizes = parseList("batch_sizes", v);
    } else if (value("threads", v)) {
      o.threads = parseList("threads", v);
    } else if (value("seed", v)) {
      o.seed = std::strtoull(v.c_str(), nullptr, 10);
    } else {
      argv[out++] = argv[i];
    }
  }
  argc = out;
  argv[argc] = nullptr;

  if (o.threads.empty()) {
    int64_t all = std::max(1u, std::thread::hardware_concurrency());
    o.threads = {1};
    if (all > 1)
      o.threads.push_back(all);
  }
  return o;
}

/// Everything one model's benchmarks share: the library, a session with the
/// parameters loaded, and the entry point.
struct Fixture {
  std::unique_ptr<dnn::ModelLibrary> library;
  const dnn::RuntimeApi *api = nullptr;
  const dnn_model_info *model = nullptr;
  const dnn_entry_info *entry = nullptr;
  dnn_session *session = nullptr;
  uint64_t seed = 1;

  ~Fixture() {
    if (session)
      api->session_destroy(session);
  }

  std::string error(dnn_status status) const { return library->lastError(status); }
};

/// Buffers for one batch size: inputs filled with random data, and outputs
/// the caller provides.
struct Batch {
  std::vector<std::vector<char>> storage;
  std::vector<dnn_tensor> inputs, outputs;
};

size_t dtypeSize(int32_t dtype) {
  switch (dtype) {
  case DNN_DTYPE_F32:
  case DNN_DTYPE_I32:
    return 4;
  case DNN_DTYPE_F64:
    return 8;
  default:
    return 0;
  }
}

/// Gives `t` the shape of `info`: static sizes as declared, symbols as bound
/// in `symbols`. When `bind` is set (inputs), a symbol not yet bound is bound
/// to `batch`; otherwise (outputs) it is an error.
bool shapeTensor(const dnn_tensor_info &info, int64_t batch,
                 std::map<std::string, int64_t> &symbols, bool bind, dnn_tensor &t,
                 std::string &error) {
  t = dnn_tensor{};
  t.name = info.name;
  t.dtype = info.dtype;
  t.rank = info.rank;
  if (info.rank > DNN_MAX_RANK) {
    error = std::string("tensor '") + info.name + "' has rank above DNN_MAX_RANK";
    return false;
  }
  for (int32_t d = 0; d < info.rank; ++d) {
    const dnn_dim_info &dim = info.dims[d];
    if (!dim.symbol) {
      t.dims[d] = dim.size;
      continue;
    }
    auto it = symbols.find(dim.symbol);
    if (it == symbols.end()) {
      if (!bind) {
        error = std::string("output '") + info.name + "' has symbol '" + dim.symbol +
                "' that no input binds";
        return false;
      }
      it = symbols.emplace(dim.symbol, batch).first;
    }
    t.dims[d] = it->second;
  }
  return true;
}

int64_t numElements(const dnn_tensor &t) {
  int64_t n = 1;
  for (int32_t d = 0; d < t.rank; ++d)
    n *= t.dims[d];
  return n;
}

bool makeBatch(const Fixture &f, int64_t batch, Batch &b, std::string &error) {
  std::map<std::string, int64_t> symbols;
  std::mt19937_64 rng(f.seed ^ (uint64_t)batch);
  std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
  b.storage.reserve(f.entry->num_inputs + f.entry->num_outputs);

  for (int32_t i = 0; i < f.entry->num_inputs; ++i) {
    const dnn_tensor_info &info = f.model->inputs[f.entry->inputs[i]];
    dnn_tensor t;
    if (!shapeTensor(info, batch, symbols, /*bind=*/true, t, error))
      return false;
    size_t elem = dtypeSize(t.dtype);
    if (!elem) {
      error = std::string("input '") + info.name + "' has an unsupported dtype";
      return false;
    }
    int64_t n = numElements(t);
    b.storage.emplace_back(n * elem);
    char *data = b.storage.back().data();
    for (int64_t k = 0; k < n; ++k) {
      if (t.dtype == DNN_DTYPE_F32) {
        float v = uniform(rng);
        std::memcpy(data + k * 4, &v, 4);
      } else if (t.dtype == DNN_DTYPE_F64) {
        double v = uniform(rng);
        std::memcpy(data + k * 8, &v, 8);
      } else {
        int32_t v = 0; // i32 inputs (indices, labels): 0 is always in range
        std::memcpy(data + k * 4, &v, 4);
      }
    }
    t.data = data;
    b.inputs.push_back(t);
  }

  for (int32_t i = 0; i < f.entry->num_outputs; ++i) {
    const dnn_tensor_info &info = f.model->outputs[f.entry->outputs[i]];
    dnn_tensor t;
    if (!shapeTensor(info, batch, symbols, /*bind=*/false, t, error))
      return false;
    size_t elem = dtypeSize(t.dtype);
    int64_t n = numElements(t);
    b.storage.emplace_back(std::max<int64_t>(1, n) * std::max<size_t>(1, elem));
    t.data = b.storage.back().data();
    b.outputs.push_back(t);
  }
  return true;
}

void benchPredict(benchmark::State &state, Fixture *f, int64_t batch, int64_t threads) {
  const dnn::RuntimeApi &api = *f->api;
  dnn_status status = api.set_num_threads((int32_t)threads);
  if (status != DNN_OK) {
    state.SkipWithError(("set_num_threads: " + f->error(status)).c_str());
    return;
  }
  Batch b;
  std::string error;
  if (!makeBatch(*f, batch, b, error)) {
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
  Options opts = parseOptions(argc, argv);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv))
    return 1;
  if (opts.library.empty() || opts.params.empty())
    fail("need --model_lib=MODEL.so and --params=PARAMS.safetensors "
         "(or DNNC_BENCH_LIB and DNNC_BENCH_PARAMS); see --help");

  Fixture f;
  f.seed = opts.seed;
  std::string error;
  f.library = dnn::ModelLibrary::open(opts.library, error);
  if (!f.library)
    fail(error);
  f.api = &f.library->api();
  f.model = f.library->findModel(opts.model, error);
  if (!f.model)
    fail(error);
  f.entry = dnn::findEntry(*f.model, "predict");
  if (!f.entry)
    fail(std::string("model '") + f.model->name + "' has no entry point 'predict'");

  dnn_status status = f.api->session_create(f.model, &f.session);
  if (status != DNN_OK)
    fail("session_create: " + f.error(status));
  status = f.api->session_load_params(f.session, opts.params.c_str());
  if (status != DNN_OK)
    fail("load_params: " + f.error(status));

  for (int64_t batch : opts.batchSizes)
    for (int64_t threads : opts.threads) {
      std::string name = std::string("predict/") + f.model->name + "/batch:" +
                         std::to_string(batch) + "/threads:" + std::to_string(threads);
      benchmark::RegisterBenchmark(name.c_str(), benchPredict, &f, batch, threads)
          ->UseRealTime()
          ->Unit(benchmark::kMicrosecond);
    }

  benchmark::AddCustomContext("model_library", opts.library);
  benchmark::AddCustomContext("model", f.model->name);
  benchmark::AddCustomContext("producer", f.library->info()->producer
                                              ? f.library->info()->producer
                                              : "");
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
