//===- Session.cpp - Sessions: parameters, shape checks, running entries --===//
//
// A session owns the parameters of one model and the outputs it keeps. Entry
// points trust their arguments, so dnn_session_run checks every input against
// the entry's signature first (dtype, rank, static sizes, one value per
// symbol) and then calls the entry with memref descriptors as model.h lays
// them out.
//
//===----------------------------------------------------------------------===//

#include "CUDADriver.h"
#include "Internal.h"

#include <algorithm>
#include <cstring>
#include <map>

using namespace dnnrt;

void dnnrt::FreeDeleter::operator()(void *p) const noexcept {
  if (memory == Memory::CUDAManaged)
    cuda::freeManaged(p);
  else
    std::free(p);
}

dnnrt::Buffer::Buffer(size_t size, Contents contents, Memory memory) {
  // aligned_alloc wants a multiple of the alignment; an empty tensor still
  // gets one line so that its pointer is valid and distinct.
  size_t rounded = size == 0 ? kBufferAlignment
                             : (size + kBufferAlignment - 1) /
                                   kBufferAlignment * kBufferAlignment;
  if (rounded < size)
    throw std::bad_alloc();
  void *p = memory == Memory::CUDAManaged ? cuda::allocateManaged(rounded)
                                          : std::aligned_alloc(kBufferAlignment, rounded);
  if (!p)
    throw std::bad_alloc();
  if (contents == Contents::Zeroed)
    std::memset(p, 0, rounded);
  ptr = std::unique_ptr<void, FreeDeleter>(p, FreeDeleter{memory});
  bytes = rounded;
}

void dnnrt::beginStaging(dnn_session &session) {
  session.stagingUsed = 0;
  session.stagedOutputs.clear();
}

void *dnnrt::stageForDevice(dnn_session &session, void *data, size_t bytes, bool isOutput) {
  if (session.memory == Memory::Host)
    return data;
  // Reused call after call: a steady state allocates nothing.
  if (session.stagingUsed == session.staging.size())
    session.staging.emplace_back();
  Buffer &buffer = session.staging[session.stagingUsed++];
  if (buffer.capacity() < bytes || buffer.capacity() == 0)
    buffer = Buffer(bytes, Buffer::Contents::Uninitialized, session.memory);
  if (isOutput)
    session.stagedOutputs.push_back({data, buffer.data(), bytes});
  else if (bytes)
    std::memcpy(buffer.data(), data, bytes);
  return buffer.data();
}

MemRef dnnrt::stagedInput(dnn_session &session, const dnn_tensor &input) {
  if (session.callerDataOnDevice)
    return makeMemRef(input.data, input.dims, input.rank);
  int64_t count = 0; // checked by bindInputs
  numElements(input.dims, input.rank, count);
  void *data = stageForDevice(session, input.data, size_t(count) * dtypeSize(input.dtype), false);
  return makeMemRef(data, input.dims, input.rank);
}

void *dnnrt::stagedOutput(dnn_session &session, void *data, size_t bytes) {
  return session.callerDataOnDevice ? data : stageForDevice(session, data, bytes, true);
}

void dnnrt::finishStaging(dnn_session &session) {
  for (const dnn_session::StagedOutput &out : session.stagedOutputs)
    if (out.bytes)
      std::memcpy(out.host, out.staged, out.bytes);
  beginStaging(session);
}

dnnrt::MemRef dnnrt::makeMemRef(void *data, const int64_t *dims, int32_t rank) {
  MemRef m{};
  m.allocated = m.aligned = data;
  m.offset = 0;
  int64_t stride = 1;
  for (int32_t i = rank - 1; i >= 0; --i) {
    m.sizesAndStrides[i] = dims[i];
    m.sizesAndStrides[rank + i] = stride;
    stride *= dims[i];
  }
  return m;
}

const dnn_entry_info *dnnrt::findEntry(const dnn_model_info &model, const char *name) {
  for (int32_t i = 0; i < model.num_entries; ++i)
    if (std::strcmp(model.entries[i].name, name) == 0)
      return &model.entries[i];
  return nullptr;
}

