//===- CsvFuzzer.cpp - libFuzzer target for dnn-run's CSV reader ----------===//
//
// Any text either parses into a dataset whose columns hold one value per row
// or fails with a located message.
//
//===----------------------------------------------------------------------===//

#include "Dataset.h"

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string text(reinterpret_cast<const char *>(data), size);
  dnn::LoadOptions options;
  dnn::Dataset dataset;
  std::string error;
  if (!dnn::parseCsv(text, "fuzz.csv", "", options, dataset, error)) {
    if (error.find("fuzz.csv") == std::string::npos)
      std::abort(); // errors name the file (and the line)
    return 0;
  }
  for (const dnn::Column &column : dataset.columns)
    if (column.data.size() != static_cast<size_t>(dataset.rows) * column.sampleBytes())
      std::abort();
  return 0;
}
