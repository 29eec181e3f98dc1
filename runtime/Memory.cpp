//===- Memory.cpp - Workspace sizes for a batch size -----------------------===//
//
// An entry's workspace function reads only the shapes of its arguments, so
// descriptors with the shapes of a batch and no data answer "how much
// memory at batch B" without running anything (dnn-run info --memory).
//
//===----------------------------------------------------------------------===//

#include "Internal.h"

using namespace dnnrt;

namespace {

/// A data-less descriptor of `info` with every symbolic dimension `batch`.
MemRef shapeOnly(const dnn_tensor_info &info, int64_t batch) {
  int64_t dims[DNN_MAX_RANK] = {};
  for (int32_t d = 0; d < info.rank && d < DNN_MAX_RANK; ++d)
    dims[d] = info.dims[d].symbol ? batch : info.dims[d].size;
  return makeMemRef(nullptr, dims, info.rank);
}

} // namespace

extern "C" dnn_status dnn_entry_workspace_bytes(const dnn_model_info *model, const char *name,
                                                int64_t batch, int64_t *bytes) {
  return guarded([&]() -> dnn_status {
    if (!model || !name || !bytes || batch < 0)
      return fail(DNN_ERROR_INVALID_ARGUMENT,
                  "dnn_entry_workspace_bytes: null argument or negative batch %lld",
                  static_cast<long long>(batch));
    const dnn_entry_info *entry = findEntry(*model, name);
    if (!entry)
      return fail(DNN_ERROR_NOT_FOUND, "model '%s' has no entry point '%s'", model->name, name);
    *bytes = 0;
    if (!entry->workspace)
      return DNN_OK;
    // The argument order of model.h, less the workspace.
    std::vector<MemRef> memrefs;
    for (int32_t i = 0; i < model->num_params; ++i)
      memrefs.push_back(shapeOnly(model->params[i].tensor, batch));
    bool train = entry->kind == DNN_ENTRY_TRAIN_STEP;
    if (train)
      for (int32_t i = 0; i < model->num_params; ++i)
        for (int32_t k = 0; k < numStateSlots(*model); ++k)
          memrefs.push_back(shapeOnly(model->params[i].tensor, batch));
    for (int32_t j = 0; j < entry->num_inputs; ++j)
      memrefs.push_back(shapeOnly(model->inputs[entry->inputs[j]], batch));
    if (train) {
      memrefs.push_back(makeMemRef(nullptr, nullptr, 0)); // lr
      memrefs.push_back(makeMemRef(nullptr, nullptr, 0)); // step
    }
    for (int32_t j = 0; j < entry->num_outputs; ++j)
      memrefs.push_back(shapeOnly(model->outputs[entry->outputs[j]], batch));
    if (entry->kind == DNN_ENTRY_GRAD)
      for (int32_t i = 0; i < model->num_params; ++i)
        memrefs.push_back(shapeOnly(model->params[i].tensor, batch));
    std::vector<void *> args;
    for (MemRef &m : memrefs)
      args.push_back(&m);
    *bytes = entry->workspace(args.data());
    return DNN_OK;
  });
}
