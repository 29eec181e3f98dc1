//===- ModelLibrary.cpp - Loading compiled dnnc model libraries ----------===//

#include "ModelLibrary.h"
#include "LibraryFile.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <dlfcn.h>
#include <sys/stat.h>
#include <type_traits>

using namespace dnn;

static std::string quoted(const std::string &s) { return "'" + s + "'"; }

std::unique_ptr<ModelLibrary> ModelLibrary::open(const std::string &path, std::string &error) {
  // dlopen would report a missing file as a loader error; say it plainly.
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    error = quoted(path) + ": " + (errno == ENOENT ? "no such file" : std::strerror(errno));
    return nullptr;
  }
  if (S_ISDIR(st.st_mode)) {
    error = quoted(path) + " is a directory, not a model library";
    return nullptr;
  }

  if (!checkLibraryFile(path, DNN_LIBRARY_SYMBOL, error))
    return nullptr;

  // Without a slash dlopen searches the library path instead of opening the
  // file the user named.
  std::string loadPath = path.find('/') == std::string::npos ? "./" + path : path;
  ::dlerror();
  void *handle = ::dlopen(loadPath.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char *why = ::dlerror();
    error = "cannot load " + quoted(path) + " (not a shared library, or its dependencies are "
            "missing): " + (why ? why : "unknown error");
    return nullptr;
  }
  std::unique_ptr<ModelLibrary> lib(new ModelLibrary(path, handle));

  auto libraryFn = reinterpret_cast<dnn_library_fn>(::dlsym(handle, DNN_LIBRARY_SYMBOL));
  if (!libraryFn) {
    error = quoted(path) + " is not a dnnc model library (no '" DNN_LIBRARY_SYMBOL "' symbol)";
    return nullptr;
  }
  lib->info_ = libraryFn();
  if (!lib->info_) {
    error = quoted(path) + ": " DNN_LIBRARY_SYMBOL "() returned no descriptor";
    return nullptr;
  }
  // Checked before anything else of the descriptor or the runtime is used:
  // under another ABI neither layout can be trusted.
  if (lib->info_->abi_version != DNN_ABI_VERSION) {
    error = quoted(path) + " was built for dnnc ABI version " +
            std::to_string(lib->info_->abi_version) + ", but this tool supports version " +
            std::to_string(DNN_ABI_VERSION) + "; recompile the model";
    return nullptr;
  }

  RuntimeApi &api = lib->api_;
  bool missing = false;
  auto resolve = [&](auto &fn, const char *name) {
    if (missing)
      return;
    fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(::dlsym(handle, name));
    if (!fn) {
      error = quoted(path) + " does not export the runtime function '" + name + "'";
      missing = true;
    }
  };
#define DNN_RESOLVE(member) resolve(api.member, "dnn_" #member)
  DNN_RESOLVE(status_name);
  DNN_RESOLVE(last_error);
  DNN_RESOLVE(runtime_abi_version);
  DNN_RESOLVE(check_library);
  DNN_RESOLVE(find_model);
  DNN_RESOLVE(set_num_threads);
  DNN_RESOLVE(get_num_threads);
  DNN_RESOLVE(session_create);
  DNN_RESOLVE(session_destroy);
  DNN_RESOLVE(session_model);
  DNN_RESOLVE(session_init_params);
  DNN_RESOLVE(session_load_params);
  DNN_RESOLVE(session_save_params);
  DNN_RESOLVE(session_param);
  DNN_RESOLVE(session_run);
  DNN_RESOLVE(session_output);
  DNN_RESOLVE(session_train_step);
  DNN_RESOLVE(session_set_learning_rate);
  DNN_RESOLVE(session_learning_rate);
  DNN_RESOLVE(session_step);
  DNN_RESOLVE(session_set_step);
  DNN_RESOLVE(session_optimizer_state);
  DNN_RESOLVE(session_reset_optimizer);
  DNN_RESOLVE(session_grad);
  DNN_RESOLVE(session_gradient);
  DNN_RESOLVE(npy_read);
  DNN_RESOLVE(npy_write);
  DNN_RESOLVE(tensor_free);
  DNN_RESOLVE(entry_workspace_bytes);
  DNN_RESOLVE(profile_enable);
  DNN_RESOLVE(profile_reset);
  DNN_RESOLVE(profile_count);
  DNN_RESOLVE(profile_get);
