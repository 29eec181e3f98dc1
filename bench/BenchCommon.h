//===- BenchCommon.h - Shared set-up of the benchmark drivers ---*- C++ -*-===//
//
// What dnnc-bench-predict (predict_bench.cpp) and dnnc-bench-train
// (train_bench.cpp) have in common: their command line (library, parameters,
// model, batch sizes, thread counts, seed; the benchmark library's own flags
// pass through), opening a model library with a session whose parameters are
// loaded from a safetensors file, and a batch of random inputs for an entry
// point with the entry's output buffers.
//
// Both go through the runtime API embedded in the library (ModelLibrary),
// the path an application takes. Failures before the benchmarks start end
// the process with a message naming the driver.
//
//===----------------------------------------------------------------------===//
#ifndef DNN_BENCH_BENCHCOMMON_H
#define DNN_BENCH_BENCHCOMMON_H

#include "ModelLibrary.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace dnn::bench {

struct Options {
  std::string library;
  std::string params;
  std::string model;
  std::vector<int64_t> batchSizes;
  std::vector<int64_t> threads; /// default: 1 and every hardware thread
  uint64_t seed = 1;
};

/// What differs between the drivers' command lines.
struct Tool {
  const char *name;  /// "dnnc-bench-predict": the prefix of messages
  const char *usage; /// --help text, printed before the benchmark library's
  std::vector<int64_t> defaultBatchSizes;
  /// Flags of one driver only: returns true when it took `arg`.
  std::function<bool(const std::string &arg)> extraFlag;
};

/// Prints "<tool>: <message>" and exits with status 1.
[[noreturn]] void fail(const std::string &message);

/// When `arg` is "--<name>=VALUE", sets `value` and returns true.
bool flagValue(const std::string &arg, const char *name, std::string &value);

/// "10" -> 10; fails unless `text` is a positive integer.
int64_t parsePositive(const std::string &flag, const std::string &text);

/// "1,32,256" -> {1, 32, 256}; fails unless every item is a positive integer.
std::vector<int64_t> parseList(const std::string &flag, const std::string &text);

/// Takes the drivers' flags out of argv (leaving the benchmark library's) and
/// applies the environment (DNNC_BENCH_LIB, DNNC_BENCH_PARAMS,
/// DNNC_BENCH_MODEL) and the defaults.
Options parseOptions(int &argc, char **argv, const Tool &tool);

/// Everything one model's benchmarks share: the library, a session with the
/// parameters loaded, and the entry point being timed.
struct Fixture {
  std::unique_ptr<dnn::ModelLibrary> library;
  const dnn::RuntimeApi *api = nullptr;
  const dnn_model_info *model = nullptr;
  const dnn_entry_info *entry = nullptr;
  dnn_session *session = nullptr;
  std::string params; /// the safetensors file loaded into `session`
  uint64_t seed = 1;

  Fixture() = default;
  Fixture(const Fixture &) = delete;
  Fixture &operator=(const Fixture &) = delete;
  ~Fixture();

  std::string error(dnn_status status) const { return library->lastError(status); }
};

/// Opens the library of `opts`, selects the model and its entry point
/// `entry`, creates a session and loads the parameters; fails (exits) with a
/// message on any error.
void openFixture(const Options &opts, const char *entry, Fixture &f);

/// Buffers for one batch size: the entry's inputs filled with random data,
/// and (when asked for) buffers for its outputs.
struct Batch {
  std::vector<std::vector<char>> storage;
  std::vector<dnn_tensor> inputs, outputs;
};

/// Fills `b` for `batch` samples (every symbolic dimension of the inputs is
/// bound to `batch`): float inputs uniform in [0, 1) from a generator seeded
/// with f.seed and the batch size; i32 input i (in the entry's order)
/// uniform in [0, intRanges[i]), or all 0 where intRanges has no positive
/// value for it (0 is always a valid index). With `withOutputs`, also
/// allocates every output of the entry.
bool makeBatch(const Fixture &f, int64_t batch, const std::vector<int64_t> &intRanges,
               bool withOutputs, Batch &b, std::string &error);

/// The number of classes an i32 label input indexes, read from the model's
/// signature: the last dimension of an f32 output [S, C] (logits, probs)
/// over the same batch symbol S as the input i32[S]; 0 when there is none.
int64_t classCount(const dnn_model_info &model, const dnn_tensor_info &input);

/// "<kind>/<model>/batch:<B>/threads:<T>", the name bench/report.py parses.
std::string benchmarkName(const char *kind, const Fixture &f, int64_t batch, int64_t threads);

/// Adds the library and model to the benchmark context, runs every
/// registered benchmark and shuts the benchmark library down.
void runBenchmarks(const Options &opts, const Fixture &f);

} // namespace dnn::bench

#endif // DNN_BENCH_BENCHCOMMON_H
