//===- IdxFuzzer.cpp - libFuzzer target for dnn-run's IDX (MNIST) reader --===//
//
// Any file read as MNIST labels (rank 1) or images (rank 3) either gives an
// array whose size matches its dimensions or fails with a message naming it.
//
//===----------------------------------------------------------------------===//

#include "Dataset.h"
#include "FuzzInput.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  dnn::fuzz::InputFile file(data, size);
  for (int rank : {1, 3}) {
    dnn::IdxArray array;
    std::string error;
    if (!dnn::readIdx(file.path(), rank, array, error)) {
      if (error.find(file.path()) == std::string::npos)
        std::abort();
      continue;
    }
    uint64_t elements = 1;
    for (int64_t d : array.dims)
      elements *= static_cast<uint64_t>(d);
    if (array.dims.size() != static_cast<size_t>(rank) || elements != array.data.size())
      std::abort();
  }
  return 0;
}
