//===- Library.cpp - Checking and searching library descriptors -----------===//
//
// A descriptor is data written by the compiler into another binary; the
// runtime checks it once (dnn_check_library, dnn_session_create) so that the
// rest of the runtime can trust it.
//
//===----------------------------------------------------------------------===//

#include "Internal.h"

#include <cstring>

using namespace dnnrt;

namespace {

dnn_status invalid(const char *model, const std::string &what) {
  return fail(DNN_ERROR_INVALID_ARGUMENT, "invalid model '%s': %s",
              model ? model : "(null)", what.c_str());
}

/// Checks one tensor signature; `kind` is "input", "output" or "param".
dnn_status checkTensor(const char *model, const char *kind, int32_t index,
                       const dnn_tensor_info &t, bool mustBeStatic) {
  if (!t.name || !*t.name)
    return invalid(model, format("%s %d has no name", kind, index));
  if (t.dtype != DNN_DTYPE_F32 && t.dtype != DNN_DTYPE_I32)
    return invalid(
        model, format("%s '%s' has unknown dtype %d", kind, t.name, t.dtype));
  if (t.rank < 0 || t.rank > DNN_MAX_RANK)
    return invalid(model, format("%s '%s' has rank %d, outside [0, %d]", kind,
                                 t.name, t.rank, DNN_MAX_RANK));
  if (t.rank > 0 && !t.dims)
    return invalid(
        model, format("%s '%s' has rank %d but no dims", kind, t.name, t.rank));
  for (int32_t i = 0; i < t.rank; ++i) {
    const dnn_dim_info &d = t.dims[i];
    if (d.symbol) {
      if (!*d.symbol || d.size != -1)
        return invalid(model, format("%s '%s': dim %d is a malformed symbol",
                                     kind, t.name, i));
      if (mustBeStatic)
        return invalid(model, format("%s '%s' has symbolic dim %s", kind,
                                     t.name, d.symbol));
    } else if (d.size < 0) {
      return invalid(model, format("%s '%s': dim %d has size %lld and no "
                                   "symbol",
                                   kind, t.name, i, (long long)d.size));
    }
  }
  return DNN_OK;
}

/// Fails if two of the `count` names are equal.
template <typename T, typename GetName>
dnn_status checkUnique(const char *model, const char *kind, const T *items,
                       int32_t count, GetName getName) {
  for (int32_t i = 0; i < count; ++i)
    for (int32_t j = 0; j < i; ++j)
      if (std::strcmp(getName(items[i]), getName(items[j])) == 0)
        return invalid(model,
                       format("two %ss named '%s'", kind, getName(items[i])));
  return DNN_OK;
}

dnn_status checkIndices(const char *model, const dnn_entry_info &e,
                        const char *kind, int32_t count, const int32_t *indices,
                        int32_t limit) {
  if (count < 0 || (count > 0 && !indices))
    return invalid(model,
                   format("entry '%s' has a malformed %s list", e.name, kind));
  for (int32_t i = 0; i < count; ++i) {
    if (indices[i] < 0 || indices[i] >= limit)
      return invalid(model, format("entry '%s': %s index %d is out of range "
                                   "[0, %d)",
                                   e.name, kind, indices[i], limit));
    for (int32_t j = 0; j < i; ++j)
      if (indices[j] == indices[i])
        return invalid(model, format("entry '%s' lists %s %d twice", e.name,
                                     kind, indices[i]));
  }
  return DNN_OK;
}

} // namespace

