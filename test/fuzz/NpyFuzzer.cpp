//===- NpyFuzzer.cpp - libFuzzer target for the .npy reader ---------------===//
//
// Any file must read as a tensor whose data matches its header, or fail with
// a status and a message: never a crash, an out-of-bounds access or a leak.
//
//===----------------------------------------------------------------------===//

#include "FuzzInput.h"

#include "dnn/runtime.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  dnn::fuzz::InputFile file(data, size);
  dnn_tensor tensor{};
  dnn_status status = dnn_npy_read(file.path().c_str(), &tensor);
  if (status != DNN_OK) {
    const char *message = dnn_last_error();
    if (!message || !*message)
      std::abort(); // every failure says why
    return 0;
  }
  // The elements the header promises are all there: touch the last one.
  int64_t elements = 1;
  for (int32_t i = 0; i < tensor.rank; ++i)
    elements *= tensor.dims[i];
  if (elements > 0) {
    volatile const uint8_t *bytes = static_cast<const uint8_t *>(tensor.data);
    size_t width = tensor.dtype == DNN_DTYPE_F64 ? 8 : 4;
    (void)bytes[elements * width - 1];
  }
  dnn_tensor_free(&tensor);
  return 0;
}
