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
    std::vector<MemRef> memrefs;
    appendEntryArguments(*model, *entry, memrefs, [&](ArgRole role, int32_t i, int32_t) {
      switch (role) {
      case ArgRole::Param:
      case ArgRole::State:
      case ArgRole::Gradient:
        return shapeOnly(model->params[i].tensor, batch);
      case ArgRole::Buffer:
        return shapeOnly(model->buffers[i].tensor, batch);
      case ArgRole::Input:
        return shapeOnly(model->inputs[entry->inputs[i]], batch);
      case ArgRole::Output:
        return shapeOnly(model->outputs[entry->outputs[i]], batch);
      case ArgRole::Lr:
      case ArgRole::Step:
      case ArgRole::Key:
        break;
      }
      return makeMemRef(nullptr, nullptr, 0);
    });
    std::vector<void *> args;
    for (MemRef &m : memrefs)
      args.push_back(&m);
    // Every symbol is `batch` here, so the specialized copy runs when its
    // size is the batch.
    bool specialized = entry->specialized_workspace && entry->specialized_size == batch;
    *bytes = (specialized ? entry->specialized_workspace : entry->workspace)(args.data());
    return DNN_OK;
  });
}