dnn_status dnnrt::checkModel(const dnn_model_info &m) {
  const char *name = m.name;
  if (!name || !*name)
    return invalid(name, "the model has no name");
  auto checkList = [&](int32_t count, const void *items, const char *kind) {
    if (count < 0 || (count > 0 && !items))
      return invalid(name, format("malformed %s list", kind));
    return DNN_OK;
  };
  if (m.device != DNN_DEVICE_CPU && m.device != DNN_DEVICE_CUDA)
    return invalid(name, format("unknown device kind %d", m.device));
  if (m.device == DNN_DEVICE_CUDA && !m.device_archs)
    return invalid(name, "a CUDA model without its architectures");
  if (dnn_status s = checkList(m.num_inputs, m.inputs, "input"))
    return s;
  if (dnn_status s = checkList(m.num_outputs, m.outputs, "output"))
    return s;
  if (dnn_status s = checkList(m.num_params, m.params, "param"))
    return s;
  if (dnn_status s = checkList(m.num_entries, m.entries, "entry"))
    return s;

  for (int32_t i = 0; i < m.num_inputs; ++i)
    if (dnn_status s = checkTensor(name, "input", i, m.inputs[i], false))
      return s;
  for (int32_t i = 0; i < m.num_outputs; ++i)
    if (dnn_status s = checkTensor(name, "output", i, m.outputs[i], false))
      return s;
  // Params and buffers: static f32 tensors with an initializer.
  auto checkStatic = [&](const char *kind, int32_t i,
                         const dnn_param_info &p) -> dnn_status {
    if (dnn_status s = checkTensor(name, kind, i, p.tensor, true))
      return s;
    if (p.tensor.dtype != DNN_DTYPE_F32)
      return invalid(name, format("%s '%s' is not f32", kind, p.tensor.name));
    if (staticNumElements(p.tensor) < 0)
      return invalid(name, format("%s '%s' is too large", kind, p.tensor.name));
    if (p.init < DNN_INIT_ZEROS || p.init > DNN_INIT_HE_NORMAL)
      return invalid(name, format("%s '%s' has unknown initializer %d",
                                  kind, p.tensor.name, p.init));
    if (p.num_init_args < 0 || (p.num_init_args > 0 && !p.init_args))
      return invalid(name, format("%s '%s' has a malformed argument list",
                                  kind, p.tensor.name));
    for (int32_t a = 0; a < p.num_init_args; ++a)
      if (!p.init_args[a].name)
        return invalid(name, format("%s '%s': initializer argument %d has "
                                    "no name",
                                    kind, p.tensor.name, a));
    if (p.fan_in < 0 || p.fan_out < 0)
      return invalid(name,
                     format("%s '%s' has negative fans", kind, p.tensor.name));
    return DNN_OK;
  };
  if (dnn_status s = checkList(m.num_buffers, m.buffers, "buffer"))
    return s;
  for (int32_t i = 0; i < m.num_params; ++i)
    if (dnn_status s = checkStatic("param", i, m.params[i]))
      return s;
  for (int32_t i = 0; i < m.num_buffers; ++i)
    if (dnn_status s = checkStatic("buffer", i, m.buffers[i]))
      return s;
  for (int32_t i = 0; i < m.num_entries; ++i) {
    const dnn_entry_info &e = m.entries[i];
    if (!e.name || !*e.name)
      return invalid(name, format("entry %d has no name", i));
    if (!e.fn)
      return invalid(name, format("entry '%s' has no function", e.name));
    if (e.kind < DNN_ENTRY_PREDICT || e.kind > DNN_ENTRY_TRAIN_STEP)
      return invalid(name, format("entry '%s' has unknown kind %d", e.name, e.kind));
    if ((e.kind == DNN_ENTRY_GRAD || e.kind == DNN_ENTRY_TRAIN_STEP) && m.loss < 0)
      return invalid(name, format("entry '%s' needs a loss", e.name));
    if (e.kind == DNN_ENTRY_TRAIN_STEP && !m.optimizer)
      return invalid(name, format("entry '%s' needs an optimizer", e.name));
    if (dnn_status s = checkIndices(name, e, "input", e.num_inputs, e.inputs,
                                    m.num_inputs))
      return s;
    if (dnn_status s = checkIndices(name, e, "output", e.num_outputs, e.outputs,
                                    m.num_outputs))
      return s;
    if (e.specialized_fn && (!e.specialized_symbol || e.specialized_size < 1))
      return invalid(name, format("entry '%s' has a specialized copy without a symbol and size",
                                  e.name));
  }
  if (m.num_saved < 0 || (m.num_saved > 0 && !m.saved))
    return invalid(name, "malformed list of saved activations");
  // Only read for reports: a symbolic dim may have no symbol (size -1).
  for (int32_t i = 0; i < m.num_saved; ++i) {
    const dnn_tensor_info &t = m.saved[i];
    if (!t.name || t.rank < 0 || t.rank > DNN_MAX_RANK || (t.rank > 0 && !t.dims))
      return invalid(name, format("saved activation %d is malformed", i));
  }

  if (m.input_index_bounds)
    for (int32_t i = 0; i < m.num_inputs; ++i) {
      int64_t bound = m.input_index_bounds[i];
      if (bound < 0 || (bound > 0 && m.inputs[i].dtype != DNN_DTYPE_I32))
        return invalid(name, format("input '%s' has a bad class-index bound %lld",
                                    m.inputs[i].name, (long long)bound));
    }

  if (m.num_training_checks < 0 || (m.num_training_checks > 0 && !m.training_checks))
    return invalid(name, "malformed list of training checks");
  for (int32_t i = 0; i < m.num_training_checks; ++i) {
    const dnn_training_check &c = m.training_checks[i];
    if (!c.what || c.num_symbols < 0 || (c.num_symbols > 0 && !c.symbols))
      return invalid(name, format("training check %d is malformed", i));
    for (int32_t k = 0; k < c.num_symbols; ++k)
      if (!c.symbols[k])
        return invalid(name, format("training check %d has a symbol without a name", i));
  }

  if (m.loss < -1 || m.loss >= m.num_outputs)
    return invalid(name, format("loss index %d is out of range", m.loss));
  if (m.loss >= 0 && (m.outputs[m.loss].rank != 0 || m.outputs[m.loss].dtype != DNN_DTYPE_F32))
    return invalid(name, "the loss is not an f32 scalar");
  if (const dnn_optimizer_info *o = m.optimizer) {
    if (!dnn_optimizer_kind_name(o->kind))
      return invalid(name, format("unknown optimizer kind %d", o->kind));
    if (o->num_hyperparameters < 0 || (o->num_hyperparameters > 0 && !o->hyperparameters) ||
        o->num_slots < 0 || (o->num_slots > 0 && !o->slots))
      return invalid(name, "malformed optimizer description");
    for (int32_t k = 0; k < o->num_slots; ++k)
      if (!o->slots[k] || !*o->slots[k])
        return invalid(name, format("optimizer state %d has no name", k));
  }

  auto tensorName = [](const dnn_tensor_info &t) { return t.name; };
  if (dnn_status s =
          checkUnique(name, "input", m.inputs, m.num_inputs, tensorName))
    return s;
  if (dnn_status s =
          checkUnique(name, "output", m.outputs, m.num_outputs, tensorName))
    return s;
  if (dnn_status s =
          checkUnique(name, "param", m.params, m.num_params,
                      [](const dnn_param_info &p) { return p.tensor.name; }))
    return s;
  return checkUnique(name, "entry", m.entries, m.num_entries,
                     [](const dnn_entry_info &e) { return e.name; });
}

