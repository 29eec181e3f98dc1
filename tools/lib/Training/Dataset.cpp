//===- Dataset.cpp - The dataset spec, binding to inputs, epochs and batches ---===//
//
// loadDataset dispatches a SPEC to the reader of its format (NpyColumns.cpp,
// CsvReader.cpp, MnistReader.cpp); bindDataset assigns columns to an entry's
// inputs; epochOrder and gatherBatch make the mini-batches.
//
//===----------------------------------------------------------------------===//

#include "Dataset.h"
#include "DatasetSupport.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>
#include <numeric>

using namespace dnn;
using namespace dnn::detail;
using llvm::StringRef;

std::string dnn::formatDims(const std::vector<int64_t> &dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i)
    s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + "]";
}

int64_t Column::sampleElements() const { return product(shape); }

const Column *Dataset::find(const std::string &name) const {
  for (const Column &column : columns)
    if (column.name == name)
      return &column;
  return nullptr;
}

std::unique_ptr<llvm::MemoryBuffer> dnn::detail::readFile(const std::string &path,
                                                          std::string &error) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer) {
    std::error_code ec = buffer.getError();
    error = quoted(path) + ": " +
            (ec == std::errc::no_such_file_or_directory ? std::string("no such file")
                                                        : "cannot read: " + ec.message());
    return nullptr;
  }
  return std::move(*buffer);
}

//===----------------------------------------------------------------------===//
// The SPEC string
//===----------------------------------------------------------------------===//

const char dnn::detail::kSpecForms[] =
    "expected NAME=FILE.npy[,NAME=FILE.npy...], FILE.csv[:label=COLUMN], an MNIST directory "
    "or mnist[:DIR]";

bool dnn::loadDataset(const std::string &spec, const RuntimeApi &api, const LoadOptions &options,
                      Dataset &out, std::string &error) {
  out = Dataset();
  StringRef s(spec);
  if (s.empty()) {
    error = std::string("empty data spec; ") + kSpecForms;
    return false;
  }
  if (s == "mnist" || s.starts_with("mnist:")) {
    std::string dir = s.size() > 6 ? s.substr(6).str() : defaultMnistDir();
    return loadMnist(dir, options.split, out, error);
  }

  // FILE.csv, FILE.csv:label=COLUMN.
  StringRef file = s, label;
  size_t labelPos = s.rfind(":label=");
  if (labelPos != StringRef::npos) {
    file = s.substr(0, labelPos);
    label = s.substr(labelPos + 7);
  }
  if (file.ends_with_insensitive(".csv")) {
    if (labelPos != StringRef::npos && label.empty()) {
      error = "bad data spec " + quoted(spec) + ": ':label=' needs a column name";
      return false;
    }
    return loadCsvFile(file.str(), label.str(), options, out, error);
  }
  if (labelPos != StringRef::npos) {
    error = "bad data spec " + quoted(spec) + ": ':label=' applies to .csv files only";
    return false;
  }

  if (s.contains('='))
    return loadNpyColumns(spec, api, out, error);
  if (llvm::sys::fs::is_directory(s))
    return loadMnist(spec, options.split, out, error);
  if (s.ends_with_insensitive(".npy")) {
    error = "bad data spec " + quoted(spec) + ": a .npy file needs the name of its column, as " +
            "NAME=" + spec + " (NAME: an input of the model)";
    return false;
  }
  if (!llvm::sys::fs::exists(s)) {
    error = "bad data spec " + quoted(spec) + ": no such file or directory; " + kSpecForms;
    return false;
  }
  error = "bad data spec " + quoted(spec) + ": " + kSpecForms;
  return false;
}

//===----------------------------------------------------------------------===//
// Binding columns to inputs
//===----------------------------------------------------------------------===//

/// The input's dims after the batch dim, with -1 for symbolic ones.
static std::vector<int64_t> sampleDimsOf(const dnn_tensor_info &input) {
  std::vector<int64_t> dims;
  for (int32_t d = 1; d < input.rank; ++d)
    dims.push_back(input.dims[d].symbol ? -1 : input.dims[d].size);
  return dims;
}