int32_t dnnrt::findParam(const dnn_model_info &model, const char *name) {
  std::vector<const char *> names;
  for (int32_t i = 0; i < model.num_params; ++i) {
    if (std::strcmp(model.params[i].tensor.name, name) == 0)
      return i;
    names.push_back(model.params[i].tensor.name);
  }
  fail(DNN_ERROR_NOT_FOUND, "model '%s' has no param '%s'; params: %s", model.name, name,
       joinNames(names).c_str());
  return -1;
}

int32_t dnnrt::findBuffer(const dnn_model_info &model, const char *name) {
  for (int32_t i = 0; i < model.num_buffers; ++i)
    if (std::strcmp(model.buffers[i].tensor.name, name) == 0)
      return i;
  return -1;
}

size_t dnnrt::staticBytes(const dnn_tensor_info &info) {
  return size_t(staticNumElements(info)) * sizeof(float);
}

size_t dnnrt::paramBytes(const dnn_model_info &model, int32_t i) {
  return staticBytes(model.params[i].tensor);
}

void dnnrt::describeParam(dnn_tensor &out, const dnn_model_info &model, int32_t i,
                          void *data) {
  describeStatic(out, model.params[i].tensor, data);
}

void dnnrt::describeStatic(dnn_tensor &out, const dnn_tensor_info &info, void *data) {
  out.name = info.name;
  out.dtype = info.dtype;
  out.rank = info.rank;
  for (int32_t d = 0; d < DNN_MAX_RANK; ++d)
    out.dims[d] = d < info.rank ? info.dims[d].size : 0;
  out.data = data;
}

MemRef dnnrt::paramMemRef(const dnn_model_info &model, int32_t i, void *data) {
  return staticMemRef(model.params[i].tensor, data);
}

MemRef dnnrt::staticMemRef(const dnn_tensor_info &info, void *data) {
  int64_t dims[DNN_MAX_RANK];
  for (int32_t d = 0; d < info.rank; ++d)
    dims[d] = info.dims[d].size;
  return makeMemRef(data, dims, info.rank);
}