#undef DNN_RESOLVE
  if (missing)
    return nullptr;

  uint32_t runtimeAbi = api.runtime_abi_version();
  if (runtimeAbi != DNN_ABI_VERSION) {
    error = quoted(path) + " embeds a runtime for dnnc ABI version " + std::to_string(runtimeAbi) +
            ", but this tool supports version " + std::to_string(DNN_ABI_VERSION);
    return nullptr;
  }
  dnn_status status = api.check_library(lib->info_);
  if (status != DNN_OK) {
    error = quoted(path) + ": invalid model descriptor: " + lib->lastError(status);
    return nullptr;
  }
  return lib;
}

ModelLibrary::~ModelLibrary() {
  if (handle_)
    ::dlclose(handle_);
}

const dnn_model_info *ModelLibrary::findModel(const std::string &name, std::string &error) const {
  std::string names = "";
  for (int32_t i = 0; i < info_->num_models; ++i)
    names += (i ? ", " : "") + quoted(info_->models[i].name);
  if (name.empty()) {
    if (info_->num_models == 1)
      return &info_->models[0];
    if (info_->num_models == 0)
      error = quoted(path_) + " contains no models";
    else
      error = quoted(path_) + " contains several models; choose one with --model (" + names + ")";
    return nullptr;
  }
  for (int32_t i = 0; i < info_->num_models; ++i)
    if (name == info_->models[i].name)
      return &info_->models[i];
  error = "no model " + quoted(name) + " in " + quoted(path_) + " (models: " + names + ")";
  return nullptr;
}

std::string ModelLibrary::lastError(dnn_status status) const {
  return dnn::lastError(api_, status);
}

std::string dnn::lastError(const RuntimeApi &api, dnn_status status) {
  const char *message = api.last_error();
  if (message && *message)
    return message;
  const char *statusName = api.status_name(status);
  return statusName ? statusName : "unknown error";
}

std::string dnn::dtypeName(int32_t dtype) {
  const char *name = dnn_dtype_name(dtype);
  return name ? name : "dtype(" + std::to_string(dtype) + ")";
}

std::string dnn::formatShape(const dnn_tensor_info &tensor) {
  std::string s = "[";
  for (int32_t i = 0; i < tensor.rank; ++i) {
    if (i)
      s += ", ";
    const dnn_dim_info &dim = tensor.dims[i];
    s += dim.symbol ? std::string(dim.symbol) : std::to_string(dim.size);
  }
  return s + "]";
}

std::string dnn::formatShape(const dnn_tensor &tensor) {
  std::string s = "[";
  for (int32_t i = 0; i < tensor.rank && i < DNN_MAX_RANK; ++i)
    s += (i ? ", " : "") + std::to_string(tensor.dims[i]);
  return s + "]";
}

std::string dnn::formatTensor(const dnn_tensor_info &tensor) {
  return std::string(tensor.name) + ": " + dtypeName(tensor.dtype) + formatShape(tensor);
}

std::string dnn::formatInit(const dnn_param_info &param) {
  const char *name = dnn_init_kind_name(param.init);
  std::string s = name ? name : "init(" + std::to_string(param.init) + ")";
  s += "(";
  for (int32_t i = 0; i < param.num_init_args; ++i) {
    char value[32];
    std::snprintf(value, sizeof(value), "%g", param.init_args[i].value);
    s += std::string(i ? ", " : "") + param.init_args[i].name + "=" + value;
  }
  return s + ")";
}

std::string dnn::joinNames(const dnn_tensor_info *tensors, int32_t count, const int32_t *indices) {
  if (count == 0)
    return "none";
  std::string s;
  for (int32_t i = 0; i < count; ++i)
    s += std::string(i ? ", " : "") + tensors[indices ? indices[i] : i].name;
  return s;
}

const dnn_entry_info *dnn::findEntry(const dnn_model_info &model, const std::string &name) {
  for (int32_t i = 0; i < model.num_entries; ++i)
    if (name == model.entries[i].name)
      return &model.entries[i];
  return nullptr;
}

std::string dnn::entryNames(const dnn_model_info &model) {
  std::string entries;
  for (int32_t e = 0; e < model.num_entries; ++e)
    entries += std::string(e ? ", " : "") + model.entries[e].name;
  return entries.empty() ? "none" : entries;
}