extern "C" uint32_t dnn_runtime_abi_version(void) { return DNN_ABI_VERSION; }

extern "C" dnn_status dnn_check_library(const dnn_library_info *library) {
  return guarded([&]() -> dnn_status {
    if (!library)
      return fail(DNN_ERROR_INVALID_ARGUMENT, "library descriptor is null");
    if (library->abi_version != DNN_ABI_VERSION)
      return fail(DNN_ERROR_ABI_MISMATCH,
                  "library '%s' was built for dnn ABI version %u, but this "
                  "runtime implements ABI version %u; recompile the model",
                  library->producer ? library->producer : "(unknown producer)",
                  library->abi_version, DNN_ABI_VERSION);
    if (library->num_models < 0 ||
        (library->num_models > 0 && !library->models))
      return fail(DNN_ERROR_INVALID_ARGUMENT,
                  "library descriptor has a malformed model list");
    for (int32_t i = 0; i < library->num_models; ++i)
      if (dnn_status s = checkModel(library->models[i]))
        return s;
    for (int32_t i = 0; i < library->num_models; ++i)
      for (int32_t j = 0; j < i; ++j)
        if (std::strcmp(library->models[i].name, library->models[j].name) == 0)
          return fail(DNN_ERROR_INVALID_ARGUMENT,
                      "library descriptor has two models named '%s'",
                      library->models[i].name);
    return DNN_OK;
  });
}

extern "C" const dnn_model_info *dnn_find_model(const dnn_library_info *library,
                                                const char *name) {
  const dnn_model_info *found = nullptr;
  guarded([&]() -> dnn_status {
    if (!library || !name)
      return fail(DNN_ERROR_INVALID_ARGUMENT,
                  "dnn_find_model: library and name must not be null");
    if (library->num_models < 0 ||
        (library->num_models > 0 && !library->models))
      return fail(DNN_ERROR_INVALID_ARGUMENT,
                  "library descriptor has a malformed model list");
    std::vector<const char *> names;
    for (int32_t i = 0; i < library->num_models; ++i) {
      const dnn_model_info &m = library->models[i];
      if (m.name && std::strcmp(m.name, name) == 0) {
        found = &m;
        return DNN_OK;
      }
      if (m.name)
        names.push_back(m.name);
    }
    return fail(DNN_ERROR_NOT_FOUND, "no model '%s' in the library; models: %s",
                name, joinNames(names).c_str());
  });
  return found;
}
