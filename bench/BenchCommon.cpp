//===- BenchCommon.cpp - Shared set-up of the benchmark drivers -----------===//
//
// See BenchCommon.h.
//
//===----------------------------------------------------------------------===//

#include "BenchCommon.h"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <thread>

namespace dnn::bench {

namespace {

// Set by parseOptions; messages before that (none today) get a generic name.
const char *toolName = "dnnc-bench";

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

} // namespace

void fail(const std::string &message) {
  std::fprintf(stderr, "%s: %s\n", toolName, message.c_str());
  std::exit(1);
}

bool flagValue(const std::string &arg, const char *name, std::string &value) {
  std::string prefix = std::string("--") + name + "=";
  if (arg.compare(0, prefix.size(), prefix) != 0)
    return false;
  value = arg.substr(prefix.size());
  return true;
}

int64_t parsePositive(const std::string &flag, const std::string &text) {
  char *end = nullptr;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || v < 1)
    fail("--" + flag + ": expected a positive integer, got '" + text + "'");
  return v;
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

Options parseOptions(int &argc, char **argv, const Tool &tool) {
  toolName = tool.name;
  Options o;
  o.batchSizes = tool.defaultBatchSizes;
  if (const char *e = std::getenv("DNNC_BENCH_LIB"))
    o.library = e;
  if (const char *e = std::getenv("DNNC_BENCH_PARAMS"))
    o.params = e;
  if (const char *e = std::getenv("DNNC_BENCH_MODEL"))
    o.model = e;

  int out = 1;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string v;
    if (arg == "--help" || arg == "-h") {
      std::fputs(tool.usage, stdout);
      argv[out++] = argv[i]; // let the benchmark library print its flags too
    } else if (flagValue(arg, "model_lib", o.library) || flagValue(arg, "params", o.params) ||
               flagValue(arg, "model", o.model)) {
    } else if (flagValue(arg, "batch_sizes", v)) {
      o.batchSizes = parseList("batch_sizes", v);
    } else if (flagValue(arg, "threads", v)) {
      o.threads = parseList("threads", v);
    } else if (flagValue(arg, "seed", v)) {
      o.seed = std::strtoull(v.c_str(), nullptr, 10);
    } else if (tool.extraFlag && tool.extraFlag(arg)) {
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

Fixture::~Fixture() {
  if (session)
    api->session_destroy(session);
}

void openFixture(const Options &opts, const char *entry, Fixture &f) {
  if (opts.library.empty() || opts.params.empty())
    fail("need --model_lib=MODEL.so and --params=PARAMS.safetensors "
         "(or DNNC_BENCH_LIB and DNNC_BENCH_PARAMS); see --help");
  f.seed = opts.seed;
  f.params = opts.params;
  std::string error;
  f.library = dnn::ModelLibrary::open(opts.library, error);
  if (!f.library)
    fail(error);
  f.api = &f.library->api();
  f.model = f.library->findModel(opts.model, error);
  if (!f.model)
    fail(error);
  f.entry = dnn::findEntry(*f.model, entry);
  if (!f.entry)
    fail(std::string("model '") + f.model->name + "' has no entry point '" + entry + "'");

  dnn_status status = f.api->session_create(f.model, &f.session);
  if (status != DNN_OK)
    fail("session_create: " + f.error(status));
  status = f.api->session_load_params(f.session, opts.params.c_str());
  if (status != DNN_OK)
    fail("load_params: " + f.error(status));
}

bool makeBatch(const Fixture &f, int64_t batch, const std::vector<int64_t> &intRanges,
               bool withOutputs, Batch &b, std::string &error) {
  std::map<std::string, int64_t> symbols;
  std::mt19937_64 rng(f.seed ^ (uint64_t)batch);
  std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
  // Integers come from a generator of their own, so that the float inputs
  // are the same whether or not there are integer ones.
  std::mt19937_64 intRng(f.seed ^ (uint64_t)batch ^ 0x9e3779b97f4a7c15ull);
  b.storage.reserve(f.entry->num_inputs + (withOutputs ? f.entry->num_outputs : 0));

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
    int64_t range = i < (int32_t)intRanges.size() ? intRanges[i] : 0;
    std::uniform_int_distribution<int32_t> index(0, (int32_t)std::max<int64_t>(0, range - 1));
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
        // i32 inputs (indices, labels): in range, or 0, which always is.
        int32_t v = range > 0 ? index(intRng) : 0;
        std::memcpy(data + k * 4, &v, 4);
      }
    }
    t.data = data;
    b.inputs.push_back(t);
  }

  if (!withOutputs)
    return true;
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

int64_t classCount(const dnn_model_info &model, const dnn_tensor_info &input) {
  if (input.dtype != DNN_DTYPE_I32 || input.rank != 1 || !input.dims[0].symbol)
    return 0;
  for (int32_t i = 0; i < model.num_outputs; ++i) {
    const dnn_tensor_info &out = model.outputs[i];
    if (out.dtype == DNN_DTYPE_F32 && out.rank == 2 && out.dims[0].symbol &&
        std::strcmp(out.dims[0].symbol, input.dims[0].symbol) == 0 && !out.dims[1].symbol &&
        out.dims[1].size > 0)
      return out.dims[1].size;
  }
  return 0;
}

std::string benchmarkName(const char *kind, const Fixture &f, int64_t batch, int64_t threads) {
  return std::string(kind) + "/" + f.model->name + "/batch:" + std::to_string(batch) +
         "/threads:" + std::to_string(threads);
}

void runBenchmarks(const Options &opts, const Fixture &f) {
  benchmark::AddCustomContext("model_library", opts.library);
  benchmark::AddCustomContext("model", f.model->name);
  benchmark::AddCustomContext("producer",
                              f.library->info()->producer ? f.library->info()->producer : "");
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
}

} // namespace dnn::bench