namespace {

/// Names of tensors[indices[0..count)].
std::vector<const char *> tensorNames(const dnn_tensor_info *tensors,
                                      int32_t count, const int32_t *indices) {
  std::vector<const char *> names;
  for (int32_t i = 0; i < count; ++i)
    names.push_back(tensors[indices[i]].name);
  return names;
}

/// "[N=32, 784]": the signature with the symbols bound so far.
std::string expectedShape(const dnn_tensor_info &info,
                          const Bindings &bindings) {
  std::string s = "[";
  for (int32_t i = 0; i < info.rank; ++i) {
    if (i)
      s += ", ";
    const dnn_dim_info &d = info.dims[i];
    if (!d.symbol) {
      s += std::to_string(d.size);
      continue;
    }
    s += d.symbol;
    auto it = bindings.find(d.symbol);
    if (it != bindings.end())
      s += "=" + std::to_string(it->second.value);
  }
  return s + "]";
}

/// " (N bound by input 'x', M bound by input 'y')" for the symbols of `info`
/// that earlier inputs bound; "" if none.
std::string boundByNote(const dnn_tensor_info &info, const Bindings &bindings) {
  std::string note;
  std::vector<std::string> seen;
  for (int32_t i = 0; i < info.rank; ++i) {
    const char *sym = info.dims[i].symbol;
    if (!sym)
      continue;
    auto it = bindings.find(sym);
    if (it == bindings.end())
      continue;
    if (std::find(seen.begin(), seen.end(), sym) != seen.end())
      continue;
    seen.push_back(sym);
    note += note.empty() ? " (" : ", ";
    note += format("%s bound by input '%s'", sym, it->second.boundBy);
  }
  return note.empty() ? note : note + ")";
}

/// Checks input `t` against its signature and binds its symbols.
dnn_status checkInput(const dnn_tensor_info &info, const dnn_tensor &t,
                      Bindings &bindings) {
  if (t.dtype != info.dtype)
    return fail(DNN_ERROR_DTYPE_MISMATCH, "input '%s': expected %s but got %s",
                info.name, dtypeName(info.dtype).c_str(),
                dtypeName(t.dtype).c_str());
  if (t.rank < 0 || t.rank > DNN_MAX_RANK)
    return fail(DNN_ERROR_INVALID_ARGUMENT,
                "input '%s': rank %d is outside [0, %d]", info.name, t.rank,
                DNN_MAX_RANK);
  for (int32_t i = 0; i < t.rank; ++i)
    if (t.dims[i] < 0)
      return fail(DNN_ERROR_INVALID_ARGUMENT,
                  "input '%s': negative size in shape %s", info.name,
                  shapeString(t.dims, t.rank).c_str());

  auto mismatch = [&](const std::string &extra) {
    return fail(DNN_ERROR_SHAPE_MISMATCH,
                "input '%s': expected shape %s%s but got %s%s", info.name,
                expectedShape(info, bindings).c_str(),
                boundByNote(info, bindings).c_str(),
                shapeString(t.dims, t.rank).c_str(), extra.c_str());
  };
  if (t.rank != info.rank)
    return mismatch(format(" (rank %d instead of %d)", t.rank, info.rank));

  // Check against the bindings of earlier inputs first, so the message
  // shows the shape those inputs imply; then bind this input's symbols.
  Bindings mine;
  for (int32_t i = 0; i < info.rank; ++i) {
    const dnn_dim_info &d = info.dims[i];
    int64_t actual = t.dims[i];
    if (!d.symbol) {
      if (actual != d.size)
        return mismatch("");
      continue;
    }
    auto it = bindings.find(d.symbol);
    if (it != bindings.end()) {
      if (actual != it->second.value)
        return mismatch("");
      continue;
    }
    if (actual < 1)
      return mismatch(format(": symbol %s must be at least 1", d.symbol));
    auto [own, inserted] = mine.emplace(d.symbol, Binding{actual, info.name});
    if (!inserted && own->second.value != actual)
      return mismatch(format(": %s cannot be both %lld and %lld", d.symbol,
                             (long long)own->second.value, (long long)actual));
  }
  bindings.insert(mine.begin(), mine.end());
  return DNN_OK;
}

/// Output dims from the signature and the bound symbols.
dnn_status outputDims(const dnn_entry_info &entry, const dnn_tensor_info &info,
                      const Bindings &bindings, int64_t *dims, size_t &bytes) {
  for (int32_t i = 0; i < info.rank; ++i) {
    const dnn_dim_info &d = info.dims[i];
    if (!d.symbol) {
      dims[i] = d.size;
      continue;
    }
    auto it = bindings.find(d.symbol);
    if (it == bindings.end())
      return fail(DNN_ERROR_INTERNAL,
                  "output '%s' of entry '%s' has symbol %s, which no input "
                  "of the entry binds",
                  info.name, entry.name, d.symbol);
    dims[i] = it->second.value;
  }
  int64_t count;
  if (!numElements(dims, info.rank, count) ||
      __builtin_mul_overflow(count, int64_t(dtypeSize(info.dtype)), &count))
    return fail(DNN_ERROR_INVALID_ARGUMENT,
                "output '%s' of shape %s is too "
                "large",
                info.name, shapeString(dims, info.rank).c_str());
  bytes = static_cast<size_t>(count);
  return DNN_OK;
}

void describe(dnn_tensor &out, const dnn_tensor_info &info, const int64_t *dims,
              int32_t rank, void *data) {
  out.name = info.name;
  out.dtype = info.dtype;
  out.rank = rank;
  for (int32_t i = 0; i < DNN_MAX_RANK; ++i)
    out.dims[i] = i < rank ? dims[i] : 0;
  out.data = data;
}

} // namespace

