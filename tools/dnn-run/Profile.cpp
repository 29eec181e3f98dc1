//===- Profile.cpp - dnn-run profile ---------------------------------------===//
//
// Times calls of an entry point with the runtime's profiler on: each
// parallel region of the generated code (named by its .dnn source) gets its
// calls, time and share; what is left of the wall-clock time ran outside
// them (sequential code, the runtime's argument checks). Heap calls come
// from dnn-run's own malloc (AllocationCounter), page faults from
// getrusage, both over the measured calls only.
//
//===----------------------------------------------------------------------===//

#include "Profile.h"
#include "AllocationCounter.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <random>
#include <vector>

#include <sys/resource.h>

using namespace dnn;

namespace {

int64_t pageFaults() {
  struct rusage usage {};
  ::getrusage(RUSAGE_SELF, &usage);
  return usage.ru_minflt + usage.ru_majflt;
}

/// The class count for i32 inputs: the width of the first f32 output of
/// rank 2 (the logits or probabilities), else 2.
int64_t guessClasses(const dnn_model_info &model) {
  for (int32_t i = 0; i < model.num_outputs; ++i) {
    const dnn_tensor_info &t = model.outputs[i];
    if (t.dtype == DNN_DTYPE_F32 && t.rank == 2 && !t.dims[1].symbol && t.dims[1].size > 0)
      return t.dims[1].size;
  }
  return 2;
}

} // namespace

bool dnn::profileEntry(const ModelLibrary &lib, const dnn_model_info &model,
                       dnn_session *session, const ProfileOptions &options, std::string &error) {
  const RuntimeApi &api = lib.api();
  const dnn_entry_info *entry = nullptr;
  for (int32_t e = 0; e < model.num_entries; ++e)
    if (options.entry == model.entries[e].name)
      entry = &model.entries[e];
  if (!entry) {
    error = "model '" + std::string(model.name) + "' has no entry point '" + options.entry + "'";
    return false;
  }
  if (options.batch < 1 || options.calls < 1 || options.warmup < 0) {
    error = "profile needs --batch-size >= 1, --steps >= 1 and --warmup >= 0";
    return false;
  }

  // Random inputs of the batch size.
  int64_t classes = options.classes > 0 ? options.classes : guessClasses(model);
  std::mt19937 random(1);
  std::vector<std::vector<char>> storage;
  std::vector<dnn_tensor> inputs;
  for (int32_t j = 0; j < entry->num_inputs; ++j) {
    const dnn_tensor_info &info = model.inputs[entry->inputs[j]];
    dnn_tensor t{};
    t.name = info.name;
    t.dtype = info.dtype;
    t.rank = info.rank;
    int64_t count = 1;
    for (int32_t d = 0; d < info.rank; ++d) {
      t.dims[d] = info.dims[d].symbol ? options.batch : info.dims[d].size;
      count *= t.dims[d];
    }
    storage.emplace_back(count * 4);
    if (info.dtype == DNN_DTYPE_I32) {
      std::uniform_int_distribution<int32_t> labels(0, int32_t(classes - 1));
      auto *data = reinterpret_cast<int32_t *>(storage.back().data());
      for (int64_t i = 0; i < count; ++i)
        data[i] = labels(random);
    } else {
      std::uniform_real_distribution<float> values(0.0f, 1.0f);
      auto *data = reinterpret_cast<float *>(storage.back().data());
      for (int64_t i = 0; i < count; ++i)
        data[i] = values(random);
    }
    t.data = storage.back().data();
    inputs.push_back(t);
  }

  auto call = [&]() -> dnn_status {
    int32_t n = static_cast<int32_t>(inputs.size());
    switch (entry->kind) {
    case DNN_ENTRY_TRAIN_STEP:
      return api.session_train_step(session, n, inputs.data(), nullptr);
    case DNN_ENTRY_GRAD:
      return api.session_grad(session, n, inputs.data(), nullptr);
    default:
      return api.session_run(session, entry->name, n, inputs.data(), 0, nullptr);
    }
  };

  api.profile_enable(1);
  for (int64_t i = 0; i < options.warmup; ++i)
    if (dnn_status status = call()) {
      error = lib.lastError(status);
      return false;
    }
  api.profile_reset();
  std::vector<double> times;
  times.reserve(options.calls);
  int64_t faultsBefore = pageFaults();
  startCountingAllocations();
  for (int64_t i = 0; i < options.calls; ++i) {
    auto start = std::chrono::steady_clock::now();
    dnn_status status = call();
    times.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    if (status) {
      stopCountingAllocations();
      error = lib.lastError(status);
      return false;
    }
  }
  int64_t allocations = stopCountingAllocations();
  int64_t faults = pageFaults() - faultsBefore;
  api.profile_enable(0);

  struct Row {
    const char *region;
    int64_t calls;
    double seconds;
  };
  std::vector<Row> rows;
  for (int32_t i = 0, n = api.profile_count(); i < n; ++i) {
    dnn_profile_record r{};
    if (api.profile_get(i, &r) == DNN_OK && r.calls > 0)
      rows.push_back({r.region, r.calls, r.seconds});
  }
  std::sort(rows.begin(), rows.end(), [](const Row &a, const Row &b) { return a.seconds > b.seconds; });
  double total = 0, inRegions = 0;
  for (double t : times)
    total += t;
  for (const Row &r : rows)
    inRegions += r.seconds;
  std::vector<double> sorted = times;
  std::sort(sorted.begin(), sorted.end());
  double n = double(options.calls);

  llvm::raw_ostream &os = llvm::outs();
  os << "profile of " << model.name << " " << entry->name << ", batch " << options.batch << ", "
     << api.get_num_threads() << " thread(s): " << options.calls << " calls after "
     << options.warmup << " warm-up calls\n";
  os << llvm::format("per call: %.3f ms mean, %.3f ms median, %.3f-%.3f ms range\n",
                     total / n * 1e3, sorted[sorted.size() / 2] * 1e3, sorted.front() * 1e3,
                     sorted.back() * 1e3);
  os << llvm::format("per call: %.1f heap allocations, %.1f page faults\n",
                     double(allocations) / n, double(faults) / n);
  os << llvm::format("%10s %10s %10s %7s  %s\n", "calls/call", "total ms", "mean us", "share",
                     "region (entry#loop source)");
  for (const Row &r : rows)
    os << llvm::format("%10.2f %10.3f %10.2f %6.1f%%  %s\n", double(r.calls) / n,
                       r.seconds * 1e3, r.seconds * 1e6 / double(r.calls),
                       100 * r.seconds / total, r.region);
  double outside = std::max(0.0, total - inRegions);
  os << llvm::format("%10s %10.3f %10s %6.1f%%  %s\n", "", outside * 1e3, "",
                     100 * outside / total,
                     "outside parallel regions (sequential code, runtime checks)");
  return true;
}
