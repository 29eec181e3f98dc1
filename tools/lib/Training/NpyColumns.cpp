//===- NpyColumns.cpp - Datasets of .npy columns ----------------------------===//
//
// NAME=FILE.npy,...: one column per file, read with the model library's runtime.
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

//===----------------------------------------------------------------------===//
// .npy columns
//===----------------------------------------------------------------------===//

bool dnn::loadNpyColumns(const std::string &spec, const RuntimeApi &api, Dataset &out,
                         std::string &error) {
  out = Dataset();
  out.format = DataFormat::Npy;
  llvm::SmallVector<StringRef, 4> items;
  StringRef(spec).split(items, ',');
  for (StringRef item : items) {
    auto [name, file] = item.split('=');
    name = name.trim();
    file = file.trim();
    if (name.empty() || file.empty() || !item.contains('=')) {
      error = "bad data spec " + quoted(spec) + ": " + quoted(item) + " is not NAME=FILE.npy; " +
              kSpecForms;
      return false;
    }
    if (out.find(name.str())) {
      error = "bad data spec " + quoted(spec) + ": column " + quoted(name) + " given twice";
      return false;
    }
    std::string path = file.str();
    dnn_tensor tensor{};
    dnn_status status = api.npy_read(path.c_str(), &tensor);
    if (status != DNN_OK) {
      const char *message = api.last_error();
      error = message && *message ? message : api.status_name(status);
      return false;
    }
    struct Free {
      const RuntimeApi &api;
      dnn_tensor &t;
      ~Free() { api.tensor_free(&t); }
    } freeTensor{api, tensor};

    if (tensor.rank == 0) {
      error = quoted(path) + " holds a scalar; column " + quoted(name) +
              " needs a first dimension that counts the samples";
      return false;
    }
    Column column;
    column.name = name.str();
    column.dtype = tensor.dtype;
    column.shape.assign(tensor.dims + 1, tensor.dims + tensor.rank);
    int64_t rows = tensor.dims[0];
    const unsigned char *bytes = static_cast<const unsigned char *>(tensor.data);
    column.data.assign(bytes, bytes + rows * column.sampleBytes());
    if (out.columns.empty()) {
      out.rows = rows;
    } else if (rows != out.rows) {
      error = "column " + quoted(name) + " (" + quoted(path) + ") has " + std::to_string(rows) +
              " rows but column " + quoted(out.columns.front().name) + " has " +
              std::to_string(out.rows);
      return false;
    }
    if (!out.source.empty())
      out.source += ", ";
    out.source += path;
    out.columns.push_back(std::move(column));
  }
  if (out.rows == 0) {
    error = "data " + quoted(out.source) + " has no rows";
    return false;
  }
  return true;
}
