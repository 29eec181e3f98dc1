//===- SafetensorsFuzzer.cpp - libFuzzer target for checkpoint loading ----===//
//
// Any file loaded as a checkpoint of a small model either loads (every
// param present with its shape and dtype) or fails with a message and leaves
// the session's params as they were.
//
//===----------------------------------------------------------------------===//

#include "FuzzInput.h"

#include "dnn/model.h"
#include "dnn/runtime.h"

#include <cstring>

namespace {

const dnn_dim_info kW[] = {{3, nullptr}, {2, nullptr}};
const dnn_dim_info kB[] = {{2, nullptr}};
const dnn_param_info kParams[] = {
    {{"w", DNN_DTYPE_F32, 2, kW}, DNN_INIT_ONES, 0, nullptr, 0, 0},
    {{"b", DNN_DTYPE_F32, 1, kB}, DNN_INIT_ONES, 0, nullptr, 0, 0}};
const dnn_model_info kModel = {"tiny", 0, nullptr, 0, nullptr, 2, kParams, 0, nullptr, -1,
                               nullptr};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static dnn_session *session = [] {
    dnn_session *s = nullptr;
    if (dnn_session_create(&kModel, &s) != DNN_OK)
      std::abort();
    return s;
  }();
  // Params start as ones (init), so a failed load must leave ones.
  if (dnn_session_init_params(session, 0) != DNN_OK)
    std::abort();
  dnn::fuzz::InputFile file(data, size);
  if (dnn_session_load_params(session, file.path().c_str()) == DNN_OK)
    return 0;
  const char *message = dnn_last_error();
  if (!message || !*message)
    std::abort();
  for (const char *name : {"w", "b"}) {
    dnn_tensor t;
    if (dnn_session_param(session, name, &t) != DNN_OK)
      std::abort();
    int64_t n = 1;
    for (int32_t i = 0; i < t.rank; ++i)
      n *= t.dims[i];
    for (int64_t i = 0; i < n; ++i)
      if (static_cast<const float *>(t.data)[i] != 1.0f)
        std::abort(); // a failed load changed a param
  }
  return 0;
}
