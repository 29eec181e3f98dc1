//===- ModelLibrary.h - Loading compiled dnnc model libraries ---*- C++ -*-===//
//
// Opens a shared library built by dnnc and resolves its descriptor and the C
// API of the runtime embedded in it. Tools call the runtime through
// RuntimeApi rather than linking one themselves, so that sessions, thread
// pool and error state are those of the library being driven.
//
// The file is checked before dlopen (LibraryFile.h), so that a truncated or
// foreign file is an error rather than a signal in the loader.
//
//===----------------------------------------------------------------------===//
#ifndef DNN_TOOLS_MODELLIBRARY_H
#define DNN_TOOLS_MODELLIBRARY_H

#include "dnn/model.h"
#include "dnn/runtime.h"

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace dnn {

/// One member per function of dnn/runtime.h (minus the `dnn_` prefix),
/// resolved from a model library.
struct RuntimeApi {
  decltype(&::dnn_status_name) status_name = nullptr;
  decltype(&::dnn_last_error) last_error = nullptr;
  decltype(&::dnn_runtime_abi_version) runtime_abi_version = nullptr;
  decltype(&::dnn_check_library) check_library = nullptr;
  decltype(&::dnn_find_model) find_model = nullptr;
  decltype(&::dnn_set_num_threads) set_num_threads = nullptr;
  decltype(&::dnn_get_num_threads) get_num_threads = nullptr;
  decltype(&::dnn_session_create) session_create = nullptr;
  decltype(&::dnn_session_destroy) session_destroy = nullptr;
  decltype(&::dnn_session_model) session_model = nullptr;
  decltype(&::dnn_session_init_params) session_init_params = nullptr;
  decltype(&::dnn_session_load_params) session_load_params = nullptr;
  decltype(&::dnn_session_save_params) session_save_params = nullptr;
  decltype(&::dnn_session_param) session_param = nullptr;
  decltype(&::dnn_session_run) session_run = nullptr;
  decltype(&::dnn_session_output) session_output = nullptr;
  decltype(&::dnn_session_train_step) session_train_step = nullptr;
  decltype(&::dnn_session_set_learning_rate) session_set_learning_rate = nullptr;
  decltype(&::dnn_session_learning_rate) session_learning_rate = nullptr;
  decltype(&::dnn_session_step) session_step = nullptr;
  decltype(&::dnn_session_set_step) session_set_step = nullptr;
  decltype(&::dnn_session_optimizer_state) session_optimizer_state = nullptr;
  decltype(&::dnn_session_reset_optimizer) session_reset_optimizer = nullptr;
  decltype(&::dnn_session_grad) session_grad = nullptr;
  decltype(&::dnn_session_gradient) session_gradient = nullptr;
  decltype(&::dnn_npy_read) npy_read = nullptr;
  decltype(&::dnn_npy_write) npy_write = nullptr;
  decltype(&::dnn_tensor_free) tensor_free = nullptr;
  decltype(&::dnn_entry_workspace_bytes) entry_workspace_bytes = nullptr;
  decltype(&::dnn_profile_enable) profile_enable = nullptr;
  decltype(&::dnn_profile_reset) profile_reset = nullptr;
  decltype(&::dnn_profile_count) profile_count = nullptr;
  decltype(&::dnn_profile_get) profile_get = nullptr;
};

class ModelLibrary {
public:
  /// Loads the library at `path` and validates its descriptor. On failure
  /// returns null and sets `error` to a message naming the file.
  static std::unique_ptr<ModelLibrary> open(const std::string &path, std::string &error);

  ~ModelLibrary();
  ModelLibrary(const ModelLibrary &) = delete;
  ModelLibrary &operator=(const ModelLibrary &) = delete;

  const std::string &path() const { return path_; }
  const dnn_library_info *info() const { return info_; }
  const RuntimeApi &api() const { return api_; }

  /// The model called `name`, or the only model when `name` is empty. On
  /// failure returns null and sets `error` (listing the models there are).
  const dnn_model_info *findModel(const std::string &name, std::string &error) const;

  /// The runtime's message for the last failed call on this thread, or its
  /// status name when the message is empty.
  std::string lastError(dnn_status status) const;

private:
  ModelLibrary(std::string path, void *handle) : path_(std::move(path)), handle_(handle) {}

  std::string path_;
  void *handle_;
  const dnn_library_info *info_ = nullptr;
  RuntimeApi api_;
};

/// Owns a session of a library's runtime (destroy it before the library).
struct ScopedSession {
  const RuntimeApi &api;
  dnn_session *session = nullptr;
  explicit ScopedSession(const RuntimeApi &api) : api(api) {}
  ~ScopedSession() {
    if (session)
      api.session_destroy(session);
  }
  ScopedSession(const ScopedSession &) = delete;
  ScopedSession &operator=(const ScopedSession &) = delete;
};

/// Tensors read with a library's npy_read, freed with its tensor_free.
struct ScopedTensors {
  const RuntimeApi &api;
  std::vector<dnn_tensor> tensors;
  explicit ScopedTensors(const RuntimeApi &api) : api(api) {}
  ~ScopedTensors() {
    for (dnn_tensor &t : tensors)
      api.tensor_free(&t);
  }
  ScopedTensors(const ScopedTensors &) = delete;
  ScopedTensors &operator=(const ScopedTensors &) = delete;
};

/// "f32", "i32", or "dtype(7)" for values outside dnn_dtype.
std::string dtypeName(int32_t dtype);

/// "[N, 784]"; "[]" for a scalar.
std::string formatShape(const dnn_tensor_info &tensor);
/// "[4, 784]" for a concrete tensor.
std::string formatShape(const dnn_tensor &tensor);

/// "x: f32[N, 784]".
std::string formatTensor(const dnn_tensor_info &tensor);

/// The initializer as written in a .dnn file: "he_normal(gain=1.41421)".
std::string formatInit(const dnn_param_info &param);

/// "x, y" for the names of `tensors[indices[i]]`, i < count (all of the
/// first `count` tensors when `indices` is null); "none" when count is 0.
std::string joinNames(const dnn_tensor_info *tensors, int32_t count,
                      const int32_t *indices = nullptr);

/// The entry point called `name`, or null.
const dnn_entry_info *findEntry(const dnn_model_info &model, const std::string &name);

/// The runtime's message for the last failed call on this thread, or the
/// name of `status` when the message is empty.
std::string lastError(const RuntimeApi &api, dnn_status status);

/// "predict, eval" or "none".
std::string entryNames(const dnn_model_info &model);

} // namespace dnn

#endif // DNN_TOOLS_MODELLIBRARY_H