dnn_status dnnrt::bindInputs(const dnn_model_info &model, const dnn_entry_info &entryInfo,
                             int32_t numInputs, const dnn_tensor *inputs,
                             std::vector<const dnn_tensor *> &given, Bindings &bindings,
                             std::vector<int32_t> *deviceLabels) {
  const dnn_entry_info *entry = &entryInfo;
  // Match the given inputs to the entry's, by name.
  given.assign(entry->num_inputs, nullptr);
  for (int32_t i = 0; i < numInputs; ++i) {
    const dnn_tensor &t = inputs[i];
    if (!t.name)
      return fail(DNN_ERROR_INVALID_ARGUMENT, "inputs[%d] has no name", i);
    int32_t slot = -1;
    for (int32_t j = 0; j < entry->num_inputs; ++j)
      if (std::strcmp(model.inputs[entry->inputs[j]].name, t.name) == 0)
        slot = j;
    if (slot < 0)
      return fail(
          DNN_ERROR_NOT_FOUND,
          "entry '%s' has no input '%s'; expected inputs: %s", entry->name,
          t.name,
          joinNames(tensorNames(model.inputs, entry->num_inputs, entry->inputs))
              .c_str());
    if (given[slot])
      return fail(DNN_ERROR_INVALID_ARGUMENT, "input '%s' is given twice",
                  t.name);
    given[slot] = &t;
  }
  for (int32_t j = 0; j < entry->num_inputs; ++j)
    if (!given[j])
      return fail(DNN_ERROR_INVALID_ARGUMENT,
                  "missing input '%s' of entry '%s'",
                  model.inputs[entry->inputs[j]].name, entry->name);

  // Check in the entry's order, so that symbols are always bound by the
  // same input whatever order the caller passed them in.
  for (int32_t j = 0; j < entry->num_inputs; ++j) {
    const dnn_tensor_info &info = model.inputs[entry->inputs[j]];
    const dnn_tensor &t = *given[j];
    if (dnn_status s = checkInput(info, t, bindings))
      return s;
    int64_t count;
    if (!numElements(t.dims, t.rank, count))
      return fail(DNN_ERROR_INVALID_ARGUMENT, "input '%s' is too large",
                  info.name);
    if (!t.data && count > 0)
      return fail(DNN_ERROR_INVALID_ARGUMENT, "input '%s' has no data",
                  info.name);
    // Class indices out of range would be clamped by the loss but not by
    // its gradient (and read out of bounds by one_hot's): refuse them.
    int64_t bound = model.input_index_bounds
                        ? model.input_index_bounds[entry->inputs[j]]
                        : 0;
    if (bound > 0 && t.dtype == DNN_DTYPE_I32) {
      const int32_t *labels = static_cast<const int32_t *>(t.data);
      if (deviceLabels && count > 0) {
        deviceLabels->resize(size_t(count));
        if (!cuda::copyToHost(deviceLabels->data(), t.data, size_t(count) * sizeof(int32_t)))
          return fail(DNN_ERROR_INVALID_ARGUMENT,
                      "input '%s': cannot read its class indices from the device: %s",
                      info.name, dnn_last_error());
        labels = deviceLabels->data();
      }
      for (int64_t k = 0; k < count; ++k)
        if (labels[k] < 0 || labels[k] >= bound)
          return fail(DNN_ERROR_INVALID_ARGUMENT,
                      "input '%s': element %lld is %d, outside the class "
                      "indices [0, %lld) of this model",
                      info.name, (long long)k, labels[k], (long long)bound);
    }
  }

  return DNN_OK;
}