/// Checks that `column` can feed `input` and fills `binding`.
static bool bindColumn(const Dataset &data, size_t columnIndex, const dnn_model_info &model,
                       int32_t inputIndex, InputBinding &binding, std::string &error) {
  const Column &column = data.columns[columnIndex];
  const dnn_tensor_info &input = model.inputs[inputIndex];
  std::string what = "input " + formatTensor(input) + " of model '" + model.name + "'";
  std::string from = "column " + quoted(column.name) + " of " + data.source;
  if (input.rank == 0) {
    error = what + " is a scalar; data columns feed inputs whose first dimension is the batch";
    return false;
  }
  if (!input.dims[0].symbol) {
    error = what + " has a static batch dimension " + std::to_string(input.dims[0].size) +
            "; dnn-run feeds batches of any size (the last one may be smaller), so declare it " +
            "symbolic, e.g. N";
    return false;
  }
  if (column.dtype != input.dtype) {
    error = what + " takes " + dtypeName(input.dtype) + " but " + from + " is " +
            dtypeName(column.dtype);
    return false;
  }
  std::vector<int64_t> want = sampleDimsOf(input);
  bool isStatic = std::none_of(want.begin(), want.end(), [](int64_t d) { return d < 0; });
  bool fits = want.size() == column.shape.size();
  for (size_t d = 0; fits && d < want.size(); ++d)
    fits = want[d] < 0 || want[d] == column.shape[d];
  if (!fits && isStatic && product(want) == column.sampleElements())
    fits = true; // Same values, other shape: [28, 28] as [1, 28, 28] or [784].
  if (!fits) {
    std::string wantText = "[";
    for (int32_t d = 1; d < input.rank; ++d)
      wantText += std::string(d > 1 ? ", " : "") + (input.dims[d].symbol
                                                        ? std::string(input.dims[d].symbol)
                                                        : std::to_string(input.dims[d].size));
    wantText += "]";
    error = what + " takes samples of shape " + wantText;
    if (isStatic)
      error += " (" + std::to_string(product(want)) + " values)";
    error += " but " + from + " has samples of shape " + formatDims(column.shape) + " (" +
             std::to_string(column.sampleElements()) + " values)";
    return false;
  }
  // Class indices: checked here for the whole file, so the message gives
  // the row in the file (the runtime checks each batch again).
  int64_t bound = model.input_index_bounds ? model.input_index_bounds[inputIndex] : 0;
  if (bound > 0 && column.dtype == DNN_DTYPE_I32) {
    const auto *labels = reinterpret_cast<const int32_t *>(column.data.data());
    int64_t perRow = column.sampleElements();
    for (int64_t k = 0; k < data.rows * perRow; ++k)
      if (labels[k] < 0 || labels[k] >= bound) {
        error = from + ": row " + std::to_string(k / perRow) + " holds " +
                std::to_string(labels[k]) + ", outside the class indices [0, " +
                std::to_string(bound) + ") of " + what;
        return false;
      }
  }
  binding.input = inputIndex;
  binding.name = input.name;
  binding.dtype = input.dtype;
  binding.column = columnIndex;
  binding.sampleDims = isStatic ? want : column.shape;
  return true;
}

bool dnn::bindDataset(const Dataset &data, const dnn_model_info &model, const dnn_entry_info &entry,
                      std::vector<InputBinding> &out, std::string &error) {
  out.clear();
  std::string inputs = joinNames(model.inputs, entry.num_inputs, entry.inputs);
  std::string modelText = "model '" + std::string(model.name) + "'";
  std::string entryText = "entry '" + std::string(entry.name) + "' of " + modelText;

  if (data.format == DataFormat::Npy) {
    // Every column names an input of the model (a typo otherwise); the
    // entry's inputs all need one.
    for (const Column &column : data.columns) {
      bool known = false;
      for (int32_t i = 0; i < model.num_inputs; ++i)
        known |= column.name == model.inputs[i].name;
      if (!known) {
        error = "data column " + quoted(column.name) + " is not an input of " + modelText +
                " (inputs: " + joinNames(model.inputs, model.num_inputs) + ")";
        return false;
      }
    }
    for (int32_t i = 0; i < entry.num_inputs; ++i) {
      int32_t input = entry.inputs[i];
      const char *name = model.inputs[input].name;
      const Column *column = data.find(name);
      if (!column) {
        error = "no data for input '" + std::string(name) + "' of " + entryText +
                " (inputs: " + inputs + "; data columns from " + data.source + ": ";
        for (size_t c = 0; c < data.columns.size(); ++c)
          error += (c ? ", " : "") + data.columns[c].name;
        error += "); add " + std::string(name) + "=FILE.npy to the data spec";
        return false;
      }
      InputBinding binding;
      if (!bindColumn(data, column - data.columns.data(), model, input, binding, error))
        return false;
      out.push_back(std::move(binding));
    }
    return true;
  }

  // CSV and MNIST: one f32 column (features or images) and i32 "labels",
  // matched to the entry's inputs by dtype.
  for (int32_t i = 0; i < entry.num_inputs; ++i) {
    int32_t input = entry.inputs[i];
    int32_t dtype = model.inputs[input].dtype;
    std::vector<std::string> same;
    for (int32_t j = 0; j < entry.num_inputs; ++j)
      if (model.inputs[entry.inputs[j]].dtype == dtype)
        same.push_back(model.inputs[entry.inputs[j]].name);
    size_t columnIndex = data.columns.size();
    for (size_t c = 0; c < data.columns.size(); ++c)
      if (data.columns[c].dtype == dtype)
        columnIndex = c;
    std::string kind = data.format == DataFormat::Csv ? "CSV file" : "MNIST";
    if (columnIndex == data.columns.size()) {
      error = "input " + formatTensor(model.inputs[input]) + " of " + entryText +
              " cannot be fed from " + kind + " data (" + data.source + "), which has no " +
              dtypeName(dtype) + " column; give NAME=FILE.npy columns instead";
      return false;
    }
    if (same.size() > 1) {
      std::string list;
      for (size_t k = 0; k < same.size(); ++k)
        list += (k ? ", " : "") + same[k];
      error = entryText + " has " + std::to_string(same.size()) + " " + dtypeName(dtype) +
              " inputs (" + list + "), so the " + dtypeName(dtype) + " column " +
              quoted(data.columns[columnIndex].name) + " of " + kind + " data is ambiguous; " +
              "give NAME=FILE.npy columns instead";
      return false;
    }
    InputBinding binding;
    if (!bindColumn(data, columnIndex, model, input, binding, error))
      return false;
    out.push_back(std::move(binding));
  }
  return true;
}

