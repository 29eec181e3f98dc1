//===- DescriptorFuzzer.cpp - libFuzzer target for descriptor checking ----===//
//
// dnn_check_library is what stands between a model library's descriptor and
// the runtime's use of it. The fuzz input chooses every count, index, dtype,
// rank, size and init of a one-model descriptor (arrays are as long as their
// counts say, as the C contract requires); the check must accept it or say
// why, and a descriptor it accepts must give a working session.
//
//===----------------------------------------------------------------------===//

#include "FuzzInput.h"

#include "dnn/model.h"
#include "dnn/runtime.h"

#include <deque>
#include <string>
#include <vector>

namespace {

void noEntry(void **) {}

struct Builder {
  dnn::fuzz::Bytes &in;
  // Stable storage for everything the descriptor points to.
  std::deque<std::string> strings;
  std::deque<std::vector<dnn_dim_info>> dims;

  const char *name() {
    static const char *const names[] = {"x", "y", "w", "b", "N", "loss", "", "x"};
    uint8_t pick = in.byte();
    if (pick == 255)
      return nullptr;
    return names[pick % 8];
  }
  dnn_tensor_info tensor(bool allowSymbols) {
    dnn_tensor_info t{};
    t.name = name();
    t.dtype = static_cast<int32_t>(in.below(5)) - 1;
    t.rank = static_cast<int32_t>(in.below(10)) - 1;
    auto &d = dims.emplace_back(t.rank > 0 ? t.rank : 0);
    for (dnn_dim_info &dim : d) {
      uint8_t kind = in.byte();
      if (allowSymbols && kind % 4 == 0)
        dim = {-1, "N"};
      else if (kind % 4 == 1)
        dim = {static_cast<int64_t>(in.byte()) - 8, nullptr};
      else if (kind % 4 == 2)
        dim = {in.i64(), nullptr};
      else
        dim = {static_cast<int64_t>(in.below(5)), nullptr};
    }
    t.dims = d.empty() ? nullptr : d.data();
    return t;
  }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  dnn::fuzz::Bytes in(data, size);
  Builder b{in, {}, {}};
  std::vector<dnn_tensor_info> inputs(in.below(4)), outputs(in.below(4));
  for (auto &t : inputs)
    t = b.tensor(true);
  for (auto &t : outputs)
    t = b.tensor(true);
  std::vector<dnn_param_info> params(in.below(4));
  std::vector<dnn_init_arg> args = {{"low", -1}, {"high", 1}, {"value", 2}, {"std", 0.5}};
  for (auto &p : params) {
    p.tensor = b.tensor(false);
    p.init = static_cast<int32_t>(in.below(12)) - 1;
    p.num_init_args = static_cast<int32_t>(in.below(5));
    p.init_args = args.data();
    p.fan_in = in.below(4);
    p.fan_out = in.below(4);
  }
  std::deque<std::vector<int32_t>> indices; // stable: entries point into it
  std::vector<dnn_entry_info> entries(in.below(3));
  static const char *const entryNames[] = {"predict", "eval", "grad", "train_step"};
  for (auto &e : entries) {
    e.name = entryNames[in.below(4)];
    e.kind = static_cast<int32_t>(in.below(5)) - 1;
    e.fn = in.below(8) ? noEntry : nullptr;
    auto &ins = indices.emplace_back(in.below(3));
    for (int32_t &i : ins)
      i = static_cast<int32_t>(in.below(6)) - 1;
    auto &outs = indices.emplace_back(in.below(3));
    for (int32_t &i : outs)
      i = static_cast<int32_t>(in.below(6)) - 1;
    e.num_inputs = static_cast<int32_t>(ins.size());
    e.inputs = ins.data();
    e.num_outputs = static_cast<int32_t>(outs.size());
    e.outputs = outs.data();
  }
  std::vector<int64_t> bounds(inputs.size());
  for (int64_t &bound : bounds)
    bound = static_cast<int64_t>(in.below(4)) - 1;
  dnn_model_info model{};
  model.name = b.name();
  model.num_inputs = static_cast<int32_t>(inputs.size());
  model.inputs = inputs.data();
  model.num_outputs = static_cast<int32_t>(outputs.size());
  model.outputs = outputs.data();
  model.num_params = static_cast<int32_t>(params.size());
  model.params = params.data();
  model.num_entries = static_cast<int32_t>(entries.size());
  model.entries = entries.data();
  model.loss = static_cast<int32_t>(in.below(5)) - 2;
  model.input_index_bounds = in.below(2) ? bounds.data() : nullptr;
  dnn_library_info library{DNN_ABI_VERSION, "fuzz", 1, &model};
  if (in.below(16) == 0)
    library.abi_version = in.byte();

  if (dnn_check_library(&library) != DNN_OK) {
    const char *message = dnn_last_error();
    if (!message || !*message)
      std::abort();
    return 0;
  }
  // Accepted: a session over it either starts (its params allocated and
  // initialised) or reports why not. Sessions of more than 64 KiB of params
  // are left out (only memory and time; the out-of-memory path has a unit
  // test of its own).
  uint64_t bytes = 0;
  for (const dnn_param_info &p : params) {
    uint64_t n = 4;
    for (int32_t i = 0; i < p.tensor.rank; ++i)
      if (__builtin_mul_overflow(n, static_cast<uint64_t>(p.tensor.dims[i].size), &n))
        return 0;
    if (__builtin_add_overflow(bytes, n, &bytes))
      return 0;
  }
  if (bytes > (uint64_t(64) << 10))
    return 0;
  dnn_session *session = nullptr;
  if (dnn_session_create(&model, &session) == DNN_OK) {
    (void)dnn_session_init_params(session, 1);
    dnn_session_destroy(session);
  } else if (session) {
    std::abort();
  }
  return 0;
}
