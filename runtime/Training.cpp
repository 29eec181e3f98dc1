//===- Training.cpp - Gradients and optimizer steps in a session ----------===//
//
// The compiled train_step updates the session's params and optimizer state
// in place (model.h), so a view from dnn_session_param always shows the
// current values; grad writes one gradient per param into the session. The
// session (Session.cpp) holds the optimizer state, the step counter and the
// learning rate; this file runs the grad and train_step entries on them and
// reads and sets them. It depends on the session, not the other way round.
//
//===----------------------------------------------------------------------===//

#include "Internal.h"

#include <cstring>

using namespace dnnrt;

namespace {

const dnn_entry_info *findEntryOfKind(const dnn_model_info &model, int32_t kind) {
  for (int32_t i = 0; i < model.num_entries; ++i)
    if (model.entries[i].kind == kind)
      return &model.entries[i];
  return nullptr;
}

/// The sizes training needs (dnn_training_check): batch_norm's values per
/// channel, a product of symbols, must be at least 2.
dnn_status checkTrainingSizes(const dnn_model_info &model, const Bindings &bindings) {
  for (int32_t i = 0; i < model.num_training_checks; ++i) {
    const dnn_training_check &check = model.training_checks[i];
    // Symbols the entry's inputs do not bind are not checked. (No strings
    // unless the check fails: a steady-state step allocates nothing.)
    // Bound symbols are at least 1, so their product is below 2 only when
    // every one is 1 (and no product can overflow).
    bool bound = false, anyAbove1 = false;
    for (int32_t k = 0; k < check.num_symbols; ++k)
      if (auto it = bindings.find(check.symbols[k]); it != bindings.end()) {
        bound = true;
        anyAbove1 |= it->second.value >= 2;
      }
    if (!bound || anyAbove1)
      continue;
    std::string sizes;
    for (int32_t k = 0; k < check.num_symbols; ++k)
      if (auto it = bindings.find(check.symbols[k]); it != bindings.end())
        sizes += format("%s%s = %lld (from input '%s')", sizes.empty() ? "" : ", ",
                        check.symbols[k], (long long)it->second.value, it->second.boundBy);
    return fail(DNN_ERROR_SHAPE_MISMATCH,
                "%s needs more than one value per channel in training, but %s; train with "
                "batches of at least 2 (torch refuses this too)",
                check.what, sizes.c_str());
  }
  return DNN_OK;
}

/// Runs the grad or train_step entry; the loss goes to `loss`.
dnn_status runTraining(dnn_session &session, int32_t kind, int32_t numInputs,
                       const dnn_tensor *inputs, double *loss) {
  const dnn_model_info &model = *session.model;
  const dnn_entry_info *entry = findEntryOfKind(model, kind);
  bool train = kind == DNN_ENTRY_TRAIN_STEP;
  if (!entry)
    return fail(DNN_ERROR_NOT_FOUND,
                train ? "model '%s' cannot be trained: it has no loss or no `train with` "
                        "optimizer"
                      : "model '%s' has no gradients: it has no loss",
                model.name);
  std::vector<const dnn_tensor *> &given = session.given;
  Bindings bindings;
  if (dnn_status s = bindInputs(model, *entry, numInputs, inputs, given, bindings,
                                session.callerDataOnDevice ? &session.deviceLabels : nullptr))
    return s;
  if (dnn_status s = checkTrainingSizes(model, bindings))
    return s;

  if (!train && session.grads.empty())
    for (int32_t i = 0; i < model.num_params; ++i)
      session.grads.emplace_back(paramBytes(model, i), Buffer::Contents::Zeroed, session.memory);
  double lr = session.learningRate;
  int32_t step = 0;
  if (train) {
    if (session.step >= INT32_MAX)
      return fail(DNN_ERROR_INVALID_ARGUMENT, "the step counter has reached %d", INT32_MAX);
    step = static_cast<int32_t>(session.step + 1);
  }
  float lossValue = 0;
  // grad draws the masks of the step that would run next.
  uint64_t key = dnn_step_key(session.seed, train ? step : session.step + 1);

  // Arguments in the order of model.h: train_step updates the session's
  // params and state in place; the entry's one output is the loss.
  int32_t slots = numStateSlots(model);
  session.memrefs.clear();
  beginStaging(session);
  // On a CUDA device the scalars and inputs go through managed memory.
  auto scalar = [&](void *data, size_t bytes, bool isOutput) {
    return makeMemRef(stageForDevice(session, data, bytes, isOutput), nullptr, 0);
  };
  appendEntryArguments(model, *entry, session.memrefs, [&](ArgRole role, int32_t i, int32_t k) {
    switch (role) {
    case ArgRole::Param:
      return paramMemRef(model, i, session.params[i].data());
    case ArgRole::State:
      return paramMemRef(model, i, session.state[i * slots + k].data());
    case ArgRole::Buffer:
      return staticMemRef(model.buffers[i].tensor, session.buffers[i].data());
    case ArgRole::Key:
      return scalar(&key, sizeof key, false);
    case ArgRole::Gradient:
      return paramMemRef(model, i, session.grads[i].data());
    case ArgRole::Input:
      return stagedInput(session, *given[i]);
    case ArgRole::Lr:
      return scalar(&lr, sizeof lr, false);
    case ArgRole::Step:
      return scalar(&step, sizeof step, false);
    case ArgRole::Output:
      break;
    }
    return scalar(&lossValue, sizeof lossValue, true);
  });

  session.gradsValid = false;
  if (dnn_status s = callEntry(session, *entry, bindings))
    return s;
  if (train)
    session.step = step;
  else
    session.gradsValid = true;
  if (loss)
    *loss = lossValue;
  return DNN_OK;
}

} // namespace