//===----------------------------------------------------------------------===//
// Epoch order and batches
//===----------------------------------------------------------------------===//

namespace {
constexpr uint64_t kGolden = 0x9e3779b97f4a7c15ull;

uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

struct SplitMix64 {
  uint64_t state;
  uint64_t next() { return mix64(state += kGolden); }
  /// Uniform in [0, range), range >= 1 (Lemire, "Fast random integer
  /// generation in an interval", 2019).
  uint64_t below(uint64_t range) {
    __uint128_t m = (__uint128_t)next() * range;
    uint64_t low = (uint64_t)m;
    if (low < range) {
      uint64_t threshold = (0 - range) % range;
      while (low < threshold) {
        m = (__uint128_t)next() * range;
        low = (uint64_t)m;
      }
    }
    return (uint64_t)(m >> 64);
  }
};
} // namespace

std::vector<int64_t> dnn::epochOrder(int64_t rows, uint64_t seed, uint64_t epoch, bool shuffle) {
  std::vector<int64_t> order(rows > 0 ? rows : 0);
  std::iota(order.begin(), order.end(), 0);
  if (!shuffle)
    return order;
  SplitMix64 rng{mix64(seed ^ mix64(epoch + kGolden))};
  for (int64_t i = rows - 1; i > 0; --i)
    std::swap(order[i], order[rng.below((uint64_t)i + 1)]);
  return order;
}

int64_t dnn::numBatches(int64_t rows, int64_t batchSize) {
  return batchSize > 0 ? (rows + batchSize - 1) / batchSize : 0;
}

void dnn::gatherBatch(const Dataset &data, const std::vector<InputBinding> &bindings,
                      const int64_t *indices, int64_t count, Batch &out) {
  out.tensors.resize(bindings.size());
  out.storage.resize(bindings.size());
  out.size = count;
  for (size_t b = 0; b < bindings.size(); ++b) {
    const InputBinding &binding = bindings[b];
    const Column &column = data.columns[binding.column];
    size_t sampleBytes = column.sampleBytes();
    std::vector<unsigned char> &bytes = out.storage[b];
    bytes.resize(std::max<size_t>((size_t)count * sampleBytes, 1));
    for (int64_t i = 0; i < count; ++i)
      std::memcpy(bytes.data() + i * sampleBytes, column.data.data() + indices[i] * sampleBytes,
                  sampleBytes);
    dnn_tensor &t = out.tensors[b];
    t = dnn_tensor{};
    t.name = binding.name;
    t.dtype = binding.dtype;
    t.rank = 1 + (int32_t)binding.sampleDims.size();
    t.dims[0] = count;
    for (size_t d = 0; d < binding.sampleDims.size(); ++d)
      t.dims[d + 1] = binding.sampleDims[d];
    t.data = bytes.data();
  }
}