namespace {

dnn_status run(dnn_session &session, const char *entryName, int32_t numInputs,
               const dnn_tensor *inputs, int32_t numOutputs,
               dnn_tensor *outputs) {
  const dnn_model_info &model = *session.model;
  const dnn_entry_info *entry = findEntry(model, entryName);
  if (!entry) {
    std::vector<const char *> names;
    for (int32_t i = 0; i < model.num_entries; ++i)
      names.push_back(model.entries[i].name);
    return fail(DNN_ERROR_NOT_FOUND,
                "model '%s' has no entry '%s'; entries: %s", model.name,
                entryName, joinNames(names).c_str());
  }

  if (entry->kind == DNN_ENTRY_GRAD || entry->kind == DNN_ENTRY_TRAIN_STEP)
    return fail(DNN_ERROR_INVALID_ARGUMENT,
                "entry '%s' is run with dnn_session_%s, not dnn_session_run", entry->name,
                entry->kind == DNN_ENTRY_GRAD ? "grad" : "train_step");
  std::vector<const dnn_tensor *> &given = session.given;
  Bindings bindings;
  if (dnn_status s = bindInputs(model, *entry, numInputs, inputs, given, bindings,
                                session.callerDataOnDevice ? &session.deviceLabels : nullptr))
    return s;

  // Match the requested outputs.
  std::vector<dnn_tensor *> &requested = session.requested;
  requested.assign(entry->num_outputs, nullptr);
  for (int32_t i = 0; i < numOutputs; ++i) {
    dnn_tensor &t = outputs[i];
    if (!t.name)
      return fail(DNN_ERROR_INVALID_ARGUMENT, "outputs[%d] has no name", i);
    int32_t slot = -1;
    for (int32_t j = 0; j < entry->num_outputs; ++j)
      if (std::strcmp(model.outputs[entry->outputs[j]].name, t.name) == 0)
        slot = j;
    if (slot < 0)
      return fail(DNN_ERROR_NOT_FOUND,
                  "entry '%s' has no output '%s'; outputs: %s", entry->name,
                  t.name,
                  joinNames(tensorNames(model.outputs, entry->num_outputs,
                                        entry->outputs))
                      .c_str());
    if (requested[slot])
      return fail(DNN_ERROR_INVALID_ARGUMENT, "output '%s' is requested twice",
                  t.name);
    requested[slot] = &t;
  }

  // Shapes and buffers of the outputs. Outputs that go to the session get
  // their buffers now (this can fail), before anything is overwritten.
  std::vector<OutPlan> &plans = session.plans;
  plans.assign(entry->num_outputs, OutPlan{});
  for (int32_t j = 0; j < entry->num_outputs; ++j) {
    const dnn_tensor_info &info = model.outputs[entry->outputs[j]];
    if (dnn_status s =
            outputDims(*entry, info, bindings, plans[j].dims, plans[j].bytes))
      return s;
    plans[j].data = requested[j] ? requested[j]->data : nullptr;
    plans[j].inSession = !plans[j].data;
  }
  for (int32_t j = 0; j < entry->num_outputs; ++j) {
    if (!plans[j].inSession)
      continue;
    KeptOutput &kept = session.outputs[entry->outputs[j]];
    if (kept.buffer.capacity() < plans[j].bytes ||
        kept.buffer.capacity() == 0) {
      kept.valid = false; // Its old data goes with the old buffer.
      kept.buffer = Buffer(plans[j].bytes, Buffer::Contents::Zeroed, session.memory);
    }
    plans[j].data = kept.buffer.data();
  }

  // Descriptors: params, inputs, outputs (model.h).
  session.memrefs.clear();
  beginStaging(session);
  appendEntryArguments(model, *entry, session.memrefs, [&](ArgRole role, int32_t i, int32_t) {
    if (role == ArgRole::Param)
      return paramMemRef(model, i, session.params[i].data());
    if (role == ArgRole::Buffer)
      return staticMemRef(model.buffers[i].tensor, session.buffers[i].data());
    if (role == ArgRole::Input)
      return stagedInput(session, *given[i]);
    // predict and eval have no other roles than their outputs.
    void *data = plans[i].inSession
                     ? plans[i].data
                     : stagedOutput(session, plans[i].data, plans[i].bytes);
    return makeMemRef(data, plans[i].dims, model.outputs[entry->outputs[i]].rank);
  });

  // The previous run's outputs are gone.
  for (KeptOutput &kept : session.outputs)
    kept.valid = false;
  if (dnn_status s = callEntry(session, *entry, bindings))
    return s;

  for (int32_t j = 0; j < entry->num_outputs; ++j) {
    const dnn_tensor_info &info = model.outputs[entry->outputs[j]];
    if (requested[j])
      describe(*requested[j], info, plans[j].dims, info.rank, plans[j].data);
    if (plans[j].inSession) {
      KeptOutput &kept = session.outputs[entry->outputs[j]];
      kept.valid = true;
      kept.rank = info.rank;
      std::copy(plans[j].dims, plans[j].dims + info.rank, kept.dims);
    }
  }
  return DNN_OK;
}

} // namespace

