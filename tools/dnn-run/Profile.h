//===- Profile.h - dnn-run profile: where an entry's time goes ------------===//
#ifndef DNN_RUN_PROFILE_H
#define DNN_RUN_PROFILE_H

#include "ModelLibrary.h"

#include <string>

namespace dnn {

struct ProfileOptions {
  std::string entry;   ///< "train_step", "predict", ...
  int64_t batch = 128; ///< Every symbolic dimension of the inputs.
  int64_t warmup = 5;  ///< Calls before measuring.
  int64_t calls = 50;  ///< Calls measured.
  int64_t classes = 0; ///< i32 inputs are uniform in [0, classes); 0: from the outputs.
};

/// Runs `options.entry` of `model` in `session` on random inputs and prints
/// per parallel region its calls per call of the entry, total and mean time
/// and share, the time outside parallel regions, and the heap calls and page
/// faults per call. Returns false with `error` set on failure.
bool profileEntry(const ModelLibrary &lib, const dnn_model_info &model, dnn_session *session,
                  const ProfileOptions &options, std::string &error);

} // namespace dnn

#endif // DNN_RUN_PROFILE_H