extern "C" dnn_status dnn_session_train_step(dnn_session *session, int32_t num_inputs,
                                              const dnn_tensor *inputs, double *loss) {
  return guarded([&]() -> dnn_status {
    if (!session || num_inputs < 0 || (num_inputs > 0 && !inputs))
      return fail(DNN_ERROR_INVALID_ARGUMENT,
                  "dnn_session_train_step: null session or malformed input list");
    return runTraining(*session, DNN_ENTRY_TRAIN_STEP, num_inputs, inputs, loss);
  });
}

extern "C" dnn_status dnn_session_grad(dnn_session *session, int32_t num_inputs,
                                        const dnn_tensor *inputs, double *loss) {
  return guarded([&]() -> dnn_status {
    if (!session || num_inputs < 0 || (num_inputs > 0 && !inputs))
      return fail(DNN_ERROR_INVALID_ARGUMENT,
                  "dnn_session_grad: null session or malformed input list");
    return runTraining(*session, DNN_ENTRY_GRAD, num_inputs, inputs, loss);
  });
}

extern "C" dnn_status dnn_session_gradient(dnn_session *session, const char *param,
                                            dnn_tensor *tensor) {
  return guarded([&]() -> dnn_status {
    if (!session || !param || !tensor)
      return fail(DNN_ERROR_INVALID_ARGUMENT,
                  "dnn_session_gradient: session, param and tensor must not be null");
    const dnn_model_info &model = *session->model;
    int32_t i = findParam(model, param);
    if (i < 0)
      return DNN_ERROR_NOT_FOUND;
    if (!session->gradsValid)
      return fail(DNN_ERROR_NOT_FOUND,
                  "no gradient of '%s': run dnn_session_grad first", param);
    describeParam(*tensor, model, i, session->grads[i].data());
    return DNN_OK;
  });
}

extern "C" dnn_status dnn_session_optimizer_state(dnn_session *session, const char *param,
                                                   const char *slot, dnn_tensor *tensor) {
  return guarded([&]() -> dnn_status {
    if (!session || !param || !slot || !tensor)
      return fail(DNN_ERROR_INVALID_ARGUMENT,
                  "dnn_session_optimizer_state: arguments must not be null");
    const dnn_model_info &model = *session->model;
    int32_t i = findParam(model, param);
    if (i < 0)
      return DNN_ERROR_NOT_FOUND;
    int32_t slots = numStateSlots(model);
    std::vector<const char *> names;
    for (int32_t k = 0; k < slots; ++k) {
      if (std::strcmp(model.optimizer->slots[k], slot) == 0) {
        describeParam(*tensor, model, i, session->state[i * slots + k].data());
        return DNN_OK;
      }
      names.push_back(model.optimizer->slots[k]);
    }
    return fail(DNN_ERROR_NOT_FOUND, "the optimizer of model '%s' has no state '%s'; state: %s",
                model.name, slot, names.empty() ? "none" : joinNames(names).c_str());
  });
}

extern "C" dnn_status dnn_session_reset_optimizer(dnn_session *session) {
  return guarded([&]() -> dnn_status {
    if (!session)
      return fail(DNN_ERROR_INVALID_ARGUMENT, "dnn_session_reset_optimizer: null session");
    for (Buffer &b : session->state)
      std::memset(b.data(), 0, b.capacity());
    session->step = 0;
    return DNN_OK;
  });
}

extern "C" dnn_status dnn_session_set_learning_rate(dnn_session *session, double lr) {
  return guarded([&]() -> dnn_status {
    if (!session)
      return fail(DNN_ERROR_INVALID_ARGUMENT, "dnn_session_set_learning_rate: null session");
    if (!(lr > 0) || lr > 3.4e38)
      return fail(DNN_ERROR_INVALID_ARGUMENT, "learning rate %g must be positive and finite",
                  lr);
    session->learningRate = lr;
    return DNN_OK;
  });
}

extern "C" double dnn_session_learning_rate(const dnn_session *session) {
  return session ? session->learningRate : 0.0;
}

extern "C" int64_t dnn_session_step(const dnn_session *session) {
  return session ? session->step : 0;
}

extern "C" dnn_status dnn_session_set_step(dnn_session *session, int64_t step) {
  return guarded([&]() -> dnn_status {
    if (!session || step < 0 || step >= INT32_MAX)
      return fail(DNN_ERROR_INVALID_ARGUMENT,
                  "dnn_session_set_step: null session or step outside [0, 2^31 - 1)");
    session->step = step;
    return DNN_OK;
  });
}