dnn_status dnnrt::callEntry(dnn_session &session, const dnn_entry_info &entry,
                           const Bindings &bindings) {
  dnn_entry_fn fn = entry.fn;
  dnn_workspace_fn workspace = entry.workspace;
  if (entry.specialized_fn) {
    auto it = bindings.find(entry.specialized_symbol);
    if (it != bindings.end() && it->second.value == entry.specialized_size) {
      fn = entry.specialized_fn;
      workspace = entry.specialized_workspace;
    }
  }
  std::vector<void *> &args = session.args;
  args.clear();
  for (MemRef &m : session.memrefs)
    args.push_back(&m);
  if (workspace) {
    int64_t bytes = workspace(args.data());
    if (bytes < 0)
      return fail(DNN_ERROR_INTERNAL, "entry '%s' asked for a workspace of %lld bytes",
                  entry.name, static_cast<long long>(bytes));
    if (session.workspace.capacity() < static_cast<uint64_t>(bytes)) {
      session.workspace = Buffer(); // Free the old one before taking a larger one.
      try {
        session.workspace = Buffer(static_cast<size_t>(bytes), Buffer::Contents::Uninitialized,
                                   session.memory);
      } catch (const std::bad_alloc &) {
        return fail(DNN_ERROR_OUT_OF_MEMORY,
                    "entry '%s' needs a workspace of %lld bytes for these shapes, "
                    "which could not be allocated",
                    entry.name, static_cast<long long>(bytes));
      }
    }
    // The workspace goes last; adding it may move the descriptors.
    session.memrefs.push_back(makeMemRef(session.workspace.data(), &bytes, 1));
    args.clear();
    for (MemRef &m : session.memrefs)
      args.push_back(&m);
  }
  if (session.memory == Memory::CUDAManaged && !session.cudaStream) {
    session.cudaStream = cuda::createStream();
    if (!session.cudaStream)
      return fail(DNN_ERROR_NO_DEVICE, "model '%s': %s", session.model->name, dnn_last_error());
  }
  if (session.memory == Memory::CUDAManaged)
    cuda::setEntryStream(static_cast<cuda::CUstream>(session.cudaStream));
  fn(args.data());
  if (session.memory == Memory::CUDAManaged) {
    // All kernels on the session's stream: one wait, then the host may read.
    cuda::setEntryStream(nullptr);
    cuda::synchronize(static_cast<cuda::CUstream>(session.cudaStream));
    // Launches cannot return a status: the first failure was kept.
    std::string error = cuda::takePendingError();
    if (!error.empty()) {
      beginStaging(session);
      return fail(DNN_ERROR_NO_DEVICE, "entry '%s' of model '%s' failed on the GPU: %s",
                  entry.name, session.model->name, error.c_str());
    }
    finishStaging(session);
  }
  return DNN_OK;
}

extern "C" dnn_status dnn_session_set_data_location(dnn_session *session, int32_t location) {
  return guarded([&]() -> dnn_status {
    if (!session)
      return fail(DNN_ERROR_INVALID_ARGUMENT, "dnn_session_set_data_location: session is null");
    if (location != DNN_DATA_HOST && location != DNN_DATA_DEVICE)
      return fail(DNN_ERROR_INVALID_ARGUMENT,
                  "dnn_session_set_data_location: unknown location %d (DNN_DATA_HOST 0, "
                  "DNN_DATA_DEVICE 1)",
                  location);
    if (location == DNN_DATA_DEVICE && session->memory != Memory::CUDAManaged)
      return fail(DNN_ERROR_INVALID_ARGUMENT,
                  "model '%s' runs on the CPU: its sessions take host memory only",
                  session->model->name);
    session->callerDataOnDevice = location == DNN_DATA_DEVICE;
    return DNN_OK;
  });
}

extern "C" dnn_status dnn_session_create(const dnn_model_info *model,
                                         dnn_session **out) {
  if (out)
    *out = nullptr;
  return guarded([&]() -> dnn_status {
    if (!model || !out)
      return fail(DNN_ERROR_INVALID_ARGUMENT,
                  "dnn_session_create: model and out must not be null");
    if (dnn_status s = checkModel(*model))
      return s;
    // The library loaded without a driver; its sessions need one.
    if (model->device == DNN_DEVICE_CUDA && !cuda::getDriver())
      return fail(DNN_ERROR_NO_DEVICE, "model '%s' runs on CUDA (%s): %s", model->name,
                  model->device_archs, dnn_last_error());
    auto session = std::make_unique<dnn_session>();
    if (model->device == DNN_DEVICE_CUDA)
      session->memory = Memory::CUDAManaged;
    session->model = model;
    session->params.reserve(model->num_params);
    for (int32_t i = 0; i < model->num_params; ++i) {
      int64_t count = staticNumElements(model->params[i].tensor);
      if (count > int64_t(SIZE_MAX / sizeof(float)))
        throw std::bad_alloc();
      session->params.emplace_back(static_cast<size_t>(count) * sizeof(float),
                                   Buffer::Contents::Zeroed, session->memory);
    }
    for (int32_t i = 0; i < model->num_buffers; ++i)
      session->buffers.emplace_back(staticBytes(model->buffers[i].tensor),
                                    Buffer::Contents::Zeroed, session->memory);
    session->outputs.resize(model->num_outputs);
    // The optimizer's state, zeroed, and its learning rate; the training
    // entries (Training.cpp) update both.
    int32_t slots = numStateSlots(*model);
    for (int32_t i = 0; i < model->num_params; ++i)
      for (int32_t k = 0; k < slots; ++k)
        session->state.emplace_back(paramBytes(*model, i), Buffer::Contents::Zeroed,
                                    session->memory);
    if (const dnn_optimizer_info *opt = model->optimizer)
      for (int32_t h = 0; h < opt->num_hyperparameters; ++h)
        if (std::strcmp(opt->hyperparameters[h].name, "lr") == 0)
          session->learningRate = opt->hyperparameters[h].value;
    *out = session.release();
    return DNN_OK;
  });
}

dnn_session::~dnn_session() {
  if (cudaStream)
    dnnrt::cuda::destroyStream(static_cast<dnnrt::cuda::CUstream>(cudaStream));
}

extern "C" void dnn_session_destroy(dnn_session *session) { delete session; }

extern "C" const dnn_model_info *dnn_session_model(const dnn_session *session) {
  return session ? session->model : nullptr;
}

extern "C" dnn_status dnn_session_param(dnn_session *session, const char *name,
                                        dnn_tensor *tensor) {
  return guarded([&]() -> dnn_status {
    if (!session || !name || !tensor)
      return fail(DNN_ERROR_INVALID_ARGUMENT,
                  "dnn_session_param: session, name and tensor must not be "
                  "null");
    const dnn_model_info &model = *session->model;
    // Buffers (batch_norm's running statistics) are read the same way.
    if (int32_t b = findBuffer(model, name); b >= 0) {
      describeStatic(*tensor, model.buffers[b].tensor, session->buffers[b].data());
      return DNN_OK;
    }
    int32_t i = findParam(model, name);
    if (i < 0)
      return DNN_ERROR_NOT_FOUND;
    describeParam(*tensor, model, i, session->params[i].data());
    return DNN_OK;
  });
}

extern "C" dnn_status dnn_session_run(dnn_session *session, const char *entry,
                                      int32_t num_inputs,
                                      const dnn_tensor *inputs,
                                      int32_t num_outputs,
                                      dnn_tensor *outputs) {
  return guarded([&]() -> dnn_status {
    if (!session || !entry)
      return fail(DNN_ERROR_INVALID_ARGUMENT,
                  "dnn_session_run: session and entry must not be null");
    if (num_inputs < 0 || (num_inputs > 0 && !inputs))
      return fail(DNN_ERROR_INVALID_ARGUMENT,
                  "dnn_session_run: malformed input list");
    if (num_outputs < 0 || (num_outputs > 0 && !outputs))
      return fail(DNN_ERROR_INVALID_ARGUMENT,
                  "dnn_session_run: malformed output list");
    return run(*session, entry, num_inputs, inputs, num_outputs, outputs);
  });
}

extern "C" dnn_status dnn_session_output(dnn_session *session, const char *name,
                                         dnn_tensor *tensor) {
  return guarded([&]() -> dnn_status {
    if (!session || !name || !tensor)
      return fail(DNN_ERROR_INVALID_ARGUMENT,
                  "dnn_session_output: session, name and tensor must not be "
                  "null");
    const dnn_model_info &model = *session->model;
    std::vector<const char *> names;
    for (int32_t i = 0; i < model.num_outputs; ++i) {
      const dnn_tensor_info &info = model.outputs[i];
      if (std::strcmp(info.name, name) != 0) {
        names.push_back(info.name);
        continue;
      }
      const KeptOutput &kept = session->outputs[i];
      if (!kept.valid)
        return fail(DNN_ERROR_NOT_FOUND,
                    "output '%s' is not in the session: the last run did not "
                    "compute it into a session buffer",
                    name);
      describe(*tensor, info, kept.dims, kept.rank, kept.buffer.data());
      return DNN_OK;
    }
    return fail(DNN_ERROR_NOT_FOUND,
                "model '%s' has no output '%s'; outputs: %s", model.name, name,
                joinNames(names).c_str());
  });
}
